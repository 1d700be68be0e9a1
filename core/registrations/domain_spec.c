#include "config.h"

#include "domain_spec.h"
#include <beachhead/sdk.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63
#define SPEC_WHITESPACE " \t\r\n\v\f"

/* Printable form of untrusted text for messages: control bytes and
 * non-ASCII become \xNN so a hostile value cannot forge log lines. */
static char *quote_untrusted(const char *text, size_t len)
{
	enum { SHOWN_MAX = 80 };
	bool cut = len > SHOWN_MAX;
	if (cut)
		len = SHOWN_MAX;
	char *out = malloc(len * 4 + 4);
	if (!out)
		return NULL;
	char *p = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	if (cut)
		p += sprintf(p, "...");
	*p = '\0';
	return out;
}

/* Returns NULL when valid, else a static reason. */
static const char *dns_name_problem(const char *name, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > DNS_NAME_MAX)
		return "is longer than 253 characters";
	size_t label_len = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (label_len == 0)
				return "has an empty label";
			if (label_len > DNS_LABEL_MAX)
				return "has a label longer than 63 characters";
			if (name[i - 1] == '-' || name[i - label_len] == '-')
				return "has a label that starts or ends with '-'";
			label_len = 0;
			continue;
		}
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x80)
			return "is not ASCII (write internationalized names in punycode, xn--...)";
		if (!isalnum(c) && c != '-')
			return "contains a character other than letters, digits, '-' and '.'";
		label_len++;
	}
	return NULL;
}

/* Parses a decimal port 1-65535 made only of digits. */
static bool parse_port(const char *text, size_t len, unsigned *port)
{
	if (len == 0 || len > 5)
		return false;
	unsigned value = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value < 1 || value > 65535)
		return false;
	*port = value;
	return true;
}

static int list_append(struct domain_spec_list *list, const struct domain_spec *spec)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 4;
		struct domain_spec *items = realloc(list->items, capacity * sizeof *items);
		if (!items)
			return -1;
		list->items = items;
		list->capacity = capacity;
	}
	list->items[list->count++] = *spec;
	return 0;
}

/* A domain and its position, sorted by domain (case-insensitive) then
 * position, so that the first of equal domains comes first. */
struct entry_ref {
	const char *domain;
	size_t index;
};

static int compare_entries(const void *a, const void *b)
{
	const struct entry_ref *ra = a, *rb = b;
	int c = strcasecmp(ra->domain, rb->domain);
	return c ? c : (ra->index < rb->index ? -1 : ra->index > rb->index);
}

/*
 * Drops later duplicates of a domain, keeping the first (the original
 * published both, which gives two entries with one id).  Sorting makes this
 * O(n log n): a container may list thousands of domains, and a quadratic
 * scan there would stall the whole loop.  Returns -1 when out of memory.
 */
static int drop_duplicates(struct domain_spec_list *list, domain_spec_warn_cb warn, void *warn_arg)
{
	if (list->count < 2)
		return 0;
	struct entry_ref *order = malloc(list->count * sizeof *order);
	bool *dup = calloc(list->count, sizeof *dup);
	if (!order || !dup) {
		free(order);
		free(dup);
		return -1;
	}
	for (size_t i = 0; i < list->count; i++)
		order[i] = (struct entry_ref){list->items[i].domain, i};
	qsort(order, list->count, sizeof *order, compare_entries);
	for (size_t i = 1; i < list->count; i++)
		if (strcasecmp(order[i - 1].domain, order[i].domain) == 0)
			dup[order[i].index] = true;
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++) {
		if (!dup[i]) {
			list->items[kept++] = list->items[i];
			continue;
		}
		if (warn) {
			char *msg = bh_strfmt("domain '%s' listed more than once: later entry ignored",
					      list->items[i].domain);
			if (msg)
				warn(warn_arg, msg);
			free(msg);
		}
		free(list->items[i].domain);
	}
	list->count = kept;
	free(order);
	free(dup);
	return 0;
}

struct option_state {
	bool http_seen;
	bool https_seen;
};

/*
 * Applies one ":option" to spec.  Returns NULL on success (possibly after a
 * warning) or a malloc'd error message.
 */
static char *apply_option(struct domain_spec *spec, struct option_state *state, const char *opt,
			  size_t opt_len, domain_spec_warn_cb warn, void *warn_arg)
{
	const char *eq = memchr(opt, '=', opt_len);
	size_t name_len = eq ? (size_t)(eq - opt) : opt_len;
	const char *value = eq ? eq + 1 : NULL;
	size_t value_len = eq ? opt_len - name_len - 1 : 0;

	bool is_http = name_len == 4 && strncasecmp(opt, "http", 4) == 0;
	bool is_https = name_len == 5 && strncasecmp(opt, "https", 5) == 0;
	char *shown_name = quote_untrusted(opt, name_len);
	char *result = NULL;

	if (name_len == 0) {
		result = bh_strfmt("domain '%s': empty option (stray ':' or '=')", spec->domain);
	} else if (!is_http && !is_https) {
		if (warn) {
			char *msg = bh_strfmt(
				"domain '%s': unknown option '%s' ignored (known: http, https)",
				spec->domain, shown_name ? shown_name : "?");
			if (msg)
				warn(warn_arg, msg);
			free(msg);
		}
	} else if ((is_http && state->http_seen) || (is_https && state->https_seen)) {
		result = bh_strfmt("domain '%s': option '%s' given twice", spec->domain,
					is_http ? "http" : "https");
	} else {
		unsigned port = is_http ? 80 : 443;
		if (value && !parse_port(value, value_len, &port)) {
			char *shown_value = quote_untrusted(value, value_len);
			result = bh_strfmt("domain '%s': option '%s': port '%s' is not a number "
						"from 1 to 65535",
						spec->domain, is_http ? "http" : "https",
						shown_value ? shown_value : "?");
			free(shown_value);
		} else if (is_http) {
			state->http_seen = true;
			spec->http_port = port;
		} else {
			state->https_seen = true;
			spec->https_port = port;
		}
	}
	free(shown_name);
	return result;
}

/* Parses one whitespace-free token.  On success *spec owns a domain. */
static char *parse_one(const char *token, size_t len, struct domain_spec *spec,
		       domain_spec_warn_cb warn, void *warn_arg)
{
	const char *colon = memchr(token, ':', len);
	size_t domain_len = colon ? (size_t)(colon - token) : len;
	if (domain_len > 0 && token[domain_len - 1] == '.')
		domain_len--; /* FQDN form "example.org." */

	const char *problem = dns_name_problem(token, domain_len);
	if (problem) {
		char *shown = quote_untrusted(token, colon ? (size_t)(colon - token) : len);
		char *msg = bh_strfmt("domain '%s': invalid DNS name: it %s", shown ? shown : "?",
					   problem);
		free(shown);
		return msg;
	}
	spec->domain = strndup(token, domain_len);
	if (!spec->domain)
		return bh_strfmt("out of memory");
	spec->http_port = 0;
	spec->https_port = 0;

	struct option_state state = {false, false};
	const char *p = colon;
	while (p) {
		const char *opt = p + 1;
		const char *next = memchr(opt, ':', len - (size_t)(opt - token));
		size_t opt_len = next ? (size_t)(next - opt) : len - (size_t)(opt - token);
		char *err = apply_option(spec, &state, opt, opt_len, warn, warn_arg);
		if (err) {
			free(spec->domain);
			spec->domain = NULL;
			return err;
		}
		p = next;
	}
	if (spec->http_port == 0 && spec->https_port == 0) {
		spec->http_port = 80;
		spec->https_port = 443;
	}
	return NULL;
}

int domain_spec_parse(const char *text, struct domain_spec_list *out, char **error,
		      domain_spec_warn_cb warn, void *warn_arg)
{
	*error = NULL;
	memset(out, 0, sizeof *out);
	const char *p = text;
	for (;;) {
		p += strspn(p, SPEC_WHITESPACE);
		if (*p == '\0')
			break;
		size_t len = strcspn(p, SPEC_WHITESPACE);
		struct domain_spec spec = {0};
		char *err = NULL;
		if (out->count == DOMAIN_SPEC_MAX_DOMAINS)
			err = bh_strfmt("more than %d domains: refused (one container, one site; "
					"split it up)",
					DOMAIN_SPEC_MAX_DOMAINS);
		else
			err = parse_one(p, len, &spec, warn, warn_arg);
		if (!err && list_append(out, &spec) < 0) {
			free(spec.domain);
			err = bh_strfmt("out of memory");
		}
		if (err) {
			domain_spec_list_free(out);
			*error = err;
			return -1;
		}
		p += len;
	}
	if (drop_duplicates(out, warn, warn_arg) < 0) {
		domain_spec_list_free(out);
		*error = bh_strfmt("out of memory");
		return -1;
	}
	return 0;
}

void domain_spec_list_free(struct domain_spec_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].domain);
	free(list->items);
	memset(list, 0, sizeof *list);
}

char *domain_spec_id(const char *domain)
{
	char *id = strdup(domain);
	if (!id)
		return NULL;
	for (char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	return id;
}
