/*
 * Unit tests of core/base/flush_wait.c, the one "wait until nothing is
 * pending or the deadline passes" of the daemon (drain at exit, the end of
 * a one-pass run, a reload's switch): done() once, with what was left; at
 * once when nothing is pending; never after a cancel.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include <check.h>

#include "flush_wait.h"
#include "loop.h"

static struct loop *loop;

struct probe {
	size_t pending;     /* what pending() answers */
	size_t polls;       /* how often it was asked */
	size_t drop_after;  /* pending becomes 0 after this many polls (0: never) */
	int done_calls;
	size_t left;
};

static size_t probe_pending(void *arg)
{
	struct probe *p = arg;
	p->polls++;
	if (p->drop_after && p->polls >= p->drop_after)
		p->pending = 0;
	return p->pending;
}

static void probe_done(void *arg, size_t left)
{
	struct probe *p = arg;
	p->done_calls++;
	p->left = left;
	loop_quit(loop);
}

static void quit_cb(void *arg)
{
	loop_quit(arg);
}

static void setup(void)
{
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
}

static void teardown(void)
{
	loop_free(loop);
	loop = NULL;
}

/* Runs the loop until done() or a safety timeout of ms. */
static void run_for(uint64_t ms)
{
	struct bh_timer *safety = loop_timer_new(loop, quit_cb, loop);
	ck_assert_ptr_nonnull(safety);
	ck_assert_int_eq(loop_timer_arm(safety, ms), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	loop_timer_free(safety);
}

START_TEST(test_nothing_pending_is_done_at_once)
{
	struct probe p = {0};
	struct flush_wait w;
	ck_assert_int_eq(flush_wait_init(&w, loop, probe_pending, probe_done, &p), 0);
	flush_wait_start(&w, 5000);
	ck_assert_int_eq(p.done_calls, 1);
	ck_assert_uint_eq(p.left, 0);
	ck_assert_uint_eq(p.polls, 1);
}
END_TEST

START_TEST(test_done_when_pending_drops)
{
	struct probe p = {.pending = 3, .drop_after = 4};
	struct flush_wait w;
	ck_assert_int_eq(flush_wait_init(&w, loop, probe_pending, probe_done, &p), 0);
	flush_wait_start(&w, 10000);
	ck_assert_int_eq(p.done_calls, 0);
	run_for(10000);
	ck_assert_int_eq(p.done_calls, 1);
	ck_assert_uint_eq(p.left, 0);
	ck_assert_uint_eq(p.polls, 4);
}
END_TEST

START_TEST(test_deadline_reports_what_is_left)
{
	struct probe p = {.pending = 2};
	struct flush_wait w;
	ck_assert_int_eq(flush_wait_init(&w, loop, probe_pending, probe_done, &p), 0);
	uint64_t start = loop_now_ms();
	flush_wait_start(&w, 50);
	run_for(10000);
	ck_assert_int_eq(p.done_calls, 1);
	ck_assert_uint_eq(p.left, 2);
	ck_assert_uint_ge(loop_now_ms() - start, 50);
	ck_assert_uint_gt(p.polls, 1);
}
END_TEST

START_TEST(test_cancel_means_no_done)
{
	struct probe p = {.pending = 1};
	struct flush_wait w;
	ck_assert_int_eq(flush_wait_init(&w, loop, probe_pending, probe_done, &p), 0);
	flush_wait_start(&w, 20);
	flush_wait_cancel(&w);
	run_for(200); /* well past the deadline */
	ck_assert_int_eq(p.done_calls, 0);
	ck_assert_uint_eq(p.polls, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flush_wait");
	TCase *tc = tcase_create("flush_wait");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nothing_pending_is_done_at_once);
	tcase_add_test(tc, test_done_when_pending_drops);
	tcase_add_test(tc, test_deadline_reports_what_is_left);
	tcase_add_test(tc, test_cancel_means_no_done);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
