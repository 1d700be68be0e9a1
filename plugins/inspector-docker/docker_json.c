/*
 * Reads the engine's JSON documents into plain C structures, so that the rest
 * of the plugin never walks json-c trees.  Every document comes from outside:
 * a missing or mistyped field is either tolerated (optional details, and the
 * places where Podman's compatible API differs from Docker's) or an error
 * message for that one document, never a crash.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <beachhead/sdk.h>

#include "docker_json.h"

static int fail(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*error = bh_vstrfmt(fmt, ap);
	va_end(ap);
	return -1;
}

static struct json_object *parse(const char *text, size_t len, char **error)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		fail(error, "out of memory");
		return NULL;
	}
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		fail(error, "document too large");
		return NULL;
	}
	struct json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success) {
		fail(error, "malformed JSON from the engine: %s",
		     jerr == json_tokener_continue ? "document ends early"
						   : json_tokener_error_desc(jerr));
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

static struct json_object *member(struct json_object *obj, const char *key, enum json_type type)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* A string member, NULL when absent, not a string or (if nonempty) empty. */
static const char *member_str(struct json_object *obj, const char *key, bool nonempty)
{
	struct json_object *v = member(obj, key, json_type_string);
	const char *s = v ? json_object_get_string(v) : NULL;
	return s && nonempty && !s[0] ? NULL : s;
}

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *copy = strdup(s);
	if (!copy)
		*oom = true;
	return copy;
}

static const char *strip_slash(const char *name)
{
	return name && name[0] == '/' ? name + 1 : name;
}

int dk_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10);
		unsigned long y = strtoul(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b)))
			break;
	}
	return 0;
}

/* "1.41": one to four digits, a dot, one to four digits. */
static bool major_minor(const char *v)
{
	size_t major = strspn(v, "0123456789");
	if (major == 0 || major > 4 || v[major] != '.')
		return false;
	size_t minor = strspn(v + major + 1, "0123456789");
	return minor > 0 && minor <= 4 && v[major + 1 + minor] == '\0';
}

int dk_parse_version(const char *body, size_t len, char **api_version, char **error)
{
	*api_version = NULL;
	struct json_object *root = parse(body, len, error);
	if (!root)
		return -1;
	const char *v = member_str(root, "ApiVersion", true);
	int rc = 0;
	/* It goes into every request path: MAJOR.MINOR, nothing else. */
	if (v && !major_minor(v))
		rc = fail(error, "the engine's API version '%.32s' is not MAJOR.MINOR", v);
	else if (v && !(*api_version = strdup(v)))
		rc = fail(error, "out of memory");
	json_object_put(root);
	return rc;
}

/* MinAPIVersion of a /version document (Docker >= 1.25), malloc'd, or NULL
 * when absent, malformed or out of memory.  Separate from dk_parse_version
 * to keep that one's signature (the fuzz target calls it). */
char *dk_parse_min_version(const char *body, size_t len)
{
	char *error = NULL;
	struct json_object *root = parse(body, len, &error);
	free(error);
	const char *v = member_str(root, "MinAPIVersion", true);
	char *copy = NULL;
	/* Only MAJOR.MINOR goes into URL paths; anything else is ignored. */
	if (v && major_minor(v))
		copy = strdup(v);
	json_object_put(root);
	return copy;
}

/* The name of the engine in a /version document: Docker says "Engine" in
 * Components and its product name in Platform; Podman names itself in
 * Components ("Podman Engine"). */
static const char *engine_name(struct json_object *root)
{
	struct json_object *components = NULL, *platform = NULL;
	const char *name = NULL;
	if (json_object_object_get_ex(root, "Components", &components) &&
	    json_object_is_type(components, json_type_array) && json_object_array_length(components) > 0)
		name = member_str(json_object_array_get_idx(components, 0), "Name", true);
	const char *product = json_object_object_get_ex(root, "Platform", &platform)
				      ? member_str(platform, "Name", true)
				      : NULL;
	return product && (!name || strcmp(name, "Engine") == 0) ? product : name;
}

/* "Docker Engine - Community 24.0.7" or "Podman Engine 4.3.1", for the
 * start-up log; malloc'd, NULL when the document does not say. */
char *dk_parse_engine_version(const char *body, size_t len)
{
	char *error = NULL;
	struct json_object *root = parse(body, len, &error);
	free(error);
	if (!root)
		return NULL;
	const char *version = member_str(root, "Version", true);
	const char *name = engine_name(root);
	char *text = version ? bh_strfmt("%s %s", name ? name : "engine", version) : NULL;
	json_object_put(root);
	return text;
}

/* Value of "VAR=value" in Config.Env; the last one wins, like the kernel's
 * environment would for a duplicated entry seen by getenv in the engine. */
static const char *env_value(struct json_object *env, const char *var)
{
	const char *found = NULL;
	size_t var_len = strlen(var);
	size_t n = env ? json_object_array_length(env) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(env, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		const char *s = json_object_get_string(e);
		if (strncmp(s, var, var_len) == 0 && s[var_len] == '=')
			found = s + var_len + 1;
	}
	return found;
}

static int network_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dk_network *)a)->name, ((const struct dk_network *)b)->name);
}

static bool read_networks(struct json_object *nets, struct dk_container *out)
{
	if (!nets)
		return true;
	size_t n = (size_t)json_object_object_length(nets);
	if (n == 0)
		return true;
	out->networks = calloc(n, sizeof *out->networks);
	if (!out->networks)
		return false;
	bool oom = false;
	json_object_object_foreach(nets, key, val)
	{
		if (out->n_networks == n)
			break;
		const char *ip = member_str(val, "IPAddress", true);
		struct dk_network *net = &out->networks[out->n_networks++];
		net->name = dup_or_null(key, &oom);
		net->ip = dup_or_null(ip, &oom);
		if (!net->name) {
			/* The slot is reused: free its ip, or it leaks. */
			free(net->ip);
			net->ip = NULL;
			out->n_networks--;
			oom = true;
		}
	}
	qsort(out->networks, out->n_networks, sizeof *out->networks, network_cmp);
	return !oom;
}

/* NetworkSettings.Ports: {"80/tcp": [{"HostIp":"0.0.0.0","HostPort":"8080"}], "443/tcp": null} */
static bool read_ports(struct json_object *ports, struct dk_container *out)
{
	if (!ports)
		return true;
	size_t total = 0;
	json_object_object_foreach(ports, k1, v1)
	{
		(void)k1;
		total += json_object_is_type(v1, json_type_array) ? json_object_array_length(v1) : 1;
	}
	if (total == 0)
		return true;
	out->ports = calloc(total, sizeof *out->ports);
	if (!out->ports)
		return false;
	bool oom = false;
	json_object_object_foreach(ports, key, val)
	{
		char *end = NULL;
		unsigned long cport = strtoul(key, &end, 10);
		if (end == key || cport == 0 || cport > 65535)
			continue;
		const char *proto = *end == '/' ? end + 1 : "tcp";
		size_t n = json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 0;
		for (size_t i = 0; i < n && out->n_ports < total; i++) {
			struct json_object *b = json_object_array_get_idx(val, i);
			const char *hp = member_str(b, "HostPort", true);
			unsigned long hport = hp ? strtoul(hp, &end, 10) : 0;
			if (!hp || *end || hport == 0 || hport > 65535)
				continue;
			struct dk_port *p = &out->ports[out->n_ports++];
			p->container_port = (unsigned)cport;
			snprintf(p->proto, sizeof p->proto, "%s", proto);
			p->host_port = (unsigned)hport;
			p->host_ip = dup_or_null(member_str(b, "HostIp", true), &oom);
		}
	}
	return !oom;
}

/* Labels as "key=value" strings, NULL-terminated; false when out of memory. */
static bool read_labels(struct json_object *labels, struct dk_container *out)
{
	size_t count = labels ? (size_t)json_object_object_length(labels) : 0;
	out->labels = calloc(count + 1, sizeof *out->labels);
	if (!out->labels)
		return false;
	if (!labels)
		return true;
	size_t n = 0;
	json_object_object_foreach(labels, key, val)
	{
		if (n == count || !json_object_is_type(val, json_type_string))
			continue;
		if (!(out->labels[n] = bh_strfmt("%s=%s", key, json_object_get_string(val))))
			return false;
		n++;
	}
	return true;
}

/*
 * "2026-11-24T20:36:12.123456789Z" (Docker) or with a "+01:00" offset
 * (Podman) -> ns since the epoch; 0 when absent or unparsable, which the
 * core treats as "unknown" (it only orders domain claims by it).
 */
static int64_t parse_created(const char *text)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *p = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return 0;
	int64_t ns = 0;
	if (*p == '.') {
		int64_t scale = 100000000;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += (*p - '0') * scale;
			scale /= 10;
		}
	}
	int64_t offset_s = 0;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
		int hours = 0, minutes = 0;
		if (sscanf(p + 1, "%2d:%2d", &hours, &minutes) != 2)
			return 0;
		offset_s = (hours * 3600 + minutes * 60) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z') {
		return 0;
	}
	time_t seconds = timegm(&tm);
	/* The year comes from the engine's document: a huge one would make
	 * the multiplication below overflow int64_t (undefined behaviour). */
	if (seconds == (time_t)-1 || seconds < 0 ||
	    (int64_t)seconds > INT64_MAX / 1000000000 - 1000000) /* margin: offset, ns */
		return 0;
	return ((int64_t)seconds - offset_s) * 1000000000 + ns;
}

/* Health from the listing's Status text, e.g. "Up 3 minutes (healthy)",
 * "Up 2 seconds (health: starting)": the listing has no separate field. */
static const char *health_from_status(const char *status)
{
	if (!status)
		return NULL;
	if (strstr(status, "(healthy)"))
		return "healthy";
	if (strstr(status, "(unhealthy)"))
		return "unhealthy";
	if (strstr(status, "(health: starting)"))
		return "starting";
	return NULL;
}

/* Bytes of a listing entry's labels: what makes an entry huge. */
static size_t labels_bytes(struct json_object *labels)
{
	size_t total = 0;
	if (!labels)
		return 0;
	json_object_object_foreach(labels, key, val)
	{
		total += strlen(key) + 1;
		if (json_object_is_type(val, json_type_string))
			total += (size_t)json_object_get_string_len(val);
	}
	return total;
}

/* Ports of a listing entry: [{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}];
 * unpublished ports (no PublicPort) are left out, as in an inspect document. */
static bool read_list_ports(struct json_object *ports, struct dk_container *out)
{
	size_t n = ports ? json_object_array_length(ports) : 0;
	if (n == 0)
		return true;
	out->ports = calloc(n, sizeof *out->ports);
	if (!out->ports)
		return false;
	bool oom = false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		struct json_object *priv = member(p, "PrivatePort", json_type_int);
		struct json_object *pub = member(p, "PublicPort", json_type_int);
		int64_t cport = priv ? json_object_get_int64(priv) : 0;
		int64_t hport = pub ? json_object_get_int64(pub) : 0;
		if (cport <= 0 || cport > 65535 || hport <= 0 || hport > 65535)
			continue;
		const char *type = member_str(p, "Type", true);
		struct dk_port *port = &out->ports[out->n_ports++];
		port->container_port = (unsigned)cport;
		snprintf(port->proto, sizeof port->proto, "%s", type ? type : "tcp");
		port->host_port = (unsigned)hport;
		port->host_ip = dup_or_null(member_str(p, "IP", true), &oom);
	}
	return !oom;
}

/* One entry of /containers/json; false when out of memory.  An entry
 * without Id is skipped (*kept = false): nothing could name it. */
static bool read_list_entry(struct json_object *item, const char *label, size_t max_item_bytes,
			    struct dk_container *out, bool *kept)
{
	memset(out, 0, sizeof *out);
	out->from_listing = true;
	*kept = false;
	const char *id = member_str(item, "Id", true);
	if (!id)
		return true;
	*kept = true;
	struct json_object *list = member(item, "Names", json_type_array);
	struct json_object *first = list && json_object_array_length(list) > 0
					    ? json_object_array_get_idx(list, 0)
					    : NULL;
	const char *name = first && json_object_is_type(first, json_type_string)
				   ? strip_slash(json_object_get_string(first))
				   : NULL;
	bool oom = false;
	out->id = dup_or_null(id, &oom);
	out->name = dup_or_null(name && name[0] ? name : id, &oom);
	/* State is "running" or "paused" in a default listing (API >= 1.23);
	 * without it, the listing only holds running containers. */
	const char *state = member_str(item, "State", true);
	out->paused = state && strcmp(state, "paused") == 0;
	out->running = !state || out->paused || strcmp(state, "running") == 0;
	out->status = dup_or_null(state, &oom);
	out->health = dup_or_null(health_from_status(member_str(item, "Status", true)), &oom);
	struct json_object *created = member(item, "Created", json_type_int);
	int64_t seconds = created ? json_object_get_int64(created) : 0;
	if (seconds > 0 && seconds < INT64_MAX / 1000000000)
		out->created_ns = seconds * 1000000000;
	struct json_object *labels = member(item, "Labels", json_type_object);
	if (labels_bytes(labels) > max_item_bytes) {
		/* The per-container limit, applied after parsing: this one
		 * container is refused, the listing serves everybody else. */
		out->too_large = true;
		return !oom;
	}
	if (label)
		out->label_spec = dup_or_null(member_str(labels, label, false), &oom);
	if (!read_labels(labels, out))
		oom = true;
	struct json_object *ns = member(item, "NetworkSettings", json_type_object);
	if (!read_networks(member(ns, "Networks", json_type_object), out) ||
	    !read_list_ports(member(item, "Ports", json_type_array), out))
		oom = true;
	return !oom;
}

int dk_parse_list(const char *body, size_t len, const char *label, size_t max_item_bytes,
		  struct dk_container **list, size_t *count, char **error)
{
	*list = NULL;
	*count = 0;
	struct json_object *root = parse(body, len, error);
	if (!root)
		return -1;
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return fail(error, "container list is not a JSON array");
	}
	size_t n = json_object_array_length(root);
	struct dk_container *items = calloc(n + 1, sizeof *items);
	size_t kept = 0;
	bool oom = !items;
	for (size_t i = 0; i < n && !oom; i++) {
		bool used = false;
		oom = !read_list_entry(json_object_array_get_idx(root, i), label, max_item_bytes,
				       &items[kept], &used);
		if (used || oom)
			kept++;
	}
	json_object_put(root);
	if (oom) {
		dk_list_free(items, kept);
		return fail(error, "out of memory");
	}
	*list = items;
	*count = kept;
	return 0;
}

void dk_list_free(struct dk_container *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		dk_container_free(&list[i]);
	free(list);
}

int dk_parse_inspect(const char *body, size_t len, const char *envvar, const char *label,
		     struct dk_container *out, char **error)
{
	memset(out, 0, sizeof *out);
	struct json_object *root = parse(body, len, error);
	if (!root)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return fail(error, "inspect document is not a JSON object");
	}
	const char *id = member_str(root, "Id", true);
	const char *name = strip_slash(member_str(root, "Name", true));
	struct json_object *state = member(root, "State", json_type_object);
	if (!id || !name || !name[0] || !state) {
		json_object_put(root);
		return fail(error, "inspect document lacks Id, Name or State");
	}
	bool oom = false;
	out->id = dup_or_null(id, &oom);
	out->name = dup_or_null(name, &oom);
	struct json_object *b = member(state, "Running", json_type_boolean);
	out->running = b && json_object_get_boolean(b);
	b = member(state, "Paused", json_type_boolean);
	out->paused = b && json_object_get_boolean(b);
	out->status = dup_or_null(member_str(state, "Status", true), &oom);
	/* Docker: State.Health.Status; Podman 4 also fills State.Healthcheck. */
	struct json_object *health = member(state, "Health", json_type_object);
	if (!health)
		health = member(state, "Healthcheck", json_type_object);
	out->health = dup_or_null(member_str(health, "Status", true), &oom);

	struct json_object *config = member(root, "Config", json_type_object);
	out->env_spec = dup_or_null(env_value(member(config, "Env", json_type_array), envvar), &oom);
	struct json_object *labels = member(config, "Labels", json_type_object);
	if (label)
		out->label_spec = dup_or_null(member_str(labels, label, false), &oom);
	if (!read_labels(labels, out))
		oom = true;
	out->created_ns = parse_created(member_str(root, "Created", true));
	out->stop_signal = dup_or_null(member_str(config, "StopSignal", true), &oom);
	struct json_object *stop_timeout = member(config, "StopTimeout", json_type_int);
	out->stop_timeout_s = stop_timeout ? (long)json_object_get_int64(stop_timeout) : -1;
	if (out->stop_timeout_s < 0 || out->stop_timeout_s > 86400)
		out->stop_timeout_s = -1; /* absent, "wait forever" or absurd: the default */

	struct json_object *ns = member(root, "NetworkSettings", json_type_object);
	out->top_ip = dup_or_null(member_str(ns, "IPAddress", true), &oom);
	if (!read_networks(member(ns, "Networks", json_type_object), out) ||
	    !read_ports(member(ns, "Ports", json_type_object), out))
		oom = true;
	json_object_put(root);
	if (oom) {
		dk_container_free(out);
		return fail(error, "out of memory");
	}
	return 0;
}

int dk_parse_event(const char *line, size_t len, struct dk_event *out, char **error)
{
	memset(out, 0, sizeof *out);
	struct json_object *root = parse(line, len, error);
	if (!root)
		return -1;
	/* Docker >= 1.22 fills Action and Actor; older documents and some
	 * Podman versions only status/id. */
	const char *action = member_str(root, "Action", true);
	if (!action)
		action = member_str(root, "status", true);
	struct json_object *actor = member(root, "Actor", json_type_object);
	const char *id = member_str(actor, "ID", true);
	if (!id)
		id = member_str(root, "id", true);
	struct json_object *attrs = member(actor, "Attributes", json_type_object);
	const char *name = strip_slash(member_str(attrs, "name", true));
	const char *old_name = strip_slash(member_str(attrs, "oldName", true));
	const char *signal = member_str(attrs, "signal", true);
	const char *type = member_str(root, "Type", true);
	bool network = type && strcmp(type, "network") == 0;
	if (!action || (type && !network && strcmp(type, "container") != 0)) {
		json_object_put(root);
		return fail(error, "not a container or network event");
	}
	bool oom = false;
	out->action = dup_or_null(action, &oom);
	out->network = network;
	if (network) {
		/* connect/disconnect: Actor is the network; the container is
		 * an attribute.  Network create/remove have none. */
		out->id = dup_or_null(member_str(attrs, "container", true), &oom);
	} else {
		out->id = dup_or_null(id, &oom);
		out->name = dup_or_null(name && name[0] ? name : NULL, &oom);
		out->old_name = dup_or_null(old_name && old_name[0] ? old_name : NULL, &oom);
		out->signal = dup_or_null(signal, &oom);
	}
	json_object_put(root);
	if (oom) {
		dk_event_free(out);
		return fail(error, "out of memory");
	}
	return 0;
}

char *dk_error_message(const char *body, size_t len)
{
	char *error = NULL;
	struct json_object *root = len ? parse(body, len, &error) : NULL;
	free(error);
	const char *m = member_str(root, "message", true);
	char *copy = m ? strdup(m) : NULL;
	json_object_put(root);
	return copy;
}

void dk_container_free(struct dk_container *c)
{
	free(c->id);
	free(c->name);
	free(c->status);
	free(c->health);
	free(c->env_spec);
	free(c->stop_signal);
	free(c->label_spec);
	free(c->top_ip);
	for (char **l = c->labels; l && *l; l++)
		free(*l);
	free(c->labels);
	for (size_t i = 0; i < c->n_networks; i++) {
		free(c->networks[i].name);
		free(c->networks[i].ip);
	}
	free(c->networks);
	for (size_t i = 0; i < c->n_ports; i++)
		free(c->ports[i].host_ip);
	free(c->ports);
	memset(c, 0, sizeof *c);
}

void dk_event_free(struct dk_event *e)
{
	free(e->action);
	free(e->id);
	free(e->name);
	free(e->old_name);
	free(e->signal);
	memset(e, 0, sizeof *e);
}
