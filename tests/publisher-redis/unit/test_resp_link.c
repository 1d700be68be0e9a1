/*
 * Unit tests of resp_link.c, publisher-redis' own RESP connection.  The
 * link talks to this test over a unix socket: the test is the peer, a
 * stand-in for a server, because what it must check cannot be had from a
 * real redis-server: replies split across reads at chosen bytes, and
 * hostile replies (an oversized bulk string, a bad type byte, nesting
 * deeper than the parser takes, an array over the element cap, a reply
 * nobody asked for).  The core loop is stood in for by a poll() over the
 * fds the link watches (the only host services resp_link.c uses on a unix
 * socket).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>

#include <beachhead/plugin.h>

#include "resp_link.h"

/* --- the stand-in loop: watch_add / watch_set / watch_remove over poll() --- */

#define MAX_WATCHES 8

struct bh_watch {
	bool used;
	int fd;
	unsigned events;
	bh_watch_cb cb;
	void *arg;
};

static struct bh_watch watches[MAX_WATCHES];

static struct bh_watch *watch_add(struct bh_host *host, int fd, unsigned events, bh_watch_cb cb,
				  void *arg)
{
	(void)host;
	for (int i = 0; i < MAX_WATCHES; i++) {
		if (!watches[i].used) {
			watches[i] = (struct bh_watch){true, fd, events, cb, arg};
			return &watches[i];
		}
	}
	return NULL;
}

static int watch_set(struct bh_host *host, struct bh_watch *w, unsigned events)
{
	(void)host;
	w->events = events;
	return BH_OK;
}

static void watch_remove(struct bh_host *host, struct bh_watch *w)
{
	(void)host;
	w->used = false;
}

static struct bh_host_api api;

/* One turn of the loop: waits up to ms for any watched fd, then runs the
 * callbacks of those that are ready. */
static void turn(int ms)
{
	struct pollfd pfd[MAX_WATCHES];
	struct bh_watch *which[MAX_WATCHES];
	nfds_t n = 0;
	for (int i = 0; i < MAX_WATCHES; i++) {
		if (!watches[i].used)
			continue;
		short ev = 0;
		if (watches[i].events & BH_EV_READ)
			ev |= POLLIN;
		if (watches[i].events & BH_EV_WRITE)
			ev |= POLLOUT;
		pfd[n] = (struct pollfd){.fd = watches[i].fd, .events = ev};
		which[n++] = &watches[i];
	}
	if (n == 0 || poll(pfd, n, ms) <= 0)
		return;
	for (nfds_t i = 0; i < n; i++) {
		unsigned events = 0;
		if (pfd[i].revents & POLLIN)
			events |= BH_EV_READ;
		if (pfd[i].revents & POLLOUT)
			events |= BH_EV_WRITE;
		if (pfd[i].revents & (POLLERR | POLLHUP))
			events |= BH_EV_ERROR;
		/* A callback of an earlier fd may have removed this watch. */
		if (events && which[i]->used && which[i]->fd == pfd[i].fd)
			which[i]->cb(which[i]->arg, pfd[i].fd, events);
	}
}

/* --- what the link reported --- */

#define MAX_SEEN 16

struct seen_reply {
	bool null; /* the callback ran with NULL: the link closed first */
	int type;
	long long integer;
	char str[64];
	size_t len;
	size_t elements;
	int privdata;
};

static struct {
	int connected;
	int failed;
	char reason[256];
	int messages;
	char message_payload[64];
	int replies;
	struct seen_reply reply[MAX_SEEN];
	struct resp_link *free_from_reply; /* freed by the next reply callback */
} seen;

static void on_connected(void *arg)
{
	(void)arg;
	seen.connected++;
}

static void on_failed(void *arg, const char *reason)
{
	(void)arg;
	seen.failed++;
	snprintf(seen.reason, sizeof seen.reason, "%s", reason);
}

static void on_message(void *arg, const redisReply *r)
{
	(void)arg;
	seen.messages++;
	const redisReply *payload = r->element[r->elements - 1];
	snprintf(seen.message_payload, sizeof seen.message_payload, "%s",
		 payload->type == REDIS_REPLY_STRING ? payload->str : "?");
}

static void on_reply(void *arg, void *privdata, const redisReply *r)
{
	(void)arg;
	ck_assert_int_lt(seen.replies, MAX_SEEN);
	struct seen_reply *s = &seen.reply[seen.replies++];
	*s = (struct seen_reply){.null = r == NULL, .privdata = (int)(intptr_t)privdata};
	if (r) {
		s->type = r->type;
		s->integer = r->integer;
		s->len = r->len;
		s->elements = r->elements;
		if (r->str)
			snprintf(s->str, sizeof s->str, "%s", r->str);
	}
	if (seen.free_from_reply) {
		struct resp_link *link = seen.free_from_reply;
		seen.free_from_reply = NULL;
		resp_link_free(link);
	}
}

static const struct resp_link_callbacks callbacks = {
	.connected = on_connected, .failed = on_failed, .message = on_message};
static const struct resp_link_callbacks no_message_callbacks = {.connected = on_connected,
								 .failed = on_failed};

/* --- the peer --- */

static char dir[64];
static char path[96];
static int listener = -1;

static void setup(void)
{
	memset(&seen, 0, sizeof seen);
	memset(watches, 0, sizeof watches);
	api = (struct bh_host_api){.watch_add = watch_add, .watch_set = watch_set,
				   .watch_remove = watch_remove};
	snprintf(dir, sizeof dir, "/tmp/test_resp_link.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/peer.sock", dir);
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(listener, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(listener, 4), 0);
}

static void teardown(void)
{
	if (listener >= 0)
		close(listener);
	listener = -1;
	unlink(path);
	rmdir(dir);
}

/* Opens a link to the peer socket and accepts it: returns the peer's end
 * (non-blocking), after the link saw its connect complete. */
static int open_link(struct resp_link **link, const struct resp_link_callbacks *cbs)
{
	struct resp_address address = {.unix_path = path};
	char *error = NULL;
	*link = resp_link_open(&api, NULL, &address, cbs, NULL, &error);
	ck_assert_msg(*link != NULL, "resp_link_open: %s", error ? error : "?");
	int peer = accept(listener, NULL, NULL);
	ck_assert_int_ge(peer, 0);
	ck_assert_int_eq(fcntl(peer, F_SETFL, O_NONBLOCK), 0);
	for (int i = 0; i < 100 && !resp_link_connected(*link); i++)
		turn(10);
	ck_assert(resp_link_connected(*link));
	return peer;
}

static void send_cmd(struct resp_link *link, int privdata, const char *word)
{
	const char *argv[1] = {word};
	size_t lens[1] = {strlen(word)};
	ck_assert_int_eq(resp_link_send(link, on_reply, (void *)(intptr_t)privdata, 1, argv, lens),
			 BH_OK);
}

/* Writes all of data, unless the link closed its end meanwhile (a hostile
 * reply is refused before the peer is done sending it). */
static void peer_write(int peer, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(peer, data, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			turn(10); /* let the link read what fills the socket */
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return;
		ck_assert_int_gt(n, 0);
		data += n;
		len -= (size_t)n;
	}
}

static void peer_says(int peer, const char *text)
{
	peer_write(peer, text, strlen(text));
}

/* What the peer received (the link's commands), up to want bytes. */
static size_t peer_reads(int peer, char *buf, size_t size, size_t want)
{
	size_t got = 0;
	for (int i = 0; i < 200 && got < want && got < size; i++) {
		turn(5);
		ssize_t n = read(peer, buf + got, size - got);
		if (n > 0)
			got += (size_t)n;
	}
	return got;
}

/* Turns the loop until the link made `replies` reply callbacks and
 * `failed` failure callbacks (or a generous time passed). */
static void wait_for(int replies, int failed)
{
	for (int i = 0; i < 500 && (seen.replies < replies || seen.failed < failed); i++)
		turn(10);
}

/* The link failed, once, saying `expect`. */
static void expect_failed(const char *expect)
{
	wait_for(0, 1);
	ck_assert_int_eq(seen.failed, 1);
	ck_assert_msg(strstr(seen.reason, expect) != NULL, "reason \"%s\" lacks \"%s\"",
		      seen.reason, expect);
}

static void close_both(struct resp_link *link, int peer)
{
	resp_link_free(link);
	close(peer);
}

/* --- every reply type, in order, each to its command --- */

START_TEST(test_every_reply_type)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	ck_assert_int_eq(seen.connected, 1);
	for (int i = 0; i < 7; i++)
		send_cmd(link, i, "PING");
	char buf[256];
	/* Every command went out in RESP's array form, byte for byte. */
	ck_assert_uint_eq(peer_reads(peer, buf, sizeof buf, 7 * 14), 7 * 14);
	ck_assert_int_eq(memcmp(buf, "*1\r\n$4\r\nPING\r\n", 14), 0);
	ck_assert_uint_eq(resp_link_waiting(link), 7);
	static const char replies[] = "+OK\r\n-ERR no such thing\r\n:-42\r\n$5\r\nhe\0lo\r\n"
				      "$-1\r\n*3\r\n$1\r\na\r\n:7\r\n*1\r\n$1\r\nb\r\n*0\r\n*-1\r\n";
	peer_write(peer, replies, sizeof replies - 1);
	wait_for(7, 1);
	ck_assert_int_eq(seen.replies, 7); /* the seven answers, none lost to the stray */
	for (int i = 0; i < 7; i++) {
		ck_assert_int_eq(seen.reply[i].privdata, i); /* in order, to their commands */
		ck_assert(!seen.reply[i].null);
	}
	ck_assert_int_eq(seen.reply[0].type, REDIS_REPLY_STATUS);
	ck_assert_str_eq(seen.reply[0].str, "OK");
	ck_assert_int_eq(seen.reply[1].type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(seen.reply[1].str, "ERR no such thing");
	ck_assert_int_eq(seen.reply[2].type, REDIS_REPLY_INTEGER);
	ck_assert_int_eq(seen.reply[2].integer, -42);
	ck_assert_int_eq(seen.reply[3].type, REDIS_REPLY_STRING);
	ck_assert_uint_eq(seen.reply[3].len, 5); /* binary-safe: the NUL counts */
	ck_assert_str_eq(seen.reply[3].str, "he");
	ck_assert_int_eq(seen.reply[4].type, REDIS_REPLY_NIL);
	ck_assert_int_eq(seen.reply[5].type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(seen.reply[5].elements, 3);
	ck_assert_int_eq(seen.reply[6].type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(seen.reply[6].elements, 0);
	/* "*-1" (a nil array) answers nothing that was asked: the link says
	 * so rather than hand it to nobody. */
	expect_failed("a reply nobody asked for");
	close_both(link, peer);
}
END_TEST

/* --- replies split across reads --- */

START_TEST(test_split_replies)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	send_cmd(link, 1, "GET");
	send_cmd(link, 2, "GET");
	send_cmd(link, 3, "GET");
	char buf[128];
	peer_reads(peer, buf, sizeof buf, 3 * 13);
	/* Byte by byte: nothing is delivered before a reply is complete. */
	const char *first = "$11\r\nhello world\r\n";
	for (size_t i = 0; first[i]; i++) {
		ck_assert_int_eq(seen.replies, 0);
		peer_write(peer, first + i, 1);
		turn(20);
	}
	wait_for(1, 0);
	ck_assert_int_eq(seen.replies, 1);
	ck_assert_str_eq(seen.reply[0].str, "hello world");
	/* The end of one reply and the start of the next in one read. */
	peer_says(peer, "*2\r\n:1\r\n:");
	turn(20);
	ck_assert_int_eq(seen.replies, 1);
	peer_says(peer, "2\r\n+PO");
	wait_for(2, 0);
	ck_assert_int_eq(seen.replies, 2);
	ck_assert_int_eq(seen.reply[1].type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(seen.reply[1].elements, 2);
	peer_says(peer, "NG\r\n");
	wait_for(3, 0);
	ck_assert_int_eq(seen.replies, 3);
	ck_assert_str_eq(seen.reply[2].str, "PONG");
	ck_assert_int_eq(seen.failed, 0);
	close_both(link, peer);
}
END_TEST

/* --- hostile replies: one failure, waiting commands get NULL --- */

/* The peer answers the one waiting command with `reply`; the link must
 * fail once with a reason containing `expect`, and the command's callback
 * run once with NULL. */
static void expect_hostile(const char *reply, size_t len, const char *expect)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	send_cmd(link, 9, "GET");
	send_cmd(link, 10, "GET");
	char buf[64];
	peer_reads(peer, buf, sizeof buf, 2 * 13);
	peer_write(peer, reply, len);
	expect_failed(expect);
	wait_for(2, 1);
	ck_assert_int_eq(seen.replies, 2);
	ck_assert(seen.reply[0].null && seen.reply[1].null);
	/* Once closed, the link takes no command and calls nothing more. */
	const char *argv[1] = {"PING"};
	size_t lens[1] = {4};
	ck_assert_int_eq(resp_link_send(link, on_reply, NULL, 1, argv, lens), BH_ERR);
	peer_says(peer, "+OK\r\n");
	turn(20);
	ck_assert_int_eq(seen.failed, 1);
	ck_assert_int_eq(seen.replies, 2);
	close_both(link, peer);
}

START_TEST(test_hostile_bad_type_byte)
{
	expect_hostile("!oops\r\n", 7, "protocol error");
}
END_TEST

START_TEST(test_hostile_deep_nesting)
{
	char reply[128] = "";
	for (int i = 0; i < 12; i++)
		strcat(reply, "*1\r\n");
	strcat(reply, ":1\r\n");
	expect_hostile(reply, strlen(reply), "protocol error");
}
END_TEST

START_TEST(test_hostile_too_many_elements)
{
	char reply[32];
	snprintf(reply, sizeof reply, "*%d\r\n", RESP_LINK_MAX_ELEMENTS + 1);
	expect_hostile(reply, strlen(reply), "elements");
}
END_TEST

/* A bulk string announced over the cap and streamed: refused once the
 * buffered part passes the cap, not buffered without bound. */
START_TEST(test_hostile_oversized_bulk)
{
	size_t body = RESP_LINK_MAX_REPLY + 64 * 1024;
	char *reply = malloc(body + 32);
	ck_assert_ptr_nonnull(reply);
	int head = snprintf(reply, 32, "$%zu\r\n", body);
	memset(reply + head, 'x', body);
	expect_hostile(reply, (size_t)head + body, "larger than");
	free(reply);
}
END_TEST

START_TEST(test_hostile_unasked_reply)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	peer_says(peer, ":1\r\n");
	expect_failed("a reply nobody asked for (integer 1)");
	close_both(link, peer);
}
END_TEST

/* --- the callbacks the link must make --- */

/* A pub/sub push goes to message(), and does not answer a command. */
START_TEST(test_message_callback)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	send_cmd(link, 5, "PING");
	peer_says(peer, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n+PONG\r\n");
	wait_for(1, 0);
	ck_assert_int_eq(seen.messages, 1);
	ck_assert_str_eq(seen.message_payload, "hey");
	ck_assert_int_eq(seen.replies, 1);
	ck_assert_str_eq(seen.reply[0].str, "PONG");
	close_both(link, peer);
	/* Without a message callback the same push is a stray reply. */
	memset(&seen, 0, sizeof seen);
	peer = open_link(&link, &no_message_callbacks);
	peer_says(peer, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n");
	expect_failed("a reply nobody asked for (array of 3)");
	ck_assert_int_eq(seen.messages, 0);
	close_both(link, peer);
}
END_TEST

/* The peer closes: one failure, every waiting command's callback with NULL. */
START_TEST(test_peer_closes)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	send_cmd(link, 1, "PING");
	send_cmd(link, 2, "PING");
	char buf[64];
	peer_reads(peer, buf, sizeof buf, 2 * 14); /* unread, they would make close() a reset */
	peer_says(peer, "+PONG\r\n");
	wait_for(1, 0);
	close(peer);
	expect_failed("the server closed the connection");
	wait_for(2, 1);
	ck_assert_int_eq(seen.replies, 2);
	ck_assert(!seen.reply[0].null);
	ck_assert(seen.reply[1].null);
	ck_assert_int_eq(seen.reply[1].privdata, 2);
	resp_link_free(link);
}
END_TEST

/* Corked, commands wait in the link; uncork sends them in order. */
START_TEST(test_cork)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	send_cmd(link, 1, "AUTH");
	resp_link_cork(link);
	send_cmd(link, 2, "SET");
	char buf[64];
	size_t got = peer_reads(peer, buf, sizeof buf, 64);
	ck_assert_uint_eq(got, 14); /* only the command before the cork */
	ck_assert_int_eq(resp_link_uncork(link), BH_OK);
	got = peer_reads(peer, buf, sizeof buf, 13);
	ck_assert_uint_eq(got, 13);
	ck_assert_int_eq(memcmp(buf, "*1\r\n$3\r\nSET\r\n", 13), 0);
	close_both(link, peer);
}
END_TEST

/* The owner may free the link from inside a reply callback: the rest of
 * the read is dropped, the other waiting command gets NULL, nothing
 * breaks (ASan and valgrind watch this). */
START_TEST(test_free_inside_reply)
{
	struct resp_link *link;
	int peer = open_link(&link, &callbacks);
	send_cmd(link, 1, "PING");
	send_cmd(link, 2, "PING");
	seen.free_from_reply = link;
	peer_says(peer, "+PONG\r\n+PONG\r\n");
	wait_for(2, 0);
	ck_assert_int_eq(seen.replies, 2);
	ck_assert(!seen.reply[0].null);
	ck_assert(seen.reply[1].null);
	ck_assert_int_eq(seen.failed, 0); /* freed, not failed */
	for (int i = 0; i < MAX_WATCHES; i++)
		ck_assert(!watches[i].used);
	close(peer);
}
END_TEST

/* A glob pattern that matches exactly the strings that start with prefix. */
START_TEST(test_match_pattern)
{
	char *p = resp_match_pattern("/a*b?[c]\\d/");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "/a\\*b\\?\\[c\\]\\\\d/*");
	free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("resp_link");
	TCase *tc = tcase_create("link");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_every_reply_type);
	tcase_add_test(tc, test_split_replies);
	tcase_add_test(tc, test_hostile_bad_type_byte);
	tcase_add_test(tc, test_hostile_deep_nesting);
	tcase_add_test(tc, test_hostile_too_many_elements);
	tcase_add_test(tc, test_hostile_oversized_bulk);
	tcase_add_test(tc, test_hostile_unasked_reply);
	tcase_add_test(tc, test_message_callback);
	tcase_add_test(tc, test_peer_closes);
	tcase_add_test(tc, test_cork);
	tcase_add_test(tc, test_free_inside_reply);
	tcase_add_test(tc, test_match_pattern);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
