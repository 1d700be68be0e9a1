/*
 * Unit tests of core/loop.c: timers, fd watches, signals and the rule that
 * any source may be freed from any callback, even with its event pending in
 * the same epoll batch.  Run under valgrind/ASan to catch use-after-free.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "loop.h"

static struct loop *loop;

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

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void quit_cb(void *arg)
{
	loop_quit(arg);
}

/* A safety net: a test that waits for something that never happens fails
 * instead of hanging until check's timeout. */
static bool watchdog_fired;

static void watchdog_cb(void *arg)
{
	watchdog_fired = true;
	loop_quit(arg);
}

static struct bh_timer *arm_watchdog(uint64_t ms)
{
	watchdog_fired = false;
	struct bh_timer *t = loop_timer_new(loop, watchdog_cb, loop);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(loop_timer_arm(t, ms), 0);
	return t;
}

/* --- timers --- */

struct order {
	int fired[8];
	int n;
	int quit_after;
};

struct tagged {
	struct order *order;
	int tag;
};

static void record_cb(void *arg)
{
	struct tagged *t = arg;
	struct order *o = t->order;
	if (o->n < 8)
		o->fired[o->n] = t->tag;
	o->n++;
	if (o->n == o->quit_after)
		loop_quit(loop);
}

START_TEST(test_timers_fire_in_order)
{
	struct order o = {{0}, 0, 3};
	struct tagged tags[3] = {{&o, 1}, {&o, 2}, {&o, 3}};
	struct bh_timer *t1 = loop_timer_new(loop, record_cb, &tags[0]);
	struct bh_timer *t2 = loop_timer_new(loop, record_cb, &tags[1]);
	struct bh_timer *t3 = loop_timer_new(loop, record_cb, &tags[2]);
	ck_assert_ptr_nonnull(t1);
	ck_assert_ptr_nonnull(t2);
	ck_assert_ptr_nonnull(t3);
	ck_assert(!loop_timer_armed(t1));
	uint64_t start = loop_now_ms();
	ck_assert_int_eq(loop_timer_arm(t1, 150), 0);
	ck_assert_int_eq(loop_timer_arm(t2, 30), 0);
	ck_assert_int_eq(loop_timer_arm(t3, 90), 0);
	ck_assert(loop_timer_armed(t1));
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(o.n, 3);
	ck_assert_int_eq(o.fired[0], 2);
	ck_assert_int_eq(o.fired[1], 3);
	ck_assert_int_eq(o.fired[2], 1);
	ck_assert_uint_ge(loop_now_ms() - start, 140); /* ms rounding, valgrind */
	/* One-shot: fired timers are no longer armed. */
	ck_assert(!loop_timer_armed(t1));
	ck_assert(!loop_timer_armed(t2));
	ck_assert(!loop_timer_armed(t3));
}
END_TEST

struct rearm {
	struct bh_timer *timer;
	int count;
	int limit;
};

static void rearm_cb(void *arg)
{
	struct rearm *r = arg;
	r->count++;
	ck_assert(!loop_timer_armed(r->timer));
	if (r->count < r->limit)
		ck_assert_int_eq(loop_timer_arm(r->timer, 5), 0);
	else
		loop_quit(loop);
}

START_TEST(test_timer_rearm_from_callback)
{
	struct rearm r = {NULL, 0, 5};
	r.timer = loop_timer_new(loop, rearm_cb, &r);
	ck_assert_ptr_nonnull(r.timer);
	ck_assert_int_eq(loop_timer_arm(r.timer, 0), 0); /* 0 = as soon as possible */
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(r.count, 5);
}
END_TEST

static void count_cb(void *arg)
{
	++*(int *)arg;
}

struct postpone_check {
	struct bh_timer *t;
	int *fired;
	int fired_at_check;
	bool armed_at_check;
	bool checked;
};

static void postpone_check_cb(void *arg)
{
	struct postpone_check *pc = arg;
	pc->checked = true;
	pc->fired_at_check = *pc->fired;
	pc->armed_at_check = loop_timer_armed(pc->t);
}

START_TEST(test_timer_rearm_postpones)
{
	int fired = 0;
	struct bh_timer *t = loop_timer_new(loop, count_cb, &fired);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(loop_timer_arm(t, 20), 0);
	ck_assert_int_eq(loop_timer_arm(t, 300), 0); /* re-arming an armed timer */
	/* At 100 ms it has not fired and is still armed ... */
	struct postpone_check pc = {t, &fired, -1, false, false};
	struct bh_timer *check = loop_timer_new(loop, postpone_check_cb, &pc);
	ck_assert_int_eq(loop_timer_arm(check, 100), 0);
	/* ... and it fires once, at the later time. */
	struct bh_timer *stop = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(stop, 500), 0);
	uint64_t start = loop_now_ms();
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(pc.checked);
	ck_assert_int_eq(pc.fired_at_check, 0);
	ck_assert(pc.armed_at_check);
	ck_assert_int_eq(fired, 1);
	ck_assert(!loop_timer_armed(t));
	ck_assert_uint_ge(loop_now_ms() - start, 480); /* ms rounding, valgrind */
}
END_TEST

START_TEST(test_timer_disarm_before_firing)
{
	int fired = 0;
	struct bh_timer *t = loop_timer_new(loop, count_cb, &fired);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(loop_timer_arm(t, 10), 0);
	loop_timer_disarm(t);
	ck_assert(!loop_timer_armed(t));
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 80), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(fired, 0);
}
END_TEST

START_TEST(test_timer_disarm_after_expiry_before_dispatch)
{
	/* The expiry is counted by the kernel before disarm: still no call. */
	int fired = 0;
	struct bh_timer *t = loop_timer_new(loop, count_cb, &fired);
	ck_assert_int_eq(loop_timer_arm(t, 1), 0);
	sleep_ms(20);
	loop_timer_disarm(t);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 50), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(fired, 0);
}
END_TEST

/* Two timers expired in the same batch; each one's callback disarms (or
 * frees) the other: exactly one may fire. */
struct pair {
	struct bh_timer *timer[2];
	int fired[2];
	bool free_other;
};

static void pair_cb(struct pair *p, int me)
{
	p->fired[me]++;
	struct bh_timer *other = p->timer[1 - me];
	if (p->free_other) {
		loop_timer_free(other);
		p->timer[1 - me] = NULL;
		ck_assert(!loop_timer_armed(other)); /* dead, memory not yet released */
		ck_assert_int_eq(loop_timer_arm(other, 1), -1);
	} else {
		loop_timer_disarm(other);
	}
}

static void pair0_cb(void *arg)
{
	pair_cb(arg, 0);
}

static void pair1_cb(void *arg)
{
	pair_cb(arg, 1);
}

static void run_pair(bool free_other)
{
	struct pair p = {{NULL, NULL}, {0, 0}, free_other};
	p.timer[0] = loop_timer_new(loop, pair0_cb, &p);
	p.timer[1] = loop_timer_new(loop, pair1_cb, &p);
	ck_assert_ptr_nonnull(p.timer[0]);
	ck_assert_ptr_nonnull(p.timer[1]);
	ck_assert_int_eq(loop_timer_arm(p.timer[0], 1), 0);
	ck_assert_int_eq(loop_timer_arm(p.timer[1], 1), 0);
	sleep_ms(20); /* both expire before the loop looks: one batch */
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 60), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(p.fired[0] + p.fired[1], 1);
}

START_TEST(test_timer_disarm_other_in_same_batch)
{
	run_pair(false);
}
END_TEST

START_TEST(test_timer_free_other_in_same_batch)
{
	run_pair(true);
}
END_TEST

/* A callback re-arms another timer whose expiry is already in the batch:
 * the old expiry is void, the timer fires once, at the new time. */
struct postpone {
	struct bh_timer *timer[2];
	int fired[2];
	uint64_t when[2];
};

static void postpone_cb(struct postpone *p, int me)
{
	p->fired[me]++;
	p->when[me] = loop_now_ms();
	if (p->fired[1 - me] == 0)
		ck_assert_int_eq(loop_timer_arm(p->timer[1 - me], 100), 0);
}

static void postpone0_cb(void *arg)
{
	postpone_cb(arg, 0);
}

static void postpone1_cb(void *arg)
{
	postpone_cb(arg, 1);
}

START_TEST(test_timer_rearm_pending_in_same_batch)
{
	struct postpone p = {{NULL, NULL}, {0, 0}, {0, 0}};
	p.timer[0] = loop_timer_new(loop, postpone0_cb, &p);
	p.timer[1] = loop_timer_new(loop, postpone1_cb, &p);
	ck_assert_int_eq(loop_timer_arm(p.timer[0], 1), 0);
	ck_assert_int_eq(loop_timer_arm(p.timer[1], 1), 0);
	sleep_ms(20);
	uint64_t start = loop_now_ms();
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 400), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(p.fired[0], 1);
	ck_assert_int_eq(p.fired[1], 1);
	int first = p.when[0] <= p.when[1] ? 0 : 1;
	ck_assert_uint_lt(p.when[first] - start, 80);
	ck_assert_uint_ge(p.when[1 - first] - start, 90); /* re-armed for 100 ms */
}
END_TEST

struct self_free {
	struct bh_timer *timer;
	int fired;
};

static void self_free_cb(void *arg)
{
	struct self_free *sf = arg;
	sf->fired++;
	loop_timer_free(sf->timer);
	sf->timer = NULL;
}

START_TEST(test_timer_free_from_own_callback)
{
	struct self_free sf = {NULL, 0};
	sf.timer = loop_timer_new(loop, self_free_cb, &sf);
	ck_assert_ptr_nonnull(sf.timer);
	ck_assert_int_eq(loop_timer_arm(sf.timer, 5), 0);
	/* The loop keeps working after reaping the freed timer: a later
	 * timer still fires and ends the run. */
	struct order o = {{0}, 0, 1};
	struct tagged tag = {&o, 7};
	struct bh_timer *later = loop_timer_new(loop, record_cb, &tag);
	ck_assert_int_eq(loop_timer_arm(later, 40), 0);
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(sf.fired, 1);
	ck_assert_ptr_null(sf.timer);
	ck_assert_int_eq(o.n, 1);
	ck_assert_int_eq(o.fired[0], 7);
}
END_TEST

START_TEST(test_timer_free_armed_never_fires)
{
	int fired = 0;
	struct bh_timer *t = loop_timer_new(loop, count_cb, &fired);
	ck_assert_int_eq(loop_timer_arm(t, 1), 0);
	sleep_ms(10);
	loop_timer_free(t);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 40), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(fired, 0);
}
END_TEST

START_TEST(test_bad_arguments)
{
	ck_assert_ptr_null(loop_timer_new(loop, NULL, NULL));
	ck_assert_int_eq(loop_timer_arm(NULL, 1), -1);
	loop_timer_disarm(NULL);
	loop_timer_free(NULL);
	ck_assert(!loop_timer_armed(NULL));
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_ptr_null(loop_watch_add(loop, -1, BH_EV_READ, (bh_watch_cb)NULL, NULL));
	ck_assert_ptr_null(loop_watch_add(loop, fds[0], BH_EV_READ, (bh_watch_cb)NULL, NULL));
	ck_assert_int_eq(loop_watch_set(NULL, BH_EV_READ), -1);
	loop_watch_remove(NULL);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* --- watches --- */

struct pipe_watch {
	int fds[2];
	struct bh_watch *watch;
	int calls;
	unsigned last_events;
	int last_fd;
	char data[16];
	ssize_t got;
};

static void read_cb(void *arg, int fd, unsigned events)
{
	struct pipe_watch *pw = arg;
	pw->calls++;
	pw->last_fd = fd;
	pw->last_events = events;
	if (events & BH_EV_READ)
		pw->got = read(fd, pw->data, sizeof pw->data);
	loop_quit(loop);
}

START_TEST(test_watch_fires_on_read)
{
	struct pipe_watch pw = {{-1, -1}, NULL, 0, 0, -1, {0}, 0};
	ck_assert_int_eq(pipe2(pw.fds, O_NONBLOCK | O_CLOEXEC), 0);
	pw.watch = loop_watch_add(loop, pw.fds[0], BH_EV_READ, read_cb, &pw);
	ck_assert_ptr_nonnull(pw.watch);
	ck_assert_int_eq(write(pw.fds[1], "ping", 4), 4);
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(pw.calls, 1);
	ck_assert_int_eq(pw.last_fd, pw.fds[0]);
	ck_assert(pw.last_events & BH_EV_READ);
	ck_assert(!(pw.last_events & BH_EV_WRITE));
	ck_assert_int_eq(pw.got, 4);
	ck_assert_mem_eq(pw.data, "ping", 4);
	loop_watch_remove(pw.watch);
	close(pw.fds[0]);
	close(pw.fds[1]);
}
END_TEST

static void write_from_timer_cb(void *arg)
{
	int fd = *(int *)arg;
	ck_assert_int_eq(write(fd, "x", 1), 1);
}

START_TEST(test_watch_idle_until_data)
{
	struct pipe_watch pw = {{-1, -1}, NULL, 0, 0, -1, {0}, 0};
	ck_assert_int_eq(pipe2(pw.fds, O_NONBLOCK | O_CLOEXEC), 0);
	pw.watch = loop_watch_add(loop, pw.fds[0], BH_EV_READ, read_cb, &pw);
	ck_assert_ptr_nonnull(pw.watch);
	struct bh_timer *t = loop_timer_new(loop, write_from_timer_cb, &pw.fds[1]);
	ck_assert_int_eq(loop_timer_arm(t, 30), 0);
	uint64_t start = loop_now_ms();
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(pw.calls, 1);
	ck_assert_int_eq(pw.got, 1);
	ck_assert_uint_ge(loop_now_ms() - start, 25); /* ms rounding, valgrind */
	close(pw.fds[0]);
	close(pw.fds[1]);
}
END_TEST

/* Write readiness, pause (events 0) and resume, in one run:
 * call 1 pauses the watch and arms a timer; the timer checks that the
 * paused watch stayed silent and resumes it; call 2 ends the run. */
struct pause_state {
	struct bh_watch *watch;
	struct bh_timer *resume;
	int fd;
	int calls;
	unsigned events[2];
	int calls_while_paused;
};

static void pause_watch_cb(void *arg, int fd, unsigned events)
{
	struct pause_state *ps = arg;
	ck_assert_int_eq(fd, ps->fd);
	if (ps->calls < 2)
		ps->events[ps->calls] = events;
	ps->calls++;
	if (ps->calls == 1) {
		ck_assert_int_eq(loop_watch_set(ps->watch, 0), 0);
		ck_assert_int_eq(loop_timer_arm(ps->resume, 60), 0);
	} else {
		loop_quit(loop);
	}
}

static void resume_cb(void *arg)
{
	struct pause_state *ps = arg;
	ps->calls_while_paused = ps->calls - 1;
	ck_assert_int_eq(loop_watch_set(ps->watch, BH_EV_WRITE), 0);
}

START_TEST(test_watch_write_and_pause)
{
	int fds[2];
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	struct pause_state ps = {NULL, NULL, fds[1], 0, {0, 0}, -1};
	/* An empty pipe's write end is writable at once. */
	ps.watch = loop_watch_add(loop, fds[1], BH_EV_WRITE, pause_watch_cb, &ps);
	ck_assert_ptr_nonnull(ps.watch);
	ps.resume = loop_timer_new(loop, resume_cb, &ps);
	ck_assert_ptr_nonnull(ps.resume);
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(ps.calls, 2);
	ck_assert_int_eq(ps.calls_while_paused, 0);
	ck_assert(ps.events[0] & BH_EV_WRITE);
	ck_assert(!(ps.events[0] & BH_EV_READ));
	ck_assert(ps.events[1] & BH_EV_WRITE);
	loop_watch_remove(ps.watch);
	ck_assert_int_eq(loop_watch_set(ps.watch, BH_EV_READ), -1); /* dead until reaped */
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_watch_hangup_reported)
{
	struct pipe_watch pw = {{-1, -1}, NULL, 0, 0, -1, {0}, 0};
	ck_assert_int_eq(pipe2(pw.fds, O_NONBLOCK | O_CLOEXEC), 0);
	pw.watch = loop_watch_add(loop, pw.fds[0], BH_EV_READ, read_cb, &pw);
	ck_assert_ptr_nonnull(pw.watch);
	close(pw.fds[1]);
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(pw.calls, 1);
	ck_assert(pw.last_events & BH_EV_ERROR);
	close(pw.fds[0]);
}
END_TEST

START_TEST(test_watch_same_fd_twice_refused)
{
	int fds[2];
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	struct pipe_watch pw = {{-1, -1}, NULL, 0, 0, -1, {0}, 0};
	struct bh_watch *w = loop_watch_add(loop, fds[0], BH_EV_READ, read_cb, &pw);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_null(loop_watch_add(loop, fds[0], BH_EV_READ, read_cb, &pw));
	/* The first watch still works. */
	ck_assert_int_eq(write(fds[1], "z", 1), 1);
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(pw.calls, 1);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* Two readable pipes in one batch; whichever callback runs first removes
 * the other watch and closes its fd: the other callback must not run. */
struct two_watches {
	int fds[2][2];
	struct bh_watch *watch[2];
	int calls[2];
};

static void two_cb(struct two_watches *tw, int me, int fd)
{
	tw->calls[me]++;
	ck_assert_int_eq(fd, tw->fds[me][0]);
	int other = 1 - me;
	if (tw->watch[other]) {
		loop_watch_remove(tw->watch[other]);
		tw->watch[other] = NULL;
		close(tw->fds[other][0]);
		tw->fds[other][0] = -1;
	}
	loop_watch_remove(tw->watch[me]); /* and itself, from its own callback */
	tw->watch[me] = NULL;
}

static void two0_cb(void *arg, int fd, unsigned events)
{
	(void)events;
	two_cb(arg, 0, fd);
}

static void two1_cb(void *arg, int fd, unsigned events)
{
	(void)events;
	two_cb(arg, 1, fd);
}

START_TEST(test_watch_remove_other_in_same_batch)
{
	struct two_watches tw;
	memset(&tw, 0, sizeof tw);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe2(tw.fds[i], O_NONBLOCK | O_CLOEXEC), 0);
		ck_assert_int_eq(write(tw.fds[i][1], "d", 1), 1);
	}
	tw.watch[0] = loop_watch_add(loop, tw.fds[0][0], BH_EV_READ, two0_cb, &tw);
	tw.watch[1] = loop_watch_add(loop, tw.fds[1][0], BH_EV_READ, two1_cb, &tw);
	ck_assert_ptr_nonnull(tw.watch[0]);
	ck_assert_ptr_nonnull(tw.watch[1]);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 50), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(tw.calls[0] + tw.calls[1], 1);
	for (int i = 0; i < 2; i++) {
		if (tw.fds[i][0] >= 0)
			close(tw.fds[i][0]);
		close(tw.fds[i][1]);
	}
}
END_TEST

/* Two readable pipes in one batch; whichever callback runs first pauses the
 * other watch (events 0): a paused watch must not be called, even though
 * its readiness was already collected in the current batch. */
struct two_paused {
	int fds[2][2];
	struct bh_watch *watch[2];
	int calls[2];
	unsigned events[2];
};

static void paused_cb(struct two_paused *tp, int me, unsigned events)
{
	tp->calls[me]++;
	tp->events[me] = events;
	ck_assert_int_eq(loop_watch_set(tp->watch[1 - me], 0), 0);
	ck_assert_int_eq(loop_watch_set(tp->watch[me], 0), 0);
}

static void paused0_cb(void *arg, int fd, unsigned events)
{
	(void)fd;
	paused_cb(arg, 0, events);
}

static void paused1_cb(void *arg, int fd, unsigned events)
{
	(void)fd;
	paused_cb(arg, 1, events);
}

START_TEST(test_watch_paused_in_same_batch)
{
	struct two_paused tp;
	memset(&tp, 0, sizeof tp);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe2(tp.fds[i], O_NONBLOCK | O_CLOEXEC), 0);
		ck_assert_int_eq(write(tp.fds[i][1], "d", 1), 1);
	}
	tp.watch[0] = loop_watch_add(loop, tp.fds[0][0], BH_EV_READ, paused0_cb, &tp);
	tp.watch[1] = loop_watch_add(loop, tp.fds[1][0], BH_EV_READ, paused1_cb, &tp);
	ck_assert_ptr_nonnull(tp.watch[0]);
	ck_assert_ptr_nonnull(tp.watch[1]);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 50), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_msg(tp.calls[0] + tp.calls[1] == 1, "calls %d + %d: a paused watch was called",
		      tp.calls[0], tp.calls[1]);
	for (int i = 0; i < 2; i++) {
		close(tp.fds[i][0]);
		close(tp.fds[i][1]);
	}
}
END_TEST

/* A watch switched from READ to WRITE by another callback in the same
 * batch is not handed the stale READ event.  Both fds are readable before
 * the watches are added, and epoll queues already-ready fds in the order of
 * EPOLL_CTL_ADD, so the first watch's callback runs first. */
struct switched {
	int a[2];
	int b[2];
	struct bh_watch *first;
	struct bh_watch *second;
	int first_calls;
	int second_calls;
	unsigned second_events;
};

static void switch_first_cb(void *arg, int fd, unsigned events)
{
	struct switched *sw = arg;
	(void)fd;
	(void)events;
	sw->first_calls++;
	/* The second fd is a pipe's read end: never writable. */
	ck_assert_int_eq(loop_watch_set(sw->second, BH_EV_WRITE), 0);
	ck_assert_int_eq(loop_watch_set(sw->first, 0), 0);
}

static void switch_second_cb(void *arg, int fd, unsigned events)
{
	struct switched *sw = arg;
	(void)fd;
	sw->second_calls++;
	sw->second_events |= events;
	ck_assert_int_eq(loop_watch_set(sw->second, 0), 0);
}

START_TEST(test_watch_changed_in_same_batch)
{
	struct switched sw;
	memset(&sw, 0, sizeof sw);
	ck_assert_int_eq(pipe2(sw.a, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(sw.b, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(write(sw.a[1], "d", 1), 1);
	ck_assert_int_eq(write(sw.b[1], "d", 1), 1);
	sw.first = loop_watch_add(loop, sw.a[0], BH_EV_READ, switch_first_cb, &sw);
	sw.second = loop_watch_add(loop, sw.b[0], BH_EV_READ, switch_second_cb, &sw);
	ck_assert_ptr_nonnull(sw.first);
	ck_assert_ptr_nonnull(sw.second);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 50), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(sw.first_calls, 1);
	ck_assert_msg(sw.second_calls == 0,
		      "watch switched to WRITE (never ready) was called with events %#x",
		      sw.second_events);
	close(sw.a[0]);
	close(sw.a[1]);
	close(sw.b[0]);
	close(sw.b[1]);
}
END_TEST

START_TEST(test_watch_added_paused)
{
	struct pipe_watch pw = {{-1, -1}, NULL, 0, 0, -1, {0}, 0};
	ck_assert_int_eq(pipe2(pw.fds, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(write(pw.fds[1], "ab", 2), 2);
	/* Added with events 0: silent although readable ... */
	pw.watch = loop_watch_add(loop, pw.fds[0], 0, read_cb, &pw);
	ck_assert_ptr_nonnull(pw.watch);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 40), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(pw.calls, 0);
	loop_timer_free(q);
	loop_free(loop);
	loop = loop_new(); /* a quit loop stays quit: use a fresh one */
	ck_assert_ptr_nonnull(loop);
	/* ... and called once enabled. */
	pw.watch = loop_watch_add(loop, pw.fds[0], 0, read_cb, &pw);
	ck_assert_ptr_nonnull(pw.watch);
	ck_assert_int_eq(loop_watch_set(pw.watch, BH_EV_READ), 0);
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(pw.calls, 1);
	ck_assert_int_eq(pw.got, 2);
	close(pw.fds[0]);
	close(pw.fds[1]);
}
END_TEST

/* A watch callback frees a timer whose expiry is in the same batch. */
struct cross {
	struct bh_timer *timer;
	int timer_fired;
	int watch_calls;
	struct bh_watch *watch;
};

static void cross_timer_cb(void *arg)
{
	struct cross *c = arg;
	c->timer_fired++;
}

static void cross_watch_cb(void *arg, int fd, unsigned events)
{
	struct cross *c = arg;
	char buf[4];
	(void)events;
	c->watch_calls++;
	(void)!read(fd, buf, sizeof buf);
	if (c->timer) {
		loop_timer_free(c->timer);
		c->timer = NULL;
	}
	loop_watch_remove(c->watch);
}

START_TEST(test_watch_frees_timer_in_same_batch)
{
	struct cross c = {NULL, 0, 0, NULL};
	int fds[2];
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(write(fds[1], "d", 1), 1);
	/* The watch is registered before the timer, so it comes first in the
	 * batch when both are ready. */
	c.watch = loop_watch_add(loop, fds[0], BH_EV_READ, cross_watch_cb, &c);
	c.timer = loop_timer_new(loop, cross_timer_cb, &c);
	ck_assert_int_eq(loop_timer_arm(c.timer, 1), 0);
	sleep_ms(20);
	struct bh_timer *q = loop_timer_new(loop, quit_cb, loop);
	ck_assert_int_eq(loop_timer_arm(q, 50), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_eq(c.watch_calls, 1);
	/* Either the timer ran first (and was then freed) or it never ran. */
	ck_assert_int_le(c.timer_fired, 1);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* --- quit, signals, free --- */

START_TEST(test_quit_before_run)
{
	/* A quit requested before loop_run (for example by a one-pass run
	 * that finished synchronously during start) is honored: loop_run
	 * returns at once instead of waiting for events. */
	int fired = 0;
	struct bh_timer *t = loop_timer_new(loop, count_cb, &fired);
	ck_assert_int_eq(loop_timer_arm(t, 50), 0);
	loop_quit(loop);
	uint64_t start = loop_now_ms();
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_lt(loop_now_ms() - start, 40);
	ck_assert_int_eq(fired, 0);
	ck_assert(loop_timer_armed(t));
}
END_TEST

struct quit_many {
	int calls;
};

static void quit_then_count_cb(void *arg)
{
	struct quit_many *qm = arg;
	qm->calls++;
	loop_quit(loop);
}

START_TEST(test_quit_finishes_batch)
{
	/* loop_quit ends the loop after the current batch. */
	struct quit_many qm = {0};
	struct bh_timer *a = loop_timer_new(loop, quit_then_count_cb, &qm);
	struct bh_timer *b = loop_timer_new(loop, quit_then_count_cb, &qm);
	ck_assert_int_eq(loop_timer_arm(a, 1), 0);
	ck_assert_int_eq(loop_timer_arm(b, 1), 0);
	sleep_ms(20);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_int_ge(qm.calls, 1);
	ck_assert_int_le(qm.calls, 2);
}
END_TEST

struct sig_seen {
	int signo;
	int calls;
};

static void signal_cb(void *arg, int signo)
{
	struct sig_seen *s = arg;
	s->signo = signo;
	s->calls++;
	loop_quit(loop);
}

START_TEST(test_signal_delivered_through_loop)
{
	struct sig_seen seen = {0, 0};
	int sigs[] = {SIGUSR2};
	ck_assert_int_eq(loop_signals(loop, sigs, 1, signal_cb, &seen), 0);
	ck_assert_int_eq(raise(SIGUSR2), 0); /* blocked: stays pending for the signalfd */
	arm_watchdog(5000);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert(!watchdog_fired);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.signo, SIGUSR2);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
}
END_TEST

START_TEST(test_free_with_live_sources)
{
	/* loop_free releases armed timers and watches (checked by valgrind). */
	int fds[2];
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	int fired = 0;
	struct bh_timer *t = loop_timer_new(loop, count_cb, &fired);
	ck_assert_int_eq(loop_timer_arm(t, 10000), 0);
	struct pipe_watch pw = {{-1, -1}, NULL, 0, 0, -1, {0}, 0};
	ck_assert_ptr_nonnull(loop_watch_add(loop, fds[0], BH_EV_READ, read_cb, &pw));
	struct bh_timer *dead = loop_timer_new(loop, count_cb, &fired);
	loop_timer_free(dead); /* dead but not reaped */
	loop_free(loop);
	loop = NULL;
	/* The watched fd belongs to the caller and is still open. */
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(fired, 0);
	ck_assert_int_eq(pw.calls, 0);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_now_is_monotonic)
{
	uint64_t a = loop_now_ms();
	sleep_ms(15);
	uint64_t b = loop_now_ms();
	ck_assert_uint_ge(b, a + 10);
	ck_assert_uint_lt(b, a + 5000);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("timers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_timers_fire_in_order);
	tcase_add_test(tc, test_timer_rearm_from_callback);
	tcase_add_test(tc, test_timer_rearm_postpones);
	tcase_add_test(tc, test_timer_disarm_before_firing);
	tcase_add_test(tc, test_timer_disarm_after_expiry_before_dispatch);
	tcase_add_test(tc, test_timer_disarm_other_in_same_batch);
	tcase_add_test(tc, test_timer_free_other_in_same_batch);
	tcase_add_test(tc, test_timer_rearm_pending_in_same_batch);
	tcase_add_test(tc, test_timer_free_from_own_callback);
	tcase_add_test(tc, test_timer_free_armed_never_fires);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_now_is_monotonic);
	suite_add_tcase(s, tc);

	tc = tcase_create("watches");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_watch_fires_on_read);
	tcase_add_test(tc, test_watch_idle_until_data);
	tcase_add_test(tc, test_watch_write_and_pause);
	tcase_add_test(tc, test_watch_hangup_reported);
	tcase_add_test(tc, test_watch_same_fd_twice_refused);
	tcase_add_test(tc, test_watch_remove_other_in_same_batch);
	tcase_add_test(tc, test_watch_paused_in_same_batch);
	tcase_add_test(tc, test_watch_changed_in_same_batch);
	tcase_add_test(tc, test_watch_added_paused);
	tcase_add_test(tc, test_watch_frees_timer_in_same_batch);
	suite_add_tcase(s, tc);

	tc = tcase_create("control");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_quit_before_run);
	tcase_add_test(tc, test_quit_finishes_batch);
	tcase_add_test(tc, test_signal_delivered_through_loop);
	tcase_add_test(tc, test_free_with_live_sources);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
