#include "config.h"

#include "backoff.h"

#include <time.h>
#include <unistd.h>

#define MAX_JITTER_PERCENT 50u

void bh_backoff_init(struct bh_backoff *b, uint64_t min_ms, uint64_t max_ms)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	b->next_ms = b->min_ms;
	b->jitter_percent = 0;
	b->seed = 0;
}

void bh_backoff_jitter(struct bh_backoff *b, unsigned percent)
{
	struct timespec ts = {0, 0};
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	b->jitter_percent = percent > MAX_JITTER_PERCENT ? MAX_JITTER_PERCENT : percent;
	/* Any nonzero seed will do; pid and clock differ between daemons. */
	b->seed = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec ^ 1u;
}

/* xorshift64: jitter needs no cryptographic quality. */
static uint64_t next_random(struct bh_backoff *b)
{
	b->seed ^= b->seed << 13;
	b->seed ^= b->seed >> 7;
	b->seed ^= b->seed << 17;
	return b->seed;
}

uint64_t bh_backoff_next(struct bh_backoff *b)
{
	uint64_t base = b->next_ms;
	b->next_ms = base > b->max_ms / 2 ? b->max_ms : base * 2;
	uint64_t spread = base * b->jitter_percent / 100u;
	if (spread == 0)
		return base;
	return base - spread + next_random(b) % (2 * spread + 1);
}

void bh_backoff_reset(struct bh_backoff *b)
{
	b->next_ms = b->min_ms;
}

void bh_backoff_lost(struct bh_backoff *b, uint64_t up_ms, uint64_t healthy_ms)
{
	if (up_ms >= healthy_ms)
		bh_backoff_reset(b);
}
