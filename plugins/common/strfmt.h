/* printf into a fresh heap string (plugins' internal library). */
#ifndef BH_COMMON_STRFMT_H
#define BH_COMMON_STRFMT_H

#include <stdarg.h>

#include <beachhead/plugin.h>

/* A malloc'd string, or NULL when out of memory: one check instead of
 * asprintf's undefined pointer on failure. */
char *bh_strfmt(const char *fmt, ...) BH_PRINTF(1, 2);
char *bh_vstrfmt(const char *fmt, va_list ap) BH_PRINTF(1, 0);

#endif
