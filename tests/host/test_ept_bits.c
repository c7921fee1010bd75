// SPDX-License-Identifier: GPL-2.0
#include "tap.h"

void test_ept_bits(void)
{
}
