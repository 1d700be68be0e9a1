#include "config.h"

#include "flush_wait.h"

static void check(void *arg)
{
	struct flush_wait *wait = arg;
	size_t left = wait->pending(wait->arg);
	if (left > 0 && loop_now_ms() < wait->deadline_ms &&
	    loop_timer_arm(wait->timer, FLUSH_WAIT_POLL_MS) == 0)
		return;
	wait->done(wait->arg, left);
}

int flush_wait_init(struct flush_wait *wait, struct loop *loop, size_t (*pending)(void *arg),
		    void (*done)(void *arg, size_t left), void *arg)
{
	*wait = (struct flush_wait){.pending = pending, .done = done, .arg = arg};
	wait->timer = loop_timer_new(loop, check, wait);
	return wait->timer ? 0 : -1;
}

void flush_wait_start(struct flush_wait *wait, uint64_t timeout_ms)
{
	wait->deadline_ms = loop_now_ms() + timeout_ms;
	check(wait);
}

void flush_wait_cancel(struct flush_wait *wait)
{
	if (wait->timer)
		loop_timer_disarm(wait->timer);
}
