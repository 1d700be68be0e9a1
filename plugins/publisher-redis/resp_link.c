/*
 * See resp_link.h.  Lifetime: the owner may free the link from inside any
 * callback the link makes; `depth` counts the link's own frames on the
 * stack and the memory is released only when the outermost one returns.
 */
#include "config.h"

#include "resp_link.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <hiredis/read.h>

#include <beachhead/sdk.h>

#include "resolve.h"

/* One read() per readiness event: level-triggered, so the loop comes back
 * for the rest and other sources get their turn. */
#define READ_CHUNK 16384u
/* TCP keepalive: find a vanished peer (no RST) within about a minute. */
#define KEEPALIVE_IDLE_S 15
#define KEEPALIVE_INTERVAL_S 5
#define KEEPALIVE_COUNT 3

struct awaiting {
	resp_reply_fn cb;
	void *privdata;
};

struct resp_link {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct resp_link_callbacks cbs;
	void *arg;

	int fd;
	struct bh_watch *watch;
	unsigned events;
	struct resolve_job *resolving; /* TCP: the host name's lookup */
	char *host_name;               /* TCP: as given, for messages */
	struct addrinfo *addresses; /* TCP: all candidates, tried in turn */
	struct addrinfo *next_address;
	char *last_connect_error;
	bool connected;
	bool closed;
	bool free_requested;
	unsigned depth; /* our frames on the stack */

	char *out; /* formatted commands not yet written */
	size_t out_len, out_off, out_cap;
	bool corked;
	char *held; /* commands sent while corked, in order */
	size_t held_len, held_cap;

	struct awaiting *queue; /* ring buffer */
	size_t queue_cap, queue_head, queue_count;

	redisReader *reader;
	redisReplyObjectFunctions functions; /* the defaults, wrapped */
	redisReplyObjectFunctions defaults;
	size_t reply_bytes; /* built so far for the reply being parsed */
	bool reply_too_big;
};

/* --- reply size bound ---
 * hiredis 0.14's maxbuf only decides when an idle buffer is shrunk, and it
 * has no limit on array sizes (a "*2000000000" header makes it calloc
 * 16 GB).  These wrappers around its default object functions count what
 * a reply builds and refuse past the cap (the reader then fails with an
 * out-of-memory error, which we report as what it is). */

static bool charge(const redisReadTask *task, size_t bytes)
{
	struct resp_link *link = task->privdata;
	link->reply_bytes += bytes;
	if (link->reply_bytes > RESP_LINK_MAX_REPLY) {
		link->reply_too_big = true;
		return false;
	}
	return true;
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
	struct resp_link *link = task->privdata;
	if (!charge(task, sizeof(redisReply) + len))
		return NULL;
	return link->defaults.createString(task, str, len);
}

static void *create_array(const redisReadTask *task, int elements)
{
	struct resp_link *link = task->privdata;
	if (elements > RESP_LINK_MAX_ELEMENTS) {
		link->reply_too_big = true;
		return NULL;
	}
	if (!charge(task, sizeof(redisReply) + (size_t)elements * sizeof(redisReply *)))
		return NULL;
	return link->defaults.createArray(task, elements);
}

static void *create_integer(const redisReadTask *task, long long value)
{
	struct resp_link *link = task->privdata;
	if (!charge(task, sizeof(redisReply)))
		return NULL;
	return link->defaults.createInteger(task, value);
}

static void *create_nil(const redisReadTask *task)
{
	struct resp_link *link = task->privdata;
	if (!charge(task, sizeof(redisReply)))
		return NULL;
	return link->defaults.createNil(task);
}

static int setup_reader(struct resp_link *link)
{
	link->reader = redisReaderCreate();
	if (!link->reader || !link->reader->fn)
		return BH_ERR;
	link->defaults = *link->reader->fn;
	link->functions = link->defaults;
	link->functions.createString = create_string;
	link->functions.createArray = create_array;
	link->functions.createInteger = create_integer;
	link->functions.createNil = create_nil;
	link->reader->fn = &link->functions;
	link->reader->privdata = link;
	return BH_OK;
}

/* --- closing --- */

static void close_socket(struct resp_link *link)
{
	if (link->resolving)
		resolve_cancel(link->resolving); /* a late answer is dropped */
	link->resolving = NULL;
	if (link->watch)
		link->api->watch_remove(link->host, link->watch);
	link->watch = NULL;
	if (link->fd >= 0)
		(void)close(link->fd);
	link->fd = -1;
	link->closed = true;
}

/* Every command still awaiting a reply learns that none will come. */
static void fail_waiting(struct resp_link *link)
{
	while (link->queue_count > 0) {
		struct awaiting a = link->queue[link->queue_head];
		link->queue_head = (link->queue_head + 1) % link->queue_cap;
		link->queue_count--;
		a.cb(link->arg, a.privdata, NULL);
	}
}

static void release(struct resp_link *link)
{
	if (link->reader)
		redisReaderFree(link->reader);
	if (link->addresses)
		freeaddrinfo(link->addresses);
	free(link->host_name);
	free(link->last_connect_error);
	free(link->out);
	free(link->held);
	free(link->queue);
	free(link);
}

/* The link broke: close, fail the waiting commands, tell the owner once. */
static void link_failed(struct resp_link *link, const char *reason)
{
	if (link->closed)
		return;
	close_socket(link);
	link->depth++;
	fail_waiting(link);
	if (!link->free_requested && link->cbs.failed)
		link->cbs.failed(link->arg, reason);
	link->depth--;
}

static void link_failedf(struct resp_link *link, const char *fmt, ...) BH_PRINTF(2, 3);
static void link_failedf(struct resp_link *link, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *reason = bh_vstrfmt(fmt, ap);
	va_end(ap);
	link_failed(link, reason ? reason : fmt);
	free(reason);
}

void resp_link_free(struct resp_link *link)
{
	if (!link || link->free_requested)
		return;
	link->free_requested = true;
	close_socket(link);
	link->depth++;
	fail_waiting(link);
	link->depth--;
	if (link->depth == 0)
		release(link);
}

/* --- writing --- */

static void set_events(struct resp_link *link, unsigned events)
{
	if (link->closed || events == link->events)
		return;
	link->events = events;
	/* epoll_ctl(MOD) on a registered fd does not fail in practice; the
	 * command timeout would still end a link stuck by it. */
	if (link->api->watch_set(link->host, link->watch, events) != BH_OK)
		BH_ERROR(link, "cannot update a redis socket's watch");
}

static void flush_output(struct resp_link *link)
{
	while (link->out_off < link->out_len) {
		ssize_t n = write(link->fd, link->out + link->out_off, link->out_len - link->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(link, BH_EV_READ | BH_EV_WRITE);
			return;
		}
		if (n < 0) {
			link_failedf(link, "write: %s", strerror(errno));
			return;
		}
		link->out_off += (size_t)n;
	}
	link->out_len = link->out_off = 0;
	set_events(link, BH_EV_READ);
}

static int append(char **buf, size_t *buf_len, size_t *buf_cap, const char *data, size_t len)
{
	if (*buf_len + len > *buf_cap) {
		size_t cap = *buf_cap ? *buf_cap : 4096;
		while (cap < *buf_len + len)
			cap *= 2;
		char *grown = realloc(*buf, cap);
		if (!grown)
			return BH_ERR;
		*buf = grown;
		*buf_cap = cap;
	}
	memcpy(*buf + *buf_len, data, len);
	*buf_len += len;
	return BH_OK;
}

static int append_output(struct resp_link *link, const char *data, size_t len)
{
	if (link->out_off > 0 && link->out_off == link->out_len)
		link->out_len = link->out_off = 0;
	return append(&link->out, &link->out_len, &link->out_cap, data, len);
}

void resp_link_cork(struct resp_link *link)
{
	link->corked = true;
}

int resp_link_uncork(struct resp_link *link)
{
	link->corked = false;
	if (link->closed || link->held_len == 0)
		return BH_OK;
	int rc = append_output(link, link->held, link->held_len);
	link->held_len = 0;
	if (rc != BH_OK)
		return BH_ERR;
	if (link->connected)
		set_events(link, BH_EV_READ | BH_EV_WRITE);
	return BH_OK;
}

static int push_awaiting(struct resp_link *link, resp_reply_fn cb, void *privdata)
{
	if (link->queue_count == link->queue_cap) {
		size_t cap = link->queue_cap ? link->queue_cap * 2 : 64;
		struct awaiting *queue = malloc(cap * sizeof *queue);
		if (!queue)
			return BH_ERR;
		for (size_t i = 0; i < link->queue_count; i++)
			queue[i] = link->queue[(link->queue_head + i) % link->queue_cap];
		free(link->queue);
		link->queue = queue;
		link->queue_cap = cap;
		link->queue_head = 0;
	}
	link->queue[(link->queue_head + link->queue_count) % link->queue_cap] =
		(struct awaiting){cb, privdata};
	link->queue_count++;
	return BH_OK;
}

int resp_link_send(struct resp_link *link, resp_reply_fn cb, void *privdata, int argc,
		   const char **argv, const size_t *argvlen)
{
	if (link->closed || link->free_requested)
		return BH_ERR;
	char *command = NULL;
	int len = redisFormatCommandArgv(&command, argc, argv, argvlen);
	if (len < 0)
		return BH_ERR;
	size_t *used = link->corked ? &link->held_len : &link->out_len;
	size_t saved_len = *used;
	int rc = link->corked ? append(&link->held, &link->held_len, &link->held_cap, command,
				       (size_t)len)
			      : append_output(link, command, (size_t)len);
	redisFreeCommand(command);
	if (rc != BH_OK)
		return BH_ERR;
	if (push_awaiting(link, cb, privdata) != BH_OK) {
		*used = saved_len; /* unsent: take it back */
		return BH_ERR;
	}
	/* Written from the loop, so that a burst of commands leaves in few
	 * large writes. */
	if (link->connected && !link->corked)
		set_events(link, BH_EV_READ | BH_EV_WRITE);
	return BH_OK;
}

/* --- reading --- */

/* A pub/sub push: "message" (SUBSCRIBE) or "pmessage" (PSUBSCRIBE). */
static bool is_message(const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return false;
	const redisReply *kind = r->element[0];
	return (kind->len == 7 && memcmp(kind->str, "message", 7) == 0) ||
	       (kind->len == 8 && memcmp(kind->str, "pmessage", 8) == 0);
}

/* For the log: what the stray reply was, shortened. */
static void describe_reply(const redisReply *r, char *buf, size_t size)
{
	switch (r->type) {
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
	case REDIS_REPLY_STRING:
		snprintf(buf, size, "%s\"%.40s%s\"", r->type == REDIS_REPLY_ERROR ? "error " : "",
			 r->str, r->len > 40 ? "..." : "");
		break;
	case REDIS_REPLY_INTEGER:
		snprintf(buf, size, "integer %lld", r->integer);
		break;
	case REDIS_REPLY_ARRAY:
		snprintf(buf, size, "array of %zu", r->elements);
		break;
	default:
		snprintf(buf, size, "nil");
		break;
	}
}

static void dispatch(struct resp_link *link, const redisReply *reply)
{
	if (link->cbs.message && is_message(reply)) {
		link->cbs.message(link->arg, reply);
		return;
	}
	if (link->queue_count == 0) {
		char what[80];
		describe_reply(reply, what, sizeof what);
		link_failedf(link, "protocol error: a reply nobody asked for (%s)", what);
		return;
	}
	struct awaiting a = link->queue[link->queue_head];
	link->queue_head = (link->queue_head + 1) % link->queue_cap;
	link->queue_count--;
	a.cb(link->arg, a.privdata, reply);
}

static void process_input(struct resp_link *link)
{
	while (!link->closed) {
		void *reply = NULL;
		if (redisReaderGetReply(link->reader, &reply) != REDIS_OK) {
			if (link->reply_too_big)
				link_failedf(link, "protocol error: a reply larger than %u bytes or %d "
						   "elements",
					     RESP_LINK_MAX_REPLY, RESP_LINK_MAX_ELEMENTS);
			else
				link_failedf(link, "protocol error: %s", link->reader->errstr);
			return;
		}
		if (!reply)
			return;
		link->reply_bytes = 0;
		dispatch(link, reply);
		freeReplyObject(reply);
	}
}

static void read_input(struct resp_link *link)
{
	char buf[READ_CHUNK];
	ssize_t n;
	do
		n = read(link->fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0) {
		link_failedf(link, "read: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		link_failed(link, "the server closed the connection");
		return;
	}
	if (redisReaderFeed(link->reader, buf, (size_t)n) != REDIS_OK) {
		link_failed(link, "out of memory buffering a reply");
		return;
	}
	/* A bulk string is kept unparsed until it is complete: bound what
	 * waits in the buffer as well as what was built. */
	if (link->reader->len - link->reader->pos > RESP_LINK_MAX_REPLY) {
		link_failedf(link, "protocol error: a reply larger than %u bytes",
			     RESP_LINK_MAX_REPLY);
		return;
	}
	process_input(link);
}

/* --- connecting --- */

static void on_fd(void *arg, int fd, unsigned events);

static void set_socket_options(struct resp_link *link, int family)
{
	if (family != AF_INET && family != AF_INET6)
		return;
	int on = 1, idle = KEEPALIVE_IDLE_S, interval = KEEPALIVE_INTERVAL_S,
	    count = KEEPALIVE_COUNT;
	/* Best effort: a link without them still works, it notices a dead
	 * peer later (the command timeout still bounds that). */
	if (setsockopt(link->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0 ||
	    setsockopt(link->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0 ||
	    setsockopt(link->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) < 0 ||
	    setsockopt(link->fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) < 0 ||
	    setsockopt(link->fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) < 0)
		BH_DEBUG(link, "setsockopt: %s", strerror(errno));
}

/* Starts connecting fd to addr; the watch reports completion.  Returns
 * BH_ERR (errno set, socket closed) when the connect failed at once. */
static int start_connect(struct resp_link *link, int family, const struct sockaddr *addr,
			 socklen_t addrlen)
{
	link->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (link->fd < 0)
		return BH_ERR;
	set_socket_options(link, family);
	if (connect(link->fd, addr, addrlen) < 0 && errno != EINPROGRESS) {
		int saved = errno;
		(void)close(link->fd);
		link->fd = -1;
		errno = saved;
		return BH_ERR;
	}
	/* Writability tells that the connect finished, either way. */
	link->events = BH_EV_WRITE;
	link->watch = link->api->watch_add(link->host, link->fd, link->events, on_fd, link);
	if (!link->watch) {
		(void)close(link->fd);
		link->fd = -1;
		errno = ENOMEM;
		return BH_ERR;
	}
	return BH_OK;
}

static void remember_connect_error(struct resp_link *link, const char *what, int err)
{
	free(link->last_connect_error);
	link->last_connect_error = bh_strfmt("%s: %s", what, strerror(err));
}

/* TCP: the next candidate address that accepts a connect attempt. */
static int connect_next_address(struct resp_link *link)
{
	while (link->next_address) {
		struct addrinfo *ai = link->next_address;
		link->next_address = ai->ai_next;
		if (start_connect(link, ai->ai_family, ai->ai_addr, ai->ai_addrlen) == BH_OK)
			return BH_OK;
		remember_connect_error(link, "connect", errno);
	}
	return BH_ERR;
}

static void connect_finished(struct resp_link *link)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(link->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		remember_connect_error(link, "connect", err);
		link->api->watch_remove(link->host, link->watch);
		link->watch = NULL;
		(void)close(link->fd);
		link->fd = -1;
		if (connect_next_address(link) != BH_OK)
			link_failed(link, link->last_connect_error ? link->last_connect_error
								   : "connect failed");
		return;
	}
	link->connected = true;
	if (link->addresses) {
		freeaddrinfo(link->addresses);
		link->addresses = link->next_address = NULL;
	}
	set_events(link, link->out_len > link->out_off ? BH_EV_READ | BH_EV_WRITE : BH_EV_READ);
	if (!link->closed && link->cbs.connected)
		link->cbs.connected(link->arg);
}

static void on_fd(void *arg, int fd, unsigned events)
{
	struct resp_link *link = arg;
	(void)fd;
	link->depth++;
	if (!link->connected) {
		if (events & (BH_EV_WRITE | BH_EV_ERROR))
			connect_finished(link);
	} else {
		if ((events & (BH_EV_READ | BH_EV_ERROR)) && !link->closed)
			read_input(link);
		if ((events & BH_EV_WRITE) && !link->closed)
			flush_output(link);
	}
	link->depth--;
	if (link->depth == 0 && link->free_requested)
		release(link);
}

static int open_unix(struct resp_link *link, const char *path, char **error)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		*error = bh_strfmt("socket path %s is longer than %zu bytes", path,
				   sizeof sun.sun_path - 1);
		return BH_ERR;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (start_connect(link, AF_UNIX, (const struct sockaddr *)&sun, sizeof sun) != BH_OK) {
		/* EAGAIN on a unix socket: the server's backlog is full. */
		*error = bh_strfmt("connect: %s", strerror(errno));
		return BH_ERR;
	}
	return BH_OK;
}

/* TCP, once the candidate addresses are known. */
static int connect_first_address(struct resp_link *link, char **error)
{
	link->next_address = link->addresses;
	if (connect_next_address(link) != BH_OK) {
		*error = bh_strfmt("%s", link->last_connect_error ? link->last_connect_error
								  : "no address to connect to");
		return BH_ERR;
	}
	return BH_OK;
}

static void on_resolved(void *arg, struct addrinfo *addresses, const char *error)
{
	struct resp_link *link = arg;
	link->resolving = NULL;
	link->depth++;
	if (!addresses) {
		link_failed(link, error);
	} else {
		link->addresses = addresses;
		char *connect_error = NULL;
		if (connect_first_address(link, &connect_error) != BH_OK)
			link_failed(link, connect_error ? connect_error : "out of memory");
		free(connect_error);
	}
	link->depth--;
	if (link->depth == 0 && link->free_requested)
		release(link);
}

/* An address (127.0.0.1, ::1) is parsed on the spot; only a host name
 * waits for the resolver, off the loop (resolve.h): the link then connects
 * when the answer comes, and fails like a refused connect when none does. */
static int open_tcp(struct resp_link *link, const char *host, int port, char **error)
{
	char service[16];
	snprintf(service, sizeof service, "%d", port);
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	int rc = getaddrinfo(host, service, &hints, &link->addresses);
	if (rc == 0)
		return connect_first_address(link, error);
	link->addresses = NULL;
	if (rc != EAI_NONAME) {
		*error = bh_strfmt("cannot resolve %s: %s", host,
				   rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return BH_ERR;
	}
	link->host_name = strdup(host);
	if (!link->host_name)
		return BH_ERR;
	link->resolving =
		resolve_start(link->api, link->host, host, service, on_resolved, link, error);
	return link->resolving ? BH_OK : BH_ERR;
}

struct resp_link *resp_link_open(const struct bh_host_api *api, struct bh_host *host,
				 const struct resp_address *address,
				 const struct resp_link_callbacks *callbacks, void *arg, char **error)
{
	*error = NULL;
	struct resp_link *link = calloc(1, sizeof *link);
	if (!link)
		return NULL;
	link->api = api;
	link->host = host;
	link->cbs = *callbacks;
	link->arg = arg;
	link->fd = -1;
	int rc = setup_reader(link);
	if (rc == BH_OK)
		rc = address->unix_path ? open_unix(link, address->unix_path, error)
					: open_tcp(link, address->host, address->port, error);
	if (rc != BH_OK) {
		if (!*error)
			*error = bh_strfmt("out of memory");
		release(link);
		return NULL;
	}
	return link;
}

bool resp_link_connected(const struct resp_link *link)
{
	return link->connected && !link->closed;
}

size_t resp_link_waiting(const struct resp_link *link)
{
	return link->queue_count;
}

char *resp_link_resolve_timeout(const struct resp_link *link, unsigned ms)
{
	if (!link->resolving)
		return NULL;
	return bh_strfmt("resolving %s timed out after %u ms", link->host_name, ms);
}

char *resp_match_pattern(const char *prefix)
{
	char *pattern = malloc(2 * strlen(prefix) + 2);
	if (!pattern)
		return NULL;
	char *out = pattern;
	for (const char *c = prefix; *c; c++) {
		if (strchr("*?[]\\", *c))
			*out++ = '\\';
		*out++ = *c;
	}
	*out++ = '*';
	*out = '\0';
	return pattern;
}
