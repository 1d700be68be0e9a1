/*
 * ADDR:PORT as the metrics_listen setting spells it: a numeric IPv4
 * address ("127.0.0.1:9477") or a bracketed IPv6 one ("[::1]:9477");
 * port 0 lets the kernel choose (tests).  Used by the HTTP endpoint that
 * binds it and by --health-check that connects to it.
 */
#ifndef BH_LISTEN_ADDRESS_H
#define BH_LISTEN_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct listen_address {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* 0, or -1 with *error a static text saying what is wrong. */
int listen_address_parse(const char *text, struct listen_address *out, const char **error);
/* 127.0.0.0/8 or ::1 (and ::ffff:127.x): only local users can connect. */
bool listen_address_is_loopback(const struct listen_address *a);
/* Unspecified (0.0.0.0 or ::): every interface. */
bool listen_address_is_any(const struct listen_address *a);
/* "127.0.0.1:9477" / "[::1]:9477", with port instead of the parsed one
 * unless it is 0. */
void listen_address_format(const struct listen_address *a, unsigned port, char *buf, size_t size);

#endif
