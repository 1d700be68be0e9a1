/*
 * What the core last said about each container (an error, a note), so that
 * it is logged once per change: every full pass reports every container
 * again, and the log must stay readable.
 */
#ifndef BH_ERROR_MEMO_H
#define BH_ERROR_MEMO_H

#include <stdbool.h>

#include <beachhead/strmap.h>

struct error_memo {
	struct bh_strmap by_container;
};

void error_memo_init(struct error_memo *memo);
void error_memo_free(struct error_memo *memo);
/* Whether message is news for container; remembers it either way.  Out of
 * memory counts as news (better a repeated line than a lost one). */
bool error_memo_is_news(struct error_memo *memo, const char *container, const char *message);
/* The container is fine again (or gone): its next message is news. */
void error_memo_forget(struct error_memo *memo, const char *container);

#endif
