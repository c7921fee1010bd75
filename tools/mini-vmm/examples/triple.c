// SPDX-License-Identifier: GPL-2.0
/* triple.c - hostile: drops the IDT and faults: a triple fault (shutdown). */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idt = { 0, 0 };

	(void)in;
	(void)len;
	asm volatile("lidt %0; ud2" : : "m"(idt));
	return 0;
}
