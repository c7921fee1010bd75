// SPDX-License-Identifier: GPL-2.0
/* loop.c - hostile: spins forever; --timeout must stop it. */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	(void)in;
	(void)len;
	for (;;)
		asm volatile("" ::: "memory");
}
