/* printf into a fresh heap string: the one way the core builds messages. */
#ifndef BH_STRFMT_H
#define BH_STRFMT_H

#include <stdarg.h>

#include <beachhead/plugin.h>

/* Returns a malloc'd string, or NULL when out of memory. */
char *strfmt(const char *fmt, ...) BH_PRINTF(1, 2);
char *vstrfmt(const char *fmt, va_list ap) BH_PRINTF(1, 0);

#endif
