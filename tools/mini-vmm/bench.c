// SPDX-License-Identifier: GPL-2.0
/* bench.c - placeholder */
#include <stdio.h>
#include "bench.h"

int mvm_bench_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "bench: not yet\n");
	return 1;
}
