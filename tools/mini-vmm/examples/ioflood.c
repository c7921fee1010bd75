// SPDX-License-Identifier: GPL-2.0
/*
 * ioflood.c - hostile, run with --ring0: writes the LOG I/O port forever
 * (a flood of KVM_EXIT_IO exits; in user mode the first "out" is a #GP).
 */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	static const char msg[] = "ioflood";

	(void)in;
	(void)len;
	for (;;)
		asm volatile("outl %0, %1" : : "a"((uint32_t)(uintptr_t)msg),
			     "Nd"((uint16_t)MVM_PORT_LOG));
}
