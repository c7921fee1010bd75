// SPDX-License-Identifier: GPL-2.0
/* The host tier: every test file's cases in one TAP 13 stream */
#include "tap.h"

int main(void)
{
	test_decode();
	test_controls();
	test_ept_bits();
	test_memslot();
	test_cpuid_table();
	test_ptwalk();
	return tap_finish();
}
