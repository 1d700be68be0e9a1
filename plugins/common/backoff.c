#include "config.h"

#include "backoff.h"

void bh_backoff_init(struct bh_backoff *b, uint64_t min_ms, uint64_t max_ms)
{
	b->min_ms = min_ms;
	b->max_ms = max_ms < min_ms ? min_ms : max_ms;
	b->next_ms = min_ms;
}

uint64_t bh_backoff_next(struct bh_backoff *b)
{
	uint64_t now = b->next_ms;
	b->next_ms = now > b->max_ms / 2 ? b->max_ms : now * 2;
	return now;
}

void bh_backoff_reset(struct bh_backoff *b)
{
	b->next_ms = b->min_ms;
}
