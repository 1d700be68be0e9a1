#include "config.h"

#include "listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *text, in_port_t *port)
{
	if (!text[0] || strspn(text, "0123456789") != strlen(text) || strlen(text) > 5)
		return -1;
	unsigned long value = strtoul(text, NULL, 10);
	if (value > 65535)
		return -1;
	*port = htons((in_port_t)value);
	return 0;
}

int listen_address_parse(const char *text, struct listen_address *out, const char **error)
{
	char host[INET6_ADDRSTRLEN + 1];
	memset(out, 0, sizeof *out);
	*error = "expected ADDRESS:PORT, e.g. 127.0.0.1:9477 or [::1]:9477";
	if (!text)
		return -1;
	const char *colon = text[0] == '[' ? strstr(text, "]:") : strrchr(text, ':');
	if (!colon)
		return -1;
	const char *begin = text[0] == '[' ? text + 1 : text;
	size_t host_len = (size_t)(colon - begin);
	const char *port_text = colon + (text[0] == '[' ? 2 : 1);
	if (host_len == 0 || host_len >= sizeof host)
		return -1;
	memcpy(host, begin, host_len);
	host[host_len] = '\0';
	in_port_t port;
	if (parse_port(port_text, &port) < 0) {
		*error = "the port must be a number from 0 to 65535";
		return -1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	if (text[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = port;
		out->len = sizeof *v4;
	} else if (text[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = port;
		out->len = sizeof *v6;
	} else {
		*error = text[0] == '[' ? "not a numeric IPv6 address inside [ ]"
					: "not a numeric IPv4 address (IPv6: [::1]:9477)";
		return -1;
	}
	*error = NULL;
	return 0;
}

bool listen_address_is_loopback(const struct listen_address *a)
{
	if (a->addr.ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->addr;
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	}
	const struct in6_addr *v6 = &((const struct sockaddr_in6 *)&a->addr)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(v6) || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
}

bool listen_address_is_any(const struct listen_address *a)
{
	if (a->addr.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->addr)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->addr)->sin6_addr);
}

void listen_address_format(const struct listen_address *a, unsigned port, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	bool v6 = a->addr.ss_family == AF_INET6;
	const void *raw = v6 ? (const void *)&((const struct sockaddr_in6 *)&a->addr)->sin6_addr
			     : (const void *)&((const struct sockaddr_in *)&a->addr)->sin_addr;
	in_port_t own = v6 ? ((const struct sockaddr_in6 *)&a->addr)->sin6_port
			   : ((const struct sockaddr_in *)&a->addr)->sin_port;
	(void)inet_ntop(a->addr.ss_family, raw, host, sizeof host);
	snprintf(buf, size, v6 ? "[%s]:%u" : "%s:%u", host, port ? port : (unsigned)ntohs(own));
}
