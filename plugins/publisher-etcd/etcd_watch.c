/*
 * What etcd holds under one prefix, kept current: one ranged read (the
 * snapshot), then the gateway's /v3/watch stream from the revision after
 * it.  Both are reported upward through callbacks; this file decides
 * nothing about the keys.
 *
 * The snapshot is read in pages at one revision: an answer may hold 8 MiB
 * (MAX_ANSWER_BYTES), and anyone who may write the namespace can put 1.5 MiB
 * values there, so a page too large to take is asked again with half as
 * many keys (down to one), and later pages start from there.  A big
 * namespace costs more requests; it never stops the daemon from writing.
 *
 * A lost watch (compacted below our revision: "compact_revision", canceled,
 * an error document, a broken or ended stream) falls back to one ranged read
 * and resumes from there: the snapshot tells the publisher what changed
 * while nobody watched.  Compaction resyncs at once; failures wait with
 * capped backoff, like every other retry of the plugin.  When the client's
 * calls move to another member (a timeout: the member may be frozen with
 * the stream's connection still open), the watch follows them.
 *
 * libcurl hands stream bytes over from inside its write callback, where
 * nothing may call the client: the bytes are buffered and a zero-delay
 * timer hands complete lines (one JSON document each) up from the loop.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/backoff.h"
#include "etcd_watch.h"
#include "etcd_json.h"

#define RETRY_MIN_MS 200u
#define RETRY_MAX_MS 5000u
/* Keys per page of the snapshot at first: one page for a usual namespace. */
#define FIRST_PAGE_KEYS 1000
/* One watch answer carries a batch of events; far beyond any namespace. */
#define MAX_LINE_BYTES (16u * 1024u * 1024u)

struct etcd_watch {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct etcd_client *client;
	char *prefix, *range_end;
	struct etcd_watch_callbacks cb;
	void *arg;

	bool running;           /* start() called, stop() not */
	struct etcd_call *read; /* the snapshot under way */
	int64_t page_revision;  /* the snapshot's revision; 0 before its first page */
	char *page_key;         /* where the next page starts (raw bytes) */
	size_t page_key_len;
	int64_t page_limit;     /* keys per page */
	struct bh_http_request *stream;
	const char *stream_endpoint; /* the member it streams from */
	int64_t next_revision;  /* where the stream resumes */
	char *buf;
	size_t len, cap;
	bool broken;            /* the stream was dropped by us (bad data) */
	struct bh_timer *lines_timer;
	struct bh_timer *retry_timer;
	struct bh_backoff backoff;
	bool lost_logged;
};

static void resync(struct etcd_watch *w);
static void open_stream(struct etcd_watch *w);
static bool read_page(struct etcd_watch *w);

static int64_t int64_member(json_object *o, const char *name)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

/* A watch or range "kv" object -> struct etcd_kv; false when malformed. */
static bool decode_kv(json_object *o, struct etcd_kv *kv, char **key, char **value)
{
	json_object *k = NULL, *v = NULL;
	*key = *value = NULL;
	if (!json_object_object_get_ex(o, "key", &k) || !json_object_is_type(k, json_type_string))
		return false;
	size_t klen = 0;
	*key = etcd_b64_decode(json_object_get_string(k), &klen);
	if (!*key || klen != strlen(*key))
		return false; /* a key with a NUL inside is none of ours */
	kv->key = *key;
	kv->value = "";
	kv->value_len = 0;
	if (json_object_object_get_ex(o, "value", &v) && json_object_is_type(v, json_type_string)) {
		*value = etcd_b64_decode(json_object_get_string(v), &kv->value_len);
		if (!*value)
			return false;
		kv->value = *value;
	}
	kv->lease = int64_member(o, "lease");
	kv->mod_revision = int64_member(o, "mod_revision");
	kv->create_revision = int64_member(o, "create_revision");
	return true;
}

static void report_kv(struct etcd_watch *w, json_object *o, bool deleted, bool snapshot)
{
	struct etcd_kv kv = {0};
	char *key = NULL, *value = NULL;
	if (decode_kv(o, &kv, &key, &value)) {
		kv.deleted = deleted;
		w->cb.kv(w->arg, &kv, snapshot);
	}
	free(key);
	free(value);
}

/* ---------------------------------------------------------------- retries */

static void retry_later(struct etcd_watch *w, const char *why, bool at_once)
{
	if (!w->running)
		return;
	if (!w->lost_logged)
		w->api->log(w->host, at_once ? BH_LOG_INFO : BH_LOG_DEBUG,
			    "etcd: the watch on %s is lost (%s); reading it again", w->prefix, why);
	w->lost_logged = !at_once;
	uint64_t delay = at_once ? 0 : bh_backoff_next(&w->backoff);
	if (w->api->timer_arm(w->host, w->retry_timer, delay) < 0)
		w->api->log(w->host, BH_LOG_ERROR, "etcd: cannot arm the watch's retry timer");
}

static void on_retry_timer(void *arg)
{
	resync(arg);
}

/* --------------------------------------------------------------- snapshot */

/* The next page starts just after the last key of this one. */
static bool next_page_key(struct etcd_watch *w, json_object *kvs)
{
	json_object *last = json_object_array_get_idx(kvs, json_object_array_length(kvs) - 1), *k = NULL;
	size_t len = 0;
	char *key = json_object_object_get_ex(last, "key", &k) && json_object_is_type(k, json_type_string)
			    ? etcd_b64_decode(json_object_get_string(k), &len) : NULL;
	char *next = key ? realloc(key, len + 1) : NULL;
	if (!next) {
		free(key);
		return false;
	}
	next[len] = '\0';
	free(w->page_key);
	w->page_key = next;
	w->page_key_len = len + 1;
	return true;
}

static void snapshot_failed(struct etcd_watch *w, const struct etcd_reply *reply)
{
	retry_later(w, reply->error ? reply->error : "?", false);
	if (w->cb.failed)
		w->cb.failed(w->arg, reply);
}

static void on_snapshot(void *arg, const struct etcd_reply *reply)
{
	struct etcd_watch *w = arg;
	w->read = NULL;
	if (!reply->ok && w->page_limit > 1 && reply->error && strstr(reply->error, "response too large")) {
		w->page_limit /= 2; /* the same page, fewer keys */
		if (!read_page(w))
			retry_later(w, "cannot queue the read (out of memory)", false);
		return;
	}
	if (!reply->ok && w->page_revision && reply->error && strstr(reply->error, "compacted")) {
		retry_later(w, reply->error, true); /* compacted between two pages */
		return;
	}
	if (!reply->ok) {
		snapshot_failed(w, reply);
		return;
	}
	json_object *kvs = NULL, *more = NULL;
	/* Later pages are read at the first one's revision (their header
	 * has the store's current one). */
	int64_t revision = w->page_revision ? w->page_revision : etcd_reply_revision(reply);
	if (revision <= 0) {
		retry_later(w, "a range answer without a revision", false);
		return;
	}
	if (!w->page_revision)
		w->cb.snapshot_begin(w->arg);
	w->page_revision = revision;
	if (json_object_object_get_ex(reply->json, "kvs", &kvs) && json_object_is_type(kvs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(kvs) && w->running; i++)
			report_kv(w, json_object_array_get_idx(kvs, i), false, true);
	if (!w->running)
		return;
	if (json_object_object_get_ex(reply->json, "more", &more) && json_object_get_boolean(more) && kvs &&
	    json_object_array_length(kvs) > 0) {
		if (!next_page_key(w, kvs) || !read_page(w))
			retry_later(w, "cannot queue the read (out of memory)", false);
		return;
	}
	w->next_revision = revision + 1;
	w->lost_logged = false; /* read again: the next loss is news */
	w->cb.snapshot_end(w->arg, revision);
	if (w->running) /* snapshot_end may stop the watch */
		open_stream(w);
}

/* {"key": page_key, "range_end", "limit"[, "revision"]}: one page. */
static bool read_page(struct etcd_watch *w)
{
	json_object *body = json_object_new_object();
	bool ok = body && etcd_json_add_string(body, "key", etcd_b64_encode(w->page_key, w->page_key_len)) &&
		  etcd_json_add_b64(body, "range_end", w->range_end) &&
		  json_object_object_add(body, "limit", json_object_new_int64(w->page_limit)) == 0 &&
		  (!w->page_revision || etcd_json_add_lease(body, "revision", w->page_revision));
	if (!ok) {
		json_object_put(body);
		return false;
	}
	w->read = etcd_call_start(w->client, "/v3/kv/range", body, on_snapshot, w);
	return w->read != NULL;
}

static void resync(struct etcd_watch *w)
{
	if (!w->running || w->read)
		return;
	etcd_stream_cancel(w->client, w->stream);
	w->stream = NULL;
	free(w->page_key);
	w->page_key = strdup(w->prefix);
	w->page_key_len = strlen(w->prefix);
	w->page_revision = 0;
	w->page_limit = FIRST_PAGE_KEYS;
	if (!w->page_key || !read_page(w))
		retry_later(w, "cannot queue the read (out of memory)", false);
}

/* ----------------------------------------------------------------- stream */

/* One document of the stream.  False: the watch is lost (resync). */
static bool handle_document(struct etcd_watch *w, const char *line, size_t len, bool *at_once,
			    char **why)
{
	json_object *doc = json_tokener_parse(line), *result = NULL, *events = NULL, *v = NULL;
	(void)len;
	bool keep = true;
	if (!doc || !json_object_object_get_ex(doc, "result", &result)) {
		json_object *error = NULL, *message = NULL;
		if (doc && json_object_object_get_ex(doc, "error", &error))
			(void)json_object_object_get_ex(error, "message", &message);
		*why = bh_strfmt("%s", message ? json_object_get_string(message) : "not a watch answer");
		json_object_put(doc);
		return false;
	}
	if (int64_member(result, "compact_revision") > 0) {
		*why = bh_strfmt("compacted at revision %lld", (long long)int64_member(result, "compact_revision"));
		*at_once = true;
		keep = false;
	} else if (json_object_object_get_ex(result, "canceled", &v) && json_object_get_boolean(v)) {
		json_object *reason = NULL;
		(void)json_object_object_get_ex(result, "cancel_reason", &reason);
		*why = bh_strfmt("canceled: %s", reason ? json_object_get_string(reason) : "no reason given");
		keep = false;
	} else if (json_object_object_get_ex(result, "events", &events) &&
		   json_object_is_type(events, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(events) && w->running; i++) {
			json_object *ev = json_object_array_get_idx(events, i), *type = NULL, *kv = NULL;
			bool deleted = json_object_object_get_ex(ev, "type", &type) &&
				       json_object_is_type(type, json_type_string) &&
				       strcmp(json_object_get_string(type), "DELETE") == 0;
			if (json_object_object_get_ex(ev, "kv", &kv)) {
				int64_t rev = int64_member(kv, "mod_revision");
				if (rev >= w->next_revision)
					w->next_revision = rev + 1;
				report_kv(w, kv, deleted, false);
			}
		}
	}
	if (keep)
		bh_backoff_reset(&w->backoff);
	json_object_put(doc);
	return keep;
}

static void on_lines_timer(void *arg)
{
	struct etcd_watch *w = arg;
	size_t start = 0;
	while (w->running && w->stream && start < w->len) {
		char *nl = memchr(w->buf + start, '\n', w->len - start);
		if (!nl)
			break;
		*nl = '\0';
		size_t end = (size_t)(nl - w->buf);
		bool at_once = false;
		char *why = NULL;
		if (end > start && !handle_document(w, w->buf + start, end - start, &at_once, &why)) {
			retry_later(w, why ? why : "out of memory", at_once);
			free(why);
			etcd_stream_cancel(w->client, w->stream);
			w->stream = NULL;
			w->len = 0;
			return;
		}
		start = end + 1;
	}
	if (start > 0 && start <= w->len) {
		memmove(w->buf, w->buf + start, w->len - start);
		w->len -= start;
	}
}

/* From inside libcurl: buffer only. */
static bool on_chunk(void *arg, const char *data, size_t n)
{
	struct etcd_watch *w = arg;
	if (w->broken)
		return true;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n + 1 && cap <= MAX_LINE_BYTES)
			cap *= 2;
		char *grown = cap >= w->len + n + 1 ? realloc(w->buf, cap) : NULL;
		if (!grown) {
			w->broken = true; /* the timer drops the stream */
			(void)w->api->timer_arm(w->host, w->lines_timer, 0);
			return true;
		}
		w->buf = grown;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	w->buf[w->len] = '\0';
	(void)w->api->timer_arm(w->host, w->lines_timer, 0);
	return true;
}

static void on_stream_done(void *arg, const struct bh_http_result *res)
{
	struct etcd_watch *w = arg;
	w->stream = NULL;
	w->len = 0;
	char *why = res->transport_ok ? bh_strfmt("the stream ended (HTTP %ld%s%.200s)", res->status,
						  res->len ? ": " : "", res->body)
				      : bh_strfmt("%s", res->error ? res->error : "transport failure");
	retry_later(w, why ? why : "the stream ended", false);
	free(why);
}

static void on_broken_check(struct etcd_watch *w)
{
	if (!w->broken)
		return;
	w->broken = false;
	etcd_stream_cancel(w->client, w->stream);
	w->stream = NULL;
	w->len = 0;
	retry_later(w, "an answer too large to buffer", false);
}

static void open_stream(struct etcd_watch *w)
{
	json_object *create = json_object_new_object(), *body = json_object_new_object();
	bool ok = create && body && etcd_json_add_b64(create, "key", w->prefix) &&
		  etcd_json_add_b64(create, "range_end", w->range_end) &&
		  json_object_object_add(create, "start_revision", json_object_new_int64(w->next_revision)) == 0 &&
		  json_object_object_add(body, "create_request", create) == 0;
	if (!ok) {
		json_object_put(create);
		json_object_put(body);
		retry_later(w, "out of memory", false);
		return;
	}
	w->len = 0;
	w->broken = false;
	w->stream_endpoint = etcd_endpoint(w->client);
	w->stream = etcd_stream(w->client, "/v3/watch", body, on_chunk, on_stream_done, w);
	if (!w->stream)
		retry_later(w, "cannot start the stream", false);
}

/* -------------------------------------------------------------- interface */

static void on_lines(void *arg)
{
	struct etcd_watch *w = arg;
	on_broken_check(w);
	on_lines_timer(w);
}

struct etcd_watch *etcd_watch_new(const struct bh_host_api *api, struct bh_host *host,
				  struct etcd_client *client, const char *prefix,
				  const struct etcd_watch_callbacks *cb, void *arg)
{
	struct etcd_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->api = api;
	w->host = host;
	w->client = client;
	w->cb = *cb;
	w->arg = arg;
	bh_backoff_init(&w->backoff, RETRY_MIN_MS, RETRY_MAX_MS);
	w->prefix = strdup(prefix);
	w->range_end = etcd_prefix_end(prefix);
	w->lines_timer = api->timer_new(host, on_lines, w);
	w->retry_timer = api->timer_new(host, on_retry_timer, w);
	if (!w->prefix || !w->range_end || !w->lines_timer || !w->retry_timer) {
		etcd_watch_free(w);
		return NULL;
	}
	return w;
}

void etcd_watch_start(struct etcd_watch *w)
{
	if (w->running)
		return;
	w->running = true;
	bh_backoff_reset(&w->backoff);
	resync(w);
}

void etcd_watch_stop(struct etcd_watch *w)
{
	w->running = false;
	etcd_cancel(w->client, w->read);
	w->read = NULL;
	etcd_stream_cancel(w->client, w->stream);
	w->stream = NULL;
	w->len = 0;
	w->api->timer_disarm(w->host, w->retry_timer);
	w->api->timer_disarm(w->host, w->lines_timer);
}

void etcd_watch_follow_client(struct etcd_watch *w)
{
	/* A frozen member keeps the connection open and says nothing: the
	 * client's calls moved on (timeouts), so does the stream. */
	if (w->running && w->stream && etcd_endpoint(w->client) != w->stream_endpoint) {
		w->api->log(w->host, BH_LOG_DEBUG, "etcd: the watch on %s moves to %s", w->prefix,
			    etcd_endpoint(w->client));
		resync(w);
	}
}

void etcd_watch_free(struct etcd_watch *w)
{
	if (!w)
		return;
	if (w->lines_timer && w->retry_timer)
		etcd_watch_stop(w);
	if (w->lines_timer)
		w->api->timer_free(w->host, w->lines_timer);
	if (w->retry_timer)
		w->api->timer_free(w->host, w->retry_timer);
	free(w->prefix);
	free(w->range_end);
	free(w->page_key);
	free(w->buf);
	free(w);
}
