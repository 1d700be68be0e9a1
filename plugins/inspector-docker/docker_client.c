/*
 * The engine's HTTP API: GET requests and the event stream, over the
 * plugins' shared libcurl-multi adapter (plugins/common/http_multi.c).  This
 * layer adds what is Docker's: the endpoint forms of the url setting
 * (unix://, tcp://, http(s)://), DOCKER_CERT_PATH-style TLS files, the
 * engine's size and time limits, and messages that name the engine.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_multi.h"
#include "docker_client.h"
#include <beachhead/sdk.h>

/* Connections to the engine beside the inspections (max_inspections): the
 * event stream, the listing, /version.  Inspections that never answer must
 * not leave a request queued inside libcurl behind them. */
#define OTHER_CONNECTIONS 3L
/* Also for the event stream, which has no total timeout. */
#define CONNECT_TIMEOUT_CAP_MS 5000L

struct dc_request {
	struct dc_client *client;
	struct bh_http_request *http;
	size_t max_bytes; /* cap on the buffered answer */
	dc_done_cb done;
	dc_chunk_cb chunk;
	void *arg;
	struct dc_request *prev, *next;
};

struct dc_client {
	const struct docker_config *config;
	struct bh_http *http;
	struct dc_request *requests;
	char *base_url;    /* "http://localhost" for unix sockets */
	char *socket_path; /* NULL for tcp */
	char *description;
	char *api_prefix;  /* "/v1.43", "" (unversioned), NULL before the first */
};

static void request_unlink(struct dc_client *c, struct dc_request *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else if (c->requests == r)
		c->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
}

static bool on_chunk(void *arg, const char *data, size_t len)
{
	struct dc_request *r = arg;
	return r->chunk(r->arg, data, len);
}

/* Engine-specific wording of the adapter's failures. */
static void on_done(void *arg, const struct bh_http_result *http)
{
	struct dc_request *r = arg;
	struct dc_client *c = r->client;
	struct dc_result res = {
		.transport_ok = http->transport_ok,
		.oversized = http->oversized,
		.status = http->status,
		.body = http->body,
		.len = http->len,
	};
	char *message = NULL;
	if (http->oversized) {
		message = bh_strfmt("response larger than %s (%zu)",
				    r->max_bytes == c->config->max_response_bytes ? "max_response_bytes"
										   : "max_list_bytes",
				    r->max_bytes);
		res.error = message ? message : "response too large";
	} else if (!http->transport_ok) {
		/* libcurl words a unix-socket failure as "localhost port 80" and
		 * hides EMFILE behind "Couldn't connect": say what the OS said. */
		int os = http->os_errno;
		if (os && (c->socket_path || os == EMFILE || os == ENFILE))
			message = bh_strfmt("%s: cannot connect: %s", c->description, strerror(os));
		else
			message = bh_strfmt("%s: %s", c->description, http->error);
		res.error = message ? message : http->error;
	}
	request_unlink(c, r);
	if (r->done)
		r->done(r->arg, &res);
	free(message);
	free(r);
}

static struct dc_request *start(struct dc_client *c, const char *path, size_t max_bytes,
				dc_chunk_cb chunk, dc_done_cb done, void *arg)
{
	struct dc_request *r = calloc(1, sizeof *r);
	char *url = bh_strfmt("%s%s", c->base_url, path);
	if (!r || !url)
		goto fail;
	r->client = c;
	r->max_bytes = max_bytes;
	r->done = done;
	r->chunk = chunk;
	r->arg = arg;
	struct bh_http_call call = {
		.url = url,
		.max_bytes = max_bytes,
		/* A stream has no end by design; requests must not hang. */
		.timeout_ms = chunk ? 0L : c->config->timeout_ms,
		.connect_timeout_ms = c->config->timeout_ms < CONNECT_TIMEOUT_CAP_MS
					      ? c->config->timeout_ms : CONNECT_TIMEOUT_CAP_MS,
		.chunk = chunk ? on_chunk : NULL,
		.done = on_done,
		.arg = r,
	};
	r->http = bh_http_start(c->http, &call);
	if (!r->http)
		goto fail;
	free(url);
	r->next = c->requests;
	if (c->requests)
		c->requests->prev = r;
	c->requests = r;
	return r;
fail:
	free(url);
	free(r);
	return NULL;
}

struct dc_request *dc_get(struct dc_client *c, const char *path, dc_done_cb done, void *arg)
{
	return start(c, path, c->config->max_response_bytes, NULL, done, arg);
}

struct dc_request *dc_get_max(struct dc_client *c, const char *path, size_t max_bytes,
			      dc_done_cb done, void *arg)
{
	return start(c, path, max_bytes, NULL, done, arg);
}

struct dc_request *dc_stream(struct dc_client *c, const char *path, dc_chunk_cb chunk,
			     dc_done_cb done, void *arg)
{
	return start(c, path, c->config->max_response_bytes, chunk, done, arg);
}

void dc_cancel(struct dc_client *c, struct dc_request *r)
{
	if (!r)
		return;
	bh_http_cancel(c->http, r->http);
	request_unlink(c, r);
	free(r);
}

void dc_resume(struct dc_client *c, struct dc_request *r)
{
	if (r)
		bh_http_resume(c->http, r->http);
}

void dc_cancel_all(struct dc_client *c)
{
	while (c->requests)
		dc_cancel(c, c->requests);
}

const char *dc_describe(const struct dc_client *c)
{
	return c->description;
}

/* Builds base URL and socket path from the url setting. */
static int parse_url(struct dc_client *c, const char *url)
{
	if (strncmp(url, "unix://", 7) == 0) {
		c->socket_path = strdup(url + 7);
		c->base_url = strdup("http://localhost");
		c->description = bh_strfmt("engine at unix socket %s", url + 7);
		if (!c->socket_path)
			return -1;
	} else if (strncmp(url, "tcp://", 6) == 0) {
		c->base_url = bh_strfmt("%s://%s", c->config->tls ? "https" : "http", url + 6);
		if (c->base_url)
			c->description = bh_strfmt("engine at %s", c->base_url);
	} else {
		c->base_url = strdup(url);
		c->description = bh_strfmt("engine at %s", url);
	}
	if (!c->base_url || !c->description)
		return -1;
	/* No trailing '/': paths start with one. */
	size_t len = strlen(c->base_url);
	while (len > 0 && c->base_url[len - 1] == '/')
		c->base_url[--len] = '\0';
	return 0;
}

static char *cert_file(const char *dir, const char *name)
{
	return dir ? bh_strfmt("%s/%s", dir, name) : NULL;
}

struct dc_client *dc_new(const struct bh_host_api *api, struct bh_host *host,
			 const struct docker_config *config)
{
	struct dc_client *c = calloc(1, sizeof *c);
	char *ca = NULL, *cert = NULL, *key = NULL;
	if (!c)
		return NULL;
	c->config = config;
	if (parse_url(c, config->url) < 0)
		goto fail;
	if (config->tls && config->cert_path) {
		ca = cert_file(config->cert_path, "ca.pem");
		cert = cert_file(config->cert_path, "cert.pem");
		key = cert_file(config->cert_path, "key.pem");
		if (!ca || !cert || !key)
			goto fail;
	}
	struct bh_http_options options = {
		.unix_socket = c->socket_path,
		.ca_file = ca,
		.cert_file = cert,
		.key_file = key,
		.insecure = config->tls && !config->tls_verify,
		.max_connections = (long)config->max_inspections + OTHER_CONNECTIONS,
	};
	c->http = bh_http_new(api, host, &options);
	if (!c->http)
		goto fail;
	free(ca);
	free(cert);
	free(key);
	return c;
fail:
	free(ca);
	free(cert);
	free(key);
	dc_free(c);
	return NULL;
}

void dc_free(struct dc_client *c)
{
	if (!c)
		return;
	if (c->http) {
		dc_cancel_all(c);
		bh_http_free(c->http);
	}
	while (c->requests) {
		struct dc_request *r = c->requests;
		c->requests = r->next;
		free(r);
	}
	free(c->base_url);
	free(c->socket_path);
	free(c->description);
	free(c->api_prefix);
	free(c);
}

bool dc_set_api_prefix(struct dc_client *c, const char *prefix)
{
	char *copy = strdup(prefix);
	if (!copy)
		return false;
	free(c->api_prefix);
	c->api_prefix = copy;
	return true;
}

const char *dc_api_prefix(const struct dc_client *c)
{
	return c->api_prefix ? c->api_prefix : "";
}
