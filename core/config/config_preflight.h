/*
 * Checks a configuration file and every file it @includes before libconfig
 * reads them.  libconfig 1.5 calls exit() when an @include names a directory
 * ("input in flex scanner failed"), blocks on a FIFO until a writer comes,
 * and needs time quadratic in the length of a token: none of that may reach
 * a running daemon through a SIGHUP.
 */
#ifndef BH_CONFIG_PREFLIGHT_H
#define BH_CONFIG_PREFLIGHT_H

#include <stddef.h>

/* The configuration file and all its includes together: far above any real
 * configuration, and small enough that libconfig's parse (its time grows
 * with the square of a token's length) stays short even for one token. */
#define CONFIG_MAX_TOTAL_BYTES (256u * 1024u)

/*
 * Returns 0 when path and every file it @includes (recursively, resolved as
 * libconfig does: relative to the working directory) are regular files
 * together no larger than max_total bytes.  Otherwise -1 with *error set to a
 * malloc'd "FILE:LINE: ..." or "FILE: ..." message.
 */
int config_preflight(const char *path, size_t max_total, char **error);

#endif
