// SPDX-License-Identifier: GPL-2.0
/* errmsg.c - the parsers' error messages into a caller's buffer. */
#include <stdarg.h>
#include <stdio.h>
#include "errmsg.h"

int mvm_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
