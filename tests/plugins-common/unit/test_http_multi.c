/*
 * Unit tests of plugins/common/http_multi.c, the libcurl-multi adapter the
 * HTTP plugins share, through the core's own host API and loop
 * (core/process/host_api.c, core/base/loop.c) and against an HTTP peer on a unix socket.
 *
 * The peer is a stand-in written here, in a child process, because what it
 * must do cannot be had from a real server on demand: answer, stream a
 * chunked answer one piece at a time (the next piece only once the test has
 * seen the last), never answer, or close in the middle of an answer.  Each
 * test starts it with one behaviour; it serves every connection that way.
 *
 * No assertion is about speed: the timeouts the tests use only bound how
 * long a failure takes to show, and each test has a deadline that fails it
 * rather than hanging.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include <beachhead/plugin.h>

#include "common/http_multi.h"
#include "host_api.h"
#include "loop.h"
#include "plugin_set.h"

#define DEADLINE_MS 20000u /* a test that is not done by then failed */

/* ------------------------------------------------ the stand-in HTTP peer */

enum peer_behaviour {
	PEER_ANSWERS,       /* 200 with a 5-byte body */
	PEER_STREAMS,       /* 200, chunked: "first", then "second" once told */
	PEER_SILENT,        /* reads the request, never answers */
	PEER_CLOSES_EARLY,  /* promises 100 bytes, sends 5, closes */
};

static char socket_path[108];
static pid_t peer_pid = -1;
static int peer_go[2] = {-1, -1}; /* test -> peer: "send the next piece" */

static bool write_all(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		text += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads until the end of the request's head (our requests are GETs). */
static bool read_request(int fd)
{
	char buf[4096];
	size_t len = 0;
	while (len < sizeof buf - 1) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return true;
	}
	return false;
}

static void serve(int fd, enum peer_behaviour behaviour)
{
	if (!read_request(fd))
		return;
	char token;
	switch (behaviour) {
	case PEER_ANSWERS:
		(void)write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
		break;
	case PEER_STREAMS:
		if (!write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"))
			return;
		/* The second piece only once the test has the first. */
		if (read(peer_go[0], &token, 1) != 1)
			return;
		(void)write_all(fd, "6\r\nsecond\r\n0\r\n\r\n");
		break;
	case PEER_SILENT:
		while (read(fd, &token, 1) > 0) /* until the client hangs up */
			;
		break;
	case PEER_CLOSES_EARLY:
		(void)write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
		break;
	}
}

/* The peer removes its socket file when it is told to stop, or when the
 * test process ends (a failed assertion ends it without its teardown):
 * nothing is left behind. */
static void peer_on_term(int signo)
{
	(void)signo;
	(void)unlink(socket_path);
	_exit(0);
}

static void peer_start(enum peer_behaviour behaviour)
{
	snprintf(socket_path, sizeof socket_path, "/tmp/bh-test-http-%ld.sock", (long)getpid());
	(void)unlink(socket_path);
	int listener = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(listener, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
	ck_assert_int_eq(listen(listener, 8), 0);
	ck_assert_int_eq(pipe(peer_go), 0);
	pid_t test_pid = getpid();
	peer_pid = fork();
	ck_assert_int_ge(peer_pid, 0);
	if (peer_pid == 0) {
		/* Gone with the test process, even when a failed assertion
		 * ends it before its teardown. */
		(void)signal(SIGTERM, peer_on_term);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != test_pid)
			peer_on_term(SIGTERM);
		close(peer_go[1]);
		for (;;) {
			int fd = accept(listener, NULL, NULL);
			if (fd < 0)
				_exit(errno == EINTR ? 0 : 1);
			serve(fd, behaviour);
			close(fd);
		}
	}
	close(listener);
	close(peer_go[0]);
	peer_go[0] = -1;
}

static void peer_stop(void)
{
	if (peer_pid > 0) {
		(void)kill(peer_pid, SIGTERM);
		(void)waitpid(peer_pid, NULL, 0);
	}
	peer_pid = -1;
	if (peer_go[1] >= 0)
		close(peer_go[1]);
	peer_go[1] = -1;
	(void)unlink(socket_path);
}

/* ------------------------- the host: the core's own host API and loop */

static struct loop *loop;
static struct host_services services;
static struct plugin_instance instance = {.origin = (char *)"test_http_multi"};
static const struct bh_host_api *const api = &host_api;
#define HOST (&instance.host)

/* ------------------------------------------------------ what a call gets */

struct outcome {
	int done_calls;
	bool transport_ok;
	long status;
	char body[256];
	char error[256];
	int chunk_calls;
	char streamed[256];
	bool quit_when_done; /* stop the loop at done */
};

static void on_done(void *arg, const struct bh_http_result *result)
{
	struct outcome *o = arg;
	o->done_calls++;
	o->transport_ok = result->transport_ok;
	o->status = result->status;
	snprintf(o->body, sizeof o->body, "%.*s", (int)result->len, result->body);
	snprintf(o->error, sizeof o->error, "%s", result->error ? result->error : "");
	if (o->quit_when_done)
		loop_quit(loop);
}

/* Each piece as it comes; after the first, the peer may send the next. */
static bool on_chunk(void *arg, const char *data, size_t len)
{
	struct outcome *o = arg;
	o->chunk_calls++;
	size_t have = strlen(o->streamed);
	snprintf(o->streamed + have, sizeof o->streamed - have, "%.*s|", (int)len, data);
	if (o->chunk_calls == 1)
		ck_assert_int_eq(write(peer_go[1], "g", 1), 1);
	return true;
}

static void on_deadline(void *arg)
{
	(void)arg;
	ck_abort_msg("the test did not finish within %u ms", DEADLINE_MS);
}

static struct bh_timer *deadline;
static struct bh_http *client;

static void setup(void)
{
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	services.loop = loop;
	instance.host.services = &services;
	instance.host.instance = &instance;
	deadline = loop_timer_new(loop, on_deadline, NULL);
	ck_assert_ptr_nonnull(deadline);
	ck_assert_int_eq(loop_timer_arm(deadline, DEADLINE_MS), 0);
	ck_assert(bh_http_library_init(api, HOST));
}

static void teardown(void)
{
	bh_http_free(client);
	client = NULL;
	bh_http_library_cleanup();
	peer_stop();
	loop_timer_free(deadline);
	loop_free(loop);
	free(instance.last_warning);
	instance.last_warning = NULL;
}

static void client_for_peer(void)
{
	const struct bh_http_options options = {.unix_socket = socket_path};
	client = bh_http_new(api, HOST, &options);
	ck_assert_ptr_nonnull(client);
}

static struct bh_http_request *get(struct outcome *o, long timeout_ms, bool stream)
{
	const struct bh_http_call call = {
		.url = "http://localhost/test",
		.max_bytes = 4096,
		.timeout_ms = timeout_ms,
		.chunk = stream ? on_chunk : NULL,
		.done = on_done,
		.arg = o,
	};
	struct bh_http_request *r = bh_http_start(client, &call);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_request_answered)
{
	peer_start(PEER_ANSWERS);
	client_for_peer();
	struct outcome o = {.quit_when_done = true};
	(void)get(&o, 5000, false);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(o.done_calls, 1);
	ck_assert_msg(o.transport_ok, "transport failed: %s", o.error);
	ck_assert_int_eq(o.status, 200);
	ck_assert_str_eq(o.body, "hello");
}
END_TEST

/* The first piece reaches the chunk callback before the peer has even sent
 * the second (it waits for the callback's word): delivered as it comes,
 * not buffered to the end. */
START_TEST(test_stream_delivered_in_pieces)
{
	peer_start(PEER_STREAMS);
	client_for_peer();
	struct outcome o = {.quit_when_done = true};
	(void)get(&o, 0, true);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(o.done_calls, 1);
	ck_assert_msg(o.transport_ok, "transport failed: %s", o.error);
	ck_assert_int_eq(o.status, 200);
	ck_assert_int_eq(o.chunk_calls, 2);
	ck_assert_str_eq(o.streamed, "first|second|");
	ck_assert_str_eq(o.body, ""); /* streamed, not buffered */
}
END_TEST

START_TEST(test_silent_peer_times_out)
{
	peer_start(PEER_SILENT);
	client_for_peer();
	struct outcome o = {.quit_when_done = true};
	(void)get(&o, 300, false);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(o.done_calls, 1);
	ck_assert(!o.transport_ok);
	ck_assert_msg(strstr(o.error, "timed out") != NULL, "error: %s", o.error);
}
END_TEST

START_TEST(test_peer_closes_mid_response)
{
	peer_start(PEER_CLOSES_EARLY);
	client_for_peer();
	struct outcome o = {.quit_when_done = true};
	(void)get(&o, 5000, false);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(o.done_calls, 1);
	ck_assert(!o.transport_ok);
	ck_assert_str_ne(o.error, "");
}
END_TEST

/* A cancelled request never calls back, not even when its timeout passes;
 * the client goes on serving other requests. */
static struct bh_http_request *to_cancel;

static void cancel_then_ask_again(void *arg)
{
	bh_http_cancel(client, to_cancel);
	to_cancel = NULL;
	(void)get(arg, 1000, false);
}

START_TEST(test_cancel)
{
	peer_start(PEER_SILENT);
	client_for_peer();
	struct outcome cancelled = {0};
	to_cancel = get(&cancelled, 300, false);
	/* A second request, also to the silent peer, ends the loop when it
	 * times out (at 50 + 1000 ms): after the cancelled one would have
	 * (at 300 ms). */
	struct outcome later = {.quit_when_done = true};
	struct bh_timer *t = loop_timer_new(loop, cancel_then_ask_again, &later);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(loop_timer_arm(t, 50), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	loop_timer_free(t);
	ck_assert_int_eq(cancelled.done_calls, 0);
	ck_assert_int_eq(later.done_calls, 1);
	ck_assert(!later.transport_ok);
	ck_assert_msg(strstr(later.error, "timed out") != NULL, "error: %s", later.error);
}
END_TEST

/* Cancel everything from inside a callback, with a request still running:
 * nothing calls back afterwards, and freeing the client leaks nothing. */
static void cancel_all_on_done(void *arg, const struct bh_http_result *result)
{
	on_done(arg, result);
	bh_http_cancel_all(client);
	loop_quit(loop);
}

static void quit_loop(void *arg)
{
	(void)arg;
	loop_quit(loop);
}

START_TEST(test_cancel_all_from_callback)
{
	peer_start(PEER_SILENT);
	client_for_peer();
	struct outcome first = {0}, second = {0};
	const struct bh_http_call quick = {.url = "http://localhost/q", .max_bytes = 64,
					   .timeout_ms = 200, .done = cancel_all_on_done, .arg = &first};
	ck_assert_ptr_nonnull(bh_http_start(client, &quick));
	(void)get(&second, 400, false);
	ck_assert_int_eq(loop_run(loop), 0);
	/* Give the cancelled request's timeout time to pass: no callback. */
	struct bh_timer *t = loop_timer_new(loop, quit_loop, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(loop_timer_arm(t, 600), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	loop_timer_free(t);
	ck_assert_int_eq(first.done_calls, 1);
	ck_assert_int_eq(second.done_calls, 0);
}
END_TEST

int main(void)
{
	/* The peer's hang-up must not kill the test. */
	(void)signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create("http_multi");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_request_answered);
	tcase_add_test(tc, test_stream_delivered_in_pieces);
	tcase_add_test(tc, test_silent_peer_times_out);
	tcase_add_test(tc, test_peer_closes_mid_response);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_cancel_all_from_callback);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
