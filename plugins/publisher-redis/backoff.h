/*
 * Capped exponential backoff with jitter, self-contained (no plugin state)
 * so that any plugin that reconnects to something can use it.
 *
 *   struct backoff b;
 *   backoff_init(&b, 100, 5000);
 *   delay = backoff_next(&b);   // 100, 200, 400, ... 5000, 5000 (+-20 %)
 *   backoff_reset(&b);          // after a success
 */
#ifndef BH_BACKOFF_H
#define BH_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint64_t min_ms;
	uint64_t max_ms;
	uint64_t next_ms; /* the delay backoff_next() hands out next, before jitter */
	uint64_t seed;    /* jitter state */
};

void backoff_init(struct backoff *b, uint64_t min_ms, uint64_t max_ms);
/* The delay to wait now; doubles the following one, up to max_ms. */
uint64_t backoff_next(struct backoff *b);
void backoff_reset(struct backoff *b);

#endif
