/* SPDX-License-Identifier: GPL-2.0 */
/* tap.h - minimal TAP 13 output for the host-tier unit tests. */
#ifndef MVM_TAP_H
#define MVM_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *name)
{
	if (!tap_n++)
		printf("TAP version 13\n");
	printf("%sok %d %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		tap_failed++;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
