#include "config.h"

#include "strfmt.h"

#include <stdio.h>

char *vstrfmt(const char *fmt, va_list ap)
{
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		return NULL;
	return text;
}

char *strfmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vstrfmt(fmt, ap);
	va_end(ap);
	return text;
}
