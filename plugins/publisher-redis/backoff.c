/*
 * Jitter: many daemons that lost the same server at the same moment must
 * not knock on it again in lockstep; +-20 % spreads them out while keeping
 * the cap meaningful (never more than max_ms * 1.2).
 */
#include "config.h"

#include "backoff.h"

#include <time.h>
#include <unistd.h>

void backoff_init(struct backoff *b, uint64_t min_ms, uint64_t max_ms)
{
	struct timespec ts = {0, 0};
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	b->next_ms = b->min_ms;
	/* Any nonzero seed will do; pid and clock differ between daemons. */
	b->seed = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec ^ 1u;
}

/* xorshift64: jitter needs no cryptographic quality. */
static uint64_t next_random(struct backoff *b)
{
	b->seed ^= b->seed << 13;
	b->seed ^= b->seed >> 7;
	b->seed ^= b->seed << 17;
	return b->seed;
}

uint64_t backoff_next(struct backoff *b)
{
	uint64_t base = b->next_ms;
	b->next_ms = base * 2 > b->max_ms ? b->max_ms : base * 2;
	uint64_t spread = base / 5; /* 20 % */
	if (spread == 0)
		return base;
	return base - spread + next_random(b) % (2 * spread + 1);
}

void backoff_reset(struct backoff *b)
{
	b->next_ms = b->min_ms;
}
