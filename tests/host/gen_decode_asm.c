// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the decoder's cases as GNU as source: every instruction between
 * two local labels in .rodata.dec_bytes, and a table of (offset, length)
 * pairs that test_decode reads. The bytes are the assembler's, not ours.
 */
#include <stdio.h>
#include "decode_cases.h"

int main(void)
{
	struct dcase *c;
	int n = dcase_build(&c), i, mode = 0;

	printf("\t.intel_syntax noprefix\n");
	printf("\t.section .rodata.dec_bytes,\"a\"\n");
	printf("\t.globl dec_bytes\ndec_bytes:\n");
	for (i = 0; i < n; i++) {
		if (c[i].mode != mode) {
			mode = c[i].mode;
			printf("\t.code%d\n", mode * 8);
		}
		printf(".Lc%d:\t%s\n.Le%d:\n", i, c[i].text, i);
	}
	printf("\t.code64\n");
	printf("\t.section .rodata.dec_index,\"a\"\n\t.p2align 2\n");
	printf("\t.globl dec_index\ndec_index:\n");
	for (i = 0; i < n; i++)
		printf("\t.long .Lc%d - dec_bytes, .Le%d - .Lc%d\n", i, i, i);
	printf("\t.globl dec_count\ndec_count:\n\t.long %d\n", n);
	printf("\t.section .note.GNU-stack,\"\",@progbits\n");
	return 0;
}
