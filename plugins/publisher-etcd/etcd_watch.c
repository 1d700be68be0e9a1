/*
 * What etcd holds under one prefix, kept current: one ranged read (the
 * snapshot), then the gateway's /v3/watch stream from the revision after
 * it.  Both are reported upward through callbacks; this file decides
 * nothing about the keys.
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
#include "etcd_publisher.h"

#define RETRY_MIN_MS 200u
#define RETRY_MAX_MS 5000u
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

static void on_snapshot(void *arg, const struct etcd_reply *reply)
{
	struct etcd_watch *w = arg;
	w->read = NULL;
	if (!reply->ok) {
		retry_later(w, reply->error ? reply->error : "?", false);
		if (w->cb.failed)
			w->cb.failed(w->arg, reply);
		return;
	}
	json_object *header = NULL, *kvs = NULL;
	(void)json_object_object_get_ex(reply->json, "header", &header);
	int64_t revision = int64_member(header, "revision");
	if (revision <= 0) {
		retry_later(w, "a range answer without a revision", false);
		return;
	}
	w->cb.snapshot_begin(w->arg);
	if (json_object_object_get_ex(reply->json, "kvs", &kvs) && json_object_is_type(kvs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(kvs); i++)
			report_kv(w, json_object_array_get_idx(kvs, i), false, true);
	w->next_revision = revision + 1;
	w->lost_logged = false; /* read again: the next loss is news */
	w->cb.snapshot_end(w->arg, revision);
	if (w->running) /* snapshot_end may stop the watch */
		open_stream(w);
}

static void resync(struct etcd_watch *w)
{
	if (!w->running || w->read)
		return;
	etcd_stream_cancel(w->client, w->stream);
	w->stream = NULL;
	json_object *body = json_object_new_object();
	bool ok = body && etcd_json_add_b64(body, "key", w->prefix) &&
		  etcd_json_add_b64(body, "range_end", w->range_end);
	if (!ok) {
		json_object_put(body);
		retry_later(w, "out of memory", false);
		return;
	}
	w->read = etcd_call(w->client, "/v3/kv/range", body, on_snapshot, w);
	if (!w->read)
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
	free(w->buf);
	free(w);
}
