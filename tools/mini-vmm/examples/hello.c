// SPDX-License-Identifier: GPL-2.0
/* hello.c - greets, echoes its input's length and logs through the log port. */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	(void)in;
	mvm_log("hello: running");
	mvm_puts("Hello from mini-vmm! input bytes: ");
	mvm_put_u64(len);
	mvm_puts("\n");
	return 0;
}
