/*
 * Which host a registration names (the #1 pain point of every peer):
 *   ip        the IP on `network` if set and joined; else the default-bridge
 *             NetworkSettings.IPAddress; else the IP on the first network in
 *             name order (deterministic); else the container name, with a
 *             warning (network none/host give no IP).
 *   name      the container name (for proxies on the same user network).
 *   published advertise_address, and the specs' container ports rewritten to
 *             the host ports they are published on (see dk_publish_specs).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inspector_docker.h"
#include <beachhead/sdk.h>

char *dk_address(const struct dk_settings *s, const struct dk_container *c, char **warning)
{
	*warning = NULL;
	if (s->address == ADDRESS_NAME)
		return strdup(c->name);
	if (s->address == ADDRESS_PUBLISHED)
		return strdup(s->advertise_address);
	if (s->network) {
		for (size_t i = 0; i < c->n_networks; i++)
			if (strcmp(c->networks[i].name, s->network) == 0 && c->networks[i].ip)
				return strdup(c->networks[i].ip);
	}
	const char *ip = c->top_ip;
	for (size_t i = 0; !ip && i < c->n_networks; i++)
		ip = c->networks[i].ip;
	if (ip) {
		if (s->network)
			*warning = bh_strfmt("has no address on network '%s'; using %s", s->network, ip);
		return strdup(ip);
	}
	*warning = bh_strfmt("has no IP address (network none or host?); using its name '%s' as host",
			  c->name);
	return strdup(c->name);
}

/* Host port published for container port/tcp, 0 when none.  IPv4 and IPv6
 * bindings of the same port carry the same host port; the first wins. */
static unsigned host_port(const struct dk_container *c, unsigned port)
{
	for (size_t i = 0; i < c->n_ports; i++)
		if (c->ports[i].container_port == port && strcmp(c->ports[i].proto, "tcp") == 0)
			return c->ports[i].host_port;
	return 0;
}

struct buf {
	char *text;
	size_t len, cap;
	bool oom;
};

static void append(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->text, cap);
		if (!grown) {
			b->oom = true;
			return;
		}
		b->text = grown;
		b->cap = cap;
	}
	memcpy(b->text + b->len, s, n);
	b->len += n;
	b->text[b->len] = '\0';
}

static void append_str(struct buf *b, const char *s)
{
	append(b, s, strlen(s));
}

static void note(struct buf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct buf *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = bh_vstrfmt(fmt, ap);
	va_end(ap);
	if (!s) {
		w->oom = true;
		return;
	}
	if (w->len)
		append_str(w, "; ");
	append_str(w, s);
	free(s);
}

/*
 * One spec token "domain[:opt...]".  Options http/https (with or without
 * "=PORT") are rewritten to "=HOSTPORT"; other options stay for the core to
 * judge.  A port that is not a plain number is left as written so that the
 * core's parser reports it.  Returns the number of schemes kept.
 */
static int rewrite_token(const char *tok, size_t len, const struct dk_container *c,
			 struct buf *out, struct buf *warn)
{
	const char *colon = memchr(tok, ':', len);
	size_t dlen = colon ? (size_t)(colon - tok) : len;
	append(out, tok, dlen);
	bool any_scheme = false;
	int kept = 0;
	const char *p = colon;
	while (p && p < tok + len) {
		const char *opt = p + 1;
		const char *next = memchr(opt, ':', (size_t)(tok + len - opt));
		size_t olen = next ? (size_t)(next - opt) : (size_t)(tok + len - opt);
		const char *eq = memchr(opt, '=', olen);
		size_t nlen = eq ? (size_t)(eq - opt) : olen;
		bool http = nlen == 4 && strncasecmp(opt, "http", 4) == 0;
		bool https = nlen == 5 && strncasecmp(opt, "https", 5) == 0;
		char num[8];
		size_t plen = eq ? olen - nlen - 1 : 0;
		bool numeric = plen > 0 && plen < sizeof num && strspn(eq + 1, "0123456789") >= plen;
		if ((http || https) && (!eq || numeric)) {
			any_scheme = true;
			unsigned port = http ? 80 : 443;
			if (eq) {
				memcpy(num, eq + 1, plen);
				num[plen] = '\0';
				port = (unsigned)strtoul(num, NULL, 10);
			}
			unsigned hp = host_port(c, port);
			if (hp) {
				char piece[24];
				snprintf(piece, sizeof piece, ":%s=%u", http ? "http" : "https", hp);
				append_str(out, piece);
				kept++;
			} else {
				note(warn, "%.*s: %s port %u/tcp is not published", (int)dlen, tok,
				     http ? "http" : "https", port);
			}
		} else {
			if (http || https)
				any_scheme = true;
			append(out, p, olen + 1);
			if (http || https)
				kept++;
		}
		p = next;
	}
	if (!any_scheme) {
		/* Neither scheme given means both on their default ports. */
		static const struct { const char *name; unsigned port; } def[] = {{"http", 80}, {"https", 443}};
		for (size_t i = 0; i < 2; i++) {
			unsigned hp = host_port(c, def[i].port);
			if (hp) {
				char piece[24];
				snprintf(piece, sizeof piece, ":%s=%u", def[i].name, hp);
				append_str(out, piece);
				kept++;
			}
		}
		if (!kept)
			note(warn, "%.*s: neither port 80/tcp nor 443/tcp is published", (int)dlen, tok);
	}
	return kept;
}

char *dk_publish_specs(const char *specs, const struct dk_container *c, char **warning,
		       char **error)
{
	static const char ws[] = " \t\r\n\v\f";
	struct buf out = {0}, warn = {0};
	*warning = *error = NULL;
	size_t domains = 0, mapped = 0;
	append_str(&out, "");
	for (const char *p = specs; *p;) {
		p += strspn(p, ws);
		size_t len = strcspn(p, ws);
		if (len == 0)
			break;
		size_t mark = out.len;
		if (out.len)
			append_str(&out, " ");
		domains++;
		if (rewrite_token(p, len, c, &out, &warn) > 0) {
			mapped++;
		} else if (!out.oom) {
			/* No published port: the domain is dropped, not registered
			 * with a port the proxy could never reach. */
			out.len = mark;
			out.text[mark] = '\0';
		}
		p += len;
	}
	if (out.oom || warn.oom) {
		free(out.text);
		free(warn.text);
		*error = strdup("out of memory");
		return NULL;
	}
	*warning = warn.text;
	if (domains > 0 && mapped == 0) {
		*error = bh_strfmt("published address mode: no domain has a published port (%s)",
				warn.text ? warn.text : "no ports");
		free(out.text);
		free(warn.text);
		*warning = NULL;
		return NULL;
	}
	return out.text;
}
