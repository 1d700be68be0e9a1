/* Capped exponential backoff for reconnects (plugins' internal library). */
#ifndef BH_COMMON_BACKOFF_H
#define BH_COMMON_BACKOFF_H

#include <stdint.h>

struct bh_backoff {
	uint64_t min_ms;
	uint64_t max_ms;
	uint64_t next_ms; /* the delay bh_backoff_next returns next */
};

void bh_backoff_init(struct bh_backoff *b, uint64_t min_ms, uint64_t max_ms);
/* The delay to wait now; doubles the following one, up to max_ms. */
uint64_t bh_backoff_next(struct bh_backoff *b);
/* After a success: the next failure retries after min_ms again. */
void bh_backoff_reset(struct bh_backoff *b);

#endif
