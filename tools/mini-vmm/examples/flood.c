// SPDX-License-Identifier: GPL-2.0
/* flood.c - hostile: rings the log doorbell forever (an I/O exit flood). */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	(void)in;
	(void)len;
	for (;;)
		mvm_log("flood");
}
