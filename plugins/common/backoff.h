/* Capped exponential backoff for reconnects (plugins' internal library). */
#ifndef BH_COMMON_BACKOFF_H
#define BH_COMMON_BACKOFF_H

#include <stdint.h>

struct bh_backoff {
	uint64_t min_ms;
	uint64_t max_ms;
	uint64_t next_ms;        /* the delay bh_backoff_next returns next, before jitter */
	unsigned jitter_percent; /* 0 = none (the default) */
	uint64_t seed;           /* jitter state */
};

/* No jitter: delays are exactly min_ms, 2 * min_ms, ... max_ms.  A min_ms
 * of 0 would never back off: it becomes 1. */
void bh_backoff_init(struct bh_backoff *b, uint64_t min_ms, uint64_t max_ms);
/* Spreads every delay by up to +-percent (at most 50) around its base, so
 * that many daemons that lost the same server at the same moment do not
 * knock on it again in lockstep.  The cap then means max_ms + percent. */
void bh_backoff_jitter(struct bh_backoff *b, unsigned percent);
/* The delay to wait now; doubles the following one, up to max_ms. */
uint64_t bh_backoff_next(struct bh_backoff *b);
/* After a success: the next failure retries after min_ms again. */
void bh_backoff_reset(struct bh_backoff *b);
/* A connection that had been up for up_ms broke.  One that stayed up at
 * least healthy_ms was healthy: the next attempt starts from min_ms again.
 * One dropped sooner keeps backing off, so that a server that accepts and
 * drops us at once cannot make us spin. */
void bh_backoff_lost(struct bh_backoff *b, uint64_t up_ms, uint64_t healthy_ms);

#endif
