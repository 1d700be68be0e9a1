/*
 * TEST-ONLY: plays systemd's side of sd_notify.  Binds a unix datagram socket
 * at argv[1] and prints every datagram received as one line on stdout
 * (newlines inside a datagram become '|'), until killed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: notify_listener SOCKET-PATH\n");
		return 2;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(argv[1]) >= sizeof addr.sun_path) {
		fprintf(stderr, "notify_listener: path too long\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		fprintf(stderr, "notify_listener: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify_listener: recv: %s\n", strerror(errno));
			return 1;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '|';
		buf[n] = '\0';
		if (printf("%s\n", buf) < 0 || fflush(stdout) != 0)
			return 1;
	}
}
