// SPDX-License-Identifier: GPL-2.0
/* wild.c - hostile: writes far outside its RAM (an MMIO exit in the VMM). */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	(void)in;
	(void)len;
	*(volatile uint64_t *)0x30000000 = 0xdeadbeef;
	return 0;
}
