/*
 * libcurl multi on the core loop (the pattern of curl's
 * docs/examples/ephiperfifo.c): CURLMOPT_SOCKETFUNCTION says which sockets
 * to watch, CURLMOPT_TIMERFUNCTION when to call libcurl back.  Finished
 * transfers are drained with curl_multi_info_read in a loop and their
 * callbacks run after libcurl has let go of them.  Connections stay in the
 * multi handle's cache: bursts reuse them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dlist.h"
#include "http_multi.h"

#define CONNECT_TIMEOUT_CAP_MS 5000L
#define FIRST_BUFFER_BYTES 16384u

struct http_socket {
	struct bh_http *client;
	curl_socket_t fd;
	struct bh_watch *watch;
	struct http_socket *next;
};

struct bh_http_request {
	struct bh_http *client;
	CURL *easy;
	struct curl_slist *headers;
	char *body; /* our copy: libcurl reads it during the transfer */
	bh_http_done_cb done;
	bh_http_chunk_cb chunk;
	void *arg;
	size_t max_bytes;
	char *buf;
	size_t len;
	size_t cap;
	bool too_large;
	bool stream_refused; /* stream answered non-2xx: body buffered */
	char errbuf[CURL_ERROR_SIZE];
	struct bh_http_request *prev, *next;
};

struct bh_http {
	const struct bh_host_api *api;
	struct bh_host *host;
	CURLM *multi;
	struct bh_timer *timer;
	struct http_socket *sockets;
	struct bh_http_request *requests;
	char *unix_socket, *ca, *cert, *key;
	bool insecure;
	bool draining; /* inside drain(): do not recurse */
};

static void drain(struct bh_http *c);

/* --- libcurl -> loop --- */

static void on_socket_ready(void *arg, int fd, unsigned events)
{
	struct http_socket *s = arg;
	struct bh_http *c = s->client;
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
	struct bh_http *c = arg;
	int running = 0;
	(void)curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(c);
}

static void socket_forget(struct bh_http *c, struct http_socket *s)
{
	for (struct http_socket **link = &c->sockets; *link; link = &(*link)->next) {
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
	struct bh_http *c = userp;
	struct http_socket *s = socketp;
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
	struct bh_http *c = userp;
	if (timeout_ms < 0) {
		c->api->timer_disarm(c->host, c->timer);
		return 0;
	}
	return c->api->timer_arm(c->host, c->timer, (uint64_t)timeout_ms) == 0 ? 0 : -1;
}

/* --- requests --- */

static void request_unlink(struct bh_http *c, struct bh_http_request *r)
{
	BH_DLIST_UNLINK(c->requests, r);
}

static void request_free(struct bh_http_request *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->body);
	free(r->buf);
	free(r);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct bh_http_request *r = userp;
	size_t n = size * nmemb;
	if (r->chunk && !r->stream_refused) {
		long status = 0;
		(void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (!r->chunk(r->arg, data, n))
				return CURL_WRITEFUNC_PAUSE; /* see bh_http_resume */
			return n;
		}
		r->stream_refused = true;
	}
	if (n > r->max_bytes || r->len > r->max_bytes - n) {
		r->too_large = true;
		return 0; /* libcurl aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : FIRST_BUFFER_BYTES;
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

/* libcurl leaves CURLINFO_OS_ERRNO at 0 when socket() itself failed: EMFILE
 * or ENFILE when no socket can be had right now, else 0. */
static int socket_shortage(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EMFILE || errno == ENFILE ? errno : 0;
}

static void finish(struct bh_http_request *r, CURLcode code)
{
	struct bh_http_result res = {0};
	res.body = r->buf ? r->buf : "";
	res.len = r->len;
	if (code == CURLE_OK) {
		res.transport_ok = true;
		(void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	} else if (r->too_large) {
		res.oversized = true;
		res.error = "response too large";
	} else {
		res.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);
		long os_errno = 0;
		(void)curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
		res.os_errno = os_errno ? (int)os_errno : code == CURLE_COULDNT_CONNECT ? socket_shortage() : 0;
	}
	if (r->done)
		r->done(r->arg, &res);
}

/* Runs the callbacks of finished transfers. */
static void drain(struct bh_http *c)
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
		struct bh_http_request *r = (struct bh_http_request *)(void *)priv;
		/* msg is invalid after this; the callback may add and cancel. */
		(void)curl_multi_remove_handle(c->multi, easy);
		request_unlink(c, r);
		finish(r, code);
		request_free(r);
	}
	c->draining = false;
}

static bool set_method(struct bh_http_request *r, const struct bh_http_call *call)
{
	if (!call->body)
		return curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L) == CURLE_OK;
	r->body = malloc(call->body_len + 1);
	if (!r->body)
		return false;
	memcpy(r->body, call->body, call->body_len);
	r->body[call->body_len] = '\0';
	return curl_easy_setopt(r->easy, CURLOPT_POST, 1L) == CURLE_OK &&
	       curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body) == CURLE_OK &&
	       curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len) == CURLE_OK;
}

static bool set_headers(struct bh_http_request *r, const char *const *headers)
{
	/* No "Expect: 100-continue" round trip for small bodies. */
	struct curl_slist *l = curl_slist_append(NULL, "Expect:");
	for (const char *const *h = headers; l && h && *h; h++) {
		struct curl_slist *grown = curl_slist_append(l, *h);
		if (!grown) {
			curl_slist_free_all(l);
			l = NULL;
		}
		l = grown;
	}
	r->headers = l;
	return l && curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, l) == CURLE_OK;
}

static bool set_transport(struct bh_http *c, struct bh_http_request *r, const struct bh_http_call *call)
{
	long connect_ms = call->connect_timeout_ms;
	if (connect_ms <= 0)
		connect_ms = call->timeout_ms > 0 && call->timeout_ms < CONNECT_TIMEOUT_CAP_MS
				     ? call->timeout_ms : CONNECT_TIMEOUT_CAP_MS;
	bool ok = curl_easy_setopt(r->easy, CURLOPT_URL, call->url) == CURLE_OK &&
		  /* Never follow redirects: a server must not send us elsewhere. */
		  curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "beachhead-companion/" PACKAGE_VERSION) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, call->timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 30L) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 10L) == CURLE_OK;
	/* Only HTTP(S): a URL naming another scheme such as ftp:// or file://
	 * must not make libcurl speak something else. */
#if LIBCURL_VERSION_NUM >= 0x075500
	if (ok)
		ok = curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
	if (ok)
		ok = curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
	if (ok && c->unix_socket)
		ok = curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, c->unix_socket) == CURLE_OK;
	/* Only https URLs use these. */
	if (ok)
		ok = curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L) == CURLE_OK &&
		     curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L) == CURLE_OK &&
		     (!c->ca || curl_easy_setopt(r->easy, CURLOPT_CAINFO, c->ca) == CURLE_OK) &&
		     (!c->cert || curl_easy_setopt(r->easy, CURLOPT_SSLCERT, c->cert) == CURLE_OK) &&
		     (!c->key || curl_easy_setopt(r->easy, CURLOPT_SSLKEY, c->key) == CURLE_OK);
	return ok;
}

struct bh_http_request *bh_http_start(struct bh_http *c, const struct bh_http_call *call)
{
	struct bh_http_request *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->client = c;
	r->done = call->done;
	r->chunk = call->chunk;
	r->arg = call->arg;
	r->max_bytes = call->max_bytes;
	r->easy = curl_easy_init();
	bool ok = r->easy && set_transport(c, r, call) && set_method(r, call) &&
		  set_headers(r, call->headers) &&
		  curl_easy_setopt(r->easy, CURLOPT_PRIVATE, (char *)(void *)r) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) == CURLE_OK &&
		  curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf) == CURLE_OK;
	if (!ok || curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
		request_free(r);
		return NULL;
	}
	BH_DLIST_PUSH(c->requests, r);
	return r;
}

void bh_http_cancel(struct bh_http *c, struct bh_http_request *r)
{
	if (!r)
		return;
	(void)curl_multi_remove_handle(c->multi, r->easy);
	request_unlink(c, r);
	request_free(r);
}

void bh_http_resume(struct bh_http *c, struct bh_http_request *r)
{
	(void)c;
	if (!r)
		return;
	/* Not from inside a libcurl callback (documented restriction).  May
	 * call write_cb synchronously. */
	(void)curl_easy_pause(r->easy, CURLPAUSE_CONT);
}

void bh_http_cancel_all(struct bh_http *c)
{
	while (c->requests)
		bh_http_cancel(c, c->requests);
}

static bool copy_optional(char **dst, const char *src)
{
	*dst = NULL;
	return !src || (*dst = strdup(src)) != NULL;
}

bool bh_http_library_init(const struct bh_host_api *api, struct bh_host *host)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		return true;
	api->log(host, BH_LOG_ERROR, "libcurl initialisation failed");
	return false;
}

void bh_http_library_cleanup(void)
{
	curl_global_cleanup();
}

struct bh_http *bh_http_new(const struct bh_host_api *api, struct bh_host *host,
			    const struct bh_http_options *options)
{
	struct bh_http *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->api = api;
	c->host = host;
	c->insecure = options->insecure;
	if (!copy_optional(&c->unix_socket, options->unix_socket) ||
	    !copy_optional(&c->ca, options->ca_file) ||
	    !copy_optional(&c->cert, options->cert_file) ||
	    !copy_optional(&c->key, options->key_file))
		goto fail;
	c->multi = curl_multi_init();
	c->timer = api->timer_new(host, on_timer, c);
	if (!c->multi || !c->timer ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK)
		goto fail;
	if (options->max_connections > 0 &&
	    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, options->max_connections) != CURLM_OK)
		goto fail;
	return c;
fail:
	bh_http_free(c);
	return NULL;
}

void bh_http_free(struct bh_http *c)
{
	if (!c)
		return;
	if (c->multi) {
		bh_http_cancel_all(c);
		(void)curl_multi_cleanup(c->multi);
	}
	/* Sockets libcurl did not announce as removed before the cleanup. */
	while (c->sockets)
		socket_forget(c, c->sockets);
	if (c->timer)
		c->api->timer_free(c->host, c->timer);
	free(c->unix_socket);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c);
}
