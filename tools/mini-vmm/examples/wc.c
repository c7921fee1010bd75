// SPDX-License-Identifier: GPL-2.0
/* wc.c - counts lines, words and bytes of its input: "LINES WORDS BYTES". */
#include "../guest/mvm.h"

static int space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

int mvm_handle(const uint8_t *in, size_t len)
{
	uint64_t lines = 0, words = 0;
	int inword = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n')
			lines++;
		if (space(in[i])) {
			inword = 0;
		} else if (!inword) {
			inword = 1;
			words++;
		}
	}
	mvm_put_u64(lines);
	mvm_puts(" ");
	mvm_put_u64(words);
	mvm_puts(" ");
	mvm_put_u64(len);
	mvm_puts("\n");
	return 0;
}
