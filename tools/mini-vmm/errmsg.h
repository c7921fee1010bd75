/* SPDX-License-Identifier: GPL-2.0 */
/* errmsg.h - the parsers' error messages into a caller's buffer. */
#ifndef MVM_ERRMSG_H
#define MVM_ERRMSG_H

#include <stddef.h>

/* Format the message into err[errlen]; returns -1 for "return mvm_errf(...)". */
int mvm_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
