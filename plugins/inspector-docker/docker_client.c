/*
 * GET requests to the engine through libcurl's multi interface, driven by the
 * core loop (the pattern of curl's docs/examples/ephiperfifo.c): libcurl tells
 * us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call it
 * back (CURLMOPT_TIMERFUNCTION); we never block.  Finished transfers are
 * drained with curl_multi_info_read in a loop and their callbacks run after
 * libcurl has let go of them, so callbacks may start or cancel requests.
 * Connections stay in the multi handle's cache: bursts reuse them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "inspector_docker.h"

/* Concurrent connections to the engine: one for the event stream plus a few
 * for inspections; more only queue inside the engine. */
#define MAX_CONNECTIONS 6L
#define CONNECT_TIMEOUT_CAP_MS 5000L

struct dc_socket {
	struct dc_client *client;
	curl_socket_t fd;
	struct bh_watch *watch;
	struct dc_socket *next;
};

struct dc_request {
	struct dc_client *client;
	CURL *easy;
	dc_done_cb done;
	dc_chunk_cb chunk;
	void *arg;
	char *buf;
	size_t len;
	size_t cap;
	bool too_large;
	size_t max_bytes; /* cap on the buffered answer */
	bool stream_refused; /* stream answered non-200: body buffered */
	char errbuf[CURL_ERROR_SIZE];
	struct dc_request *prev, *next;
};

struct dc_client {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct dk_settings *settings;
	CURLM *multi;
	struct bh_timer *timer;
	struct dc_socket *sockets;
	struct dc_request *requests;
	char *base_url;    /* "http://localhost" for unix sockets */
	char *socket_path; /* NULL for tcp */
	char *description;
	char *ca, *cert, *key;
	bool draining; /* inside drain(): do not recurse */
};

static void drain(struct dc_client *c);

/* --- libcurl -> loop --- */

static void on_socket_ready(void *arg, int fd, unsigned events)
{
	struct dc_socket *s = arg;
	struct dc_client *c = s->client;
	int flags = 0;
	if (events & BH_EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & BH_EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & BH_EV_ERROR)
		flags |= CURL_CSELECT_ERR;
	int running = 0;
	/* s may be freed inside this call (CURL_POLL_REMOVE): not used after. */
	(void)curl_multi_socket_action(c->multi, fd, flags, &running);
	drain(c);
}

static void on_timer(void *arg)
{
	struct dc_client *c = arg;
	int running = 0;
	(void)curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(c);
}

static void socket_forget(struct dc_client *c, struct dc_socket *s)
{
	for (struct dc_socket **link = &c->sockets; *link; link = &(*link)->next) {
		if (*link == s) {
			*link = s->next;
			break;
		}
	}
	c->api->watch_remove(c->host, s->watch);
	free(s);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	struct dc_client *c = userp;
	struct dc_socket *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			(void)curl_multi_assign(c->multi, fd, NULL);
			socket_forget(c, s);
		}
		return 0;
	}
	unsigned events = 0;
	if (what & CURL_POLL_IN)
		events |= BH_EV_READ;
	if (what & CURL_POLL_OUT)
		events |= BH_EV_WRITE;
	if (s)
		return c->api->watch_set(c->host, s->watch, events) == 0 ? 0 : -1;
	s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	s->client = c;
	s->fd = fd;
	s->watch = c->api->watch_add(c->host, fd, events, on_socket_ready, s);
	if (!s->watch) {
		free(s);
		return -1;
	}
	s->next = c->sockets;
	c->sockets = s;
	(void)curl_multi_assign(c->multi, fd, s);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct dc_client *c = userp;
	if (timeout_ms < 0) {
		c->api->timer_disarm(c->host, c->timer);
		return 0;
	}
	return c->api->timer_arm(c->host, c->timer, (uint64_t)timeout_ms) == 0 ? 0 : -1;
}

/* --- requests --- */

static void request_unlink(struct dc_client *c, struct dc_request *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else if (c->requests == r)
		c->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void request_free(struct dc_request *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	free(r->buf);
	free(r);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct dc_request *r = userp;
	size_t n = size * nmemb;
	if (r->chunk && !r->stream_refused) {
		long status = 0;
		(void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		/* An error answer (e.g. 400/404 JSON) is not events: buffer it
		 * like a plain GET so that done() can show the engine's message. */
		if (status == 200) {
			if (!r->chunk(r->arg, data, n))
				return CURL_WRITEFUNC_PAUSE; /* see dc_resume */
			return n;
		}
		r->stream_refused = true;
	}
	size_t max = r->max_bytes;
	if (n > max || r->len > max - n) {
		r->too_large = true;
		return 0; /* libcurl aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *grown = realloc(r->buf, cap);
		if (!grown)
			return 0;
		r->buf = grown;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static void finish(struct dc_client *c, struct dc_request *r, CURLcode code)
{
	struct dc_result res = {0};
	char *message = NULL;
	res.body = r->buf ? r->buf : "";
	res.len = r->len;
	if (code == CURLE_OK) {
		res.transport_ok = true;
		(void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	} else if (r->too_large) {
		res.oversized = true;
		if (asprintf(&message, "response larger than %s (%zu)",
			     r->max_bytes == c->settings->max_response_bytes ? "max_response_bytes"
									   : "max_list_bytes",
			     r->max_bytes) < 0)
			message = NULL;
		res.error = message ? message : "response too large";
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		/* libcurl's own text carries the elapsed milliseconds, which
		 * differ every time: a stable text lets callers log a stuck
		 * request once, not once per attempt. */
		if (asprintf(&message, "%s: no answer within %ld ms", dc_describe(c),
			     c->settings->timeout_ms) < 0)
			message = NULL;
		res.error = message ? message : curl_easy_strerror(code);
	} else {
		if (asprintf(&message, "%s: %s", dc_describe(c),
			     r->errbuf[0] ? r->errbuf : curl_easy_strerror(code)) < 0)
			message = NULL;
		res.error = message ? message : curl_easy_strerror(code);
	}
	if (r->done)
		r->done(r->arg, &res);
	free(message);
}

/* Runs the callbacks of finished transfers. */
static void drain(struct dc_client *c)
{
	if (c->draining)
		return;
	c->draining = true;
	CURLMsg *msg;
	int left = 0;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		char *priv = NULL;
		(void)curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		struct dc_request *r = (struct dc_request *)(void *)priv;
		/* msg is invalid after this; the callback may add and cancel. */
		(void)curl_multi_remove_handle(c->multi, easy);
		request_unlink(c, r);
		finish(c, r, code);
		request_free(r);
	}
	c->draining = false;
}

static struct dc_request *request_new(struct dc_client *c, const char *path, bool stream)
{
	struct dc_request *r = calloc(1, sizeof *r);
	char *url = NULL;
	if (!r || asprintf(&url, "%s%s", c->base_url, path) < 0) {
		free(r);
		return NULL;
	}
	r->client = c;
	r->max_bytes = c->settings->max_response_bytes;
	r->easy = curl_easy_init();
	const struct dk_settings *st = c->settings;
	long connect_ms = st->timeout_ms < CONNECT_TIMEOUT_CAP_MS ? st->timeout_ms : CONNECT_TIMEOUT_CAP_MS;
	bool ok = r->easy &&
		  curl_easy_setopt(r->easy, CURLOPT_URL, url) == CURLE_OK &&
		  /* GET only (the default, stated); never follow redirects. */
		  curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_PRIVATE, (char *)(void *)r) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "beachhead-companion/" PACKAGE_VERSION) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK &&
		  /* A stream has no end by design; requests must not hang. */
		  curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, stream ? 0L : st->timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 30L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 10L) == CURLE_OK;
	/* Only HTTP(S): a url (or $DOCKER_HOST) naming another scheme such as
	 * ftp:// or file:// must not make libcurl speak something else. */
#if LIBCURL_VERSION_NUM >= 0x075500
	if (ok)
		ok = curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
	if (ok)
		ok = curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
	if (ok && c->socket_path)
		ok = curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, c->socket_path) == CURLE_OK;
	if (ok && st->tls) {
		ok = curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, st->tls_verify ? 1L : 0L) == CURLE_OK &&
		     curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, st->tls_verify ? 2L : 0L) == CURLE_OK &&
		     (!c->ca || curl_easy_setopt(r->easy, CURLOPT_CAINFO, c->ca) == CURLE_OK) &&
		     (!c->cert || curl_easy_setopt(r->easy, CURLOPT_SSLCERT, c->cert) == CURLE_OK) &&
		     (!c->key || curl_easy_setopt(r->easy, CURLOPT_SSLKEY, c->key) == CURLE_OK);
	}
	free(url);
	if (!ok) {
		request_free(r);
		return NULL;
	}
	return r;
}

static struct dc_request *submit(struct dc_client *c, struct dc_request *r)
{
	if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
		request_free(r);
		return NULL;
	}
	r->next = c->requests;
	if (c->requests)
		c->requests->prev = r;
	c->requests = r;
	return r;
}

struct dc_request *dc_get(struct dc_client *c, const char *path, dc_done_cb done, void *arg)
{
	struct dc_request *r = request_new(c, path, false);
	if (!r)
		return NULL;
	r->done = done;
	r->arg = arg;
	return submit(c, r);
}

struct dc_request *dc_get_max(struct dc_client *c, const char *path, size_t max_bytes,
			      dc_done_cb done, void *arg)
{
	struct dc_request *r = request_new(c, path, false);
	if (!r)
		return NULL;
	r->max_bytes = max_bytes;
	r->done = done;
	r->arg = arg;
	return submit(c, r);
}

struct dc_request *dc_stream(struct dc_client *c, const char *path, dc_chunk_cb chunk,
			     dc_done_cb done, void *arg)
{
	struct dc_request *r = request_new(c, path, true);
	if (!r)
		return NULL;
	r->done = done;
	r->chunk = chunk;
	r->arg = arg;
	return submit(c, r);
}

void dc_cancel(struct dc_client *c, struct dc_request *r)
{
	if (!r)
		return;
	(void)curl_multi_remove_handle(c->multi, r->easy);
	request_unlink(c, r);
	request_free(r);
}

void dc_resume(struct dc_client *c, struct dc_request *r)
{
	(void)c;
	if (!r)
		return;
	/* Not from inside a libcurl callback (documented restriction): the
	 * callers run from loop timers.  May call write_cb synchronously. */
	(void)curl_easy_pause(r->easy, CURLPAUSE_CONT);
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
	int rc;
	if (strncmp(url, "unix://", 7) == 0) {
		c->socket_path = strdup(url + 7);
		c->base_url = strdup("http://localhost");
		rc = asprintf(&c->description, "engine at unix socket %s", url + 7);
	} else if (strncmp(url, "tcp://", 6) == 0) {
		rc = asprintf(&c->base_url, "%s://%s", c->settings->tls ? "https" : "http", url + 6);
		/* asprintf leaves the pointer undefined on failure: dc_free
		 * would free garbage. */
		if (rc < 0)
			c->base_url = NULL;
		if (rc >= 0)
			rc = asprintf(&c->description, "engine at %s", c->base_url);
	} else {
		c->base_url = strdup(url);
		rc = asprintf(&c->description, "engine at %s", url);
	}
	if (rc < 0)
		c->description = NULL;
	if (!c->base_url || !c->description || (strncmp(url, "unix://", 7) == 0 && !c->socket_path))
		return -1;
	/* No trailing '/': paths start with one. */
	size_t len = strlen(c->base_url);
	while (len > 0 && c->base_url[len - 1] == '/')
		c->base_url[--len] = '\0';
	return 0;
}

static char *cert_file(const char *dir, const char *name)
{
	char *path = NULL;
	if (!dir || asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	return path;
}

struct dc_client *dc_new(const struct bh_host_api *api, struct bh_host *host,
			 const struct dk_settings *settings)
{
	struct dc_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->api = api;
	c->host = host;
	c->settings = settings;
	if (parse_url(c, settings->url) < 0)
		goto fail;
	if (settings->tls && settings->cert_path) {
		c->ca = cert_file(settings->cert_path, "ca.pem");
		c->cert = cert_file(settings->cert_path, "cert.pem");
		c->key = cert_file(settings->cert_path, "key.pem");
		if (!c->ca || !c->cert || !c->key)
			goto fail;
	}
	c->multi = curl_multi_init();
	c->timer = api->timer_new(host, on_timer, c);
	if (!c->multi || !c->timer ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, MAX_CONNECTIONS) != CURLM_OK)
		goto fail;
	return c;
fail:
	dc_free(c);
	return NULL;
}

void dc_free(struct dc_client *c)
{
	if (!c)
		return;
	if (c->multi) {
		dc_cancel_all(c);
		(void)curl_multi_cleanup(c->multi);
	}
	/* Sockets libcurl did not announce as removed before the cleanup. */
	while (c->sockets)
		socket_forget(c, c->sockets);
	if (c->timer)
		c->api->timer_free(c->host, c->timer);
	free(c->base_url);
	free(c->socket_path);
	free(c->description);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c);
}
