// SPDX-License-Identifier: GPL-2.0
#include "tap.h"

void test_ptwalk(void)
{
}
