// SPDX-License-Identifier: GPL-2.0
/* fault.c - hostile: dereferences NULL (page 0 is unmapped): a page fault. */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	(void)in;
	(void)len;
	volatile int *p = (volatile int *)8;

	asm volatile("" : "+r"(p));
	return *p;
}
