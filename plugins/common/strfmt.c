#include "config.h"

#include <stdio.h>

#include "strfmt.h"

char *bh_vstrfmt(const char *fmt, va_list ap)
{
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		return NULL;
	return text;
}

char *bh_strfmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = bh_vstrfmt(fmt, ap);
	va_end(ap);
	return text;
}
