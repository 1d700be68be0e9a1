#include "config.h"

#include "health_check.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The longest answer read: /readyz says a line per check. */
#define MAX_ANSWER 65536

/* Connecting to "every address" means connecting to our own loopback. */
static struct listen_address target_of(const struct listen_address *a)
{
	struct listen_address t = *a;
	if (!listen_address_is_any(a))
		return t;
	if (t.addr.ss_family == AF_INET)
		((struct sockaddr_in *)&t.addr)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&t.addr)->sin6_addr = in6addr_loopback;
	return t;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
		  (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Waits for events on fd until the deadline: 0, or -1 (errno ETIMEDOUT). */
static int wait_for(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;
	do
		n = poll(&p, 1, (int)ms_left(deadline));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

static int connect_to(const struct listen_address *a, const struct timespec *deadline)
{
	int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&a->addr, a->len) < 0 && errno != EINPROGRESS)
		goto fail;
	int error = 0;
	socklen_t len = sizeof error;
	if (wait_for(fd, POLLOUT, deadline) < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error) {
		errno = error ? error : errno;
		goto fail;
	}
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Sends the request and reads the answer until the server closes. */
static char *exchange(int fd, size_t *len, const struct timespec *deadline)
{
	static const char request[] = "GET /readyz HTTP/1.0\r\nConnection: close\r\n\r\n";
	if (wait_for(fd, POLLOUT, deadline) < 0 ||
	    send(fd, request, sizeof request - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof request - 1))
		return NULL;
	char *answer = malloc(MAX_ANSWER + 1);
	size_t used = 0;
	while (answer && used < MAX_ANSWER) {
		if (wait_for(fd, POLLIN, deadline) < 0)
			break;
		ssize_t n = recv(fd, answer + used, MAX_ANSWER - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*len = used;
			answer[used] = '\0';
			return n == 0 ? answer : (free(answer), NULL);
		}
		used += (size_t)n;
	}
	free(answer);
	return NULL;
}

int health_check_run(const struct listen_address *address, FILE *out, FILE *err)
{
	char where[80];
	struct listen_address target = target_of(address);
	listen_address_format(&target, 0, where, sizeof where);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HEALTH_CHECK_TIMEOUT_S;
	int fd = connect_to(&target, &deadline);
	if (fd < 0) {
		fprintf(err, "beachhead-companion: health check: cannot connect to %s: %s\n", where,
			strerror(errno));
		return 1;
	}
	size_t len = 0;
	char *answer = exchange(fd, &len, &deadline);
	int saved = errno;
	close(fd);
	if (!answer) {
		fprintf(err, "beachhead-companion: health check: no complete answer from %s: %s\n",
			where, strerror(saved));
		return 1;
	}
	int status = 0;
	char *body = strstr(answer, "\r\n\r\n");
	if (sscanf(answer, "HTTP/%*d.%*d %d", &status) != 1 || !body) {
		fprintf(err, "beachhead-companion: health check: %s did not answer HTTP\n", where);
		free(answer);
		return 1;
	}
	fputs(body + 4, out);
	free(answer);
	return status == 200 ? 0 : 1;
}
