// SPDX-License-Identifier: GPL-2.0
/*
 * pitable.c - a function with a real init, as FaaS runtimes have: mvm_init()
 * sieves the odd numbers below 2^24 into a 1 MiB table (a cold start pays
 * for it; a snapshot start does not, and all instances share the table's
 * pages). The invocation answers pi(N), N the decimal input (default
 * 1000000), N <= 2^24, by counting table bits. Exit status 2: bad N.
 */
#include "../guest/mvm.h"

#define LIMIT	(1u << 24)

static uint64_t composite[LIMIT / 128];	/* bit i of the odd 2i+1 */

static unsigned int popcount(uint64_t x)
{
	unsigned int n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

static int is_comp(uint32_t odd)
{
	return composite[odd / 128] >> (odd / 2 % 64) & 1;
}

void mvm_init(void)
{
	uint32_t i, j;

	composite[0] = 1;	/* 1 is not prime */
	for (i = 3; i * i < LIMIT; i += 2)
		if (!is_comp(i))
			for (j = i * i; j < LIMIT; j += 2 * i)
				composite[j / 128] |= 1ULL << (j / 2 % 64);
	mvm_log("pitable: table ready");
}

int mvm_handle(const uint8_t *in, size_t len)
{
	uint64_t n = 0, count, w, bits;
	size_t k;

	for (k = 0; k < len && in[k] >= '0' && in[k] <= '9' && n <= LIMIT; k++)
		n = n * 10 + (in[k] - '0');
	for (; k < len; k++)
		if (in[k] != '\n' && in[k] != ' ')
			return 2;
	if (len == 0)
		n = 1000000;
	if (n > LIMIT)
		return 2;
	if (n < 2) {
		mvm_puts("0\n");
		return 0;
	}
	/* odd numbers <= n: 1, 3, ..., i.e. indexes 0 .. (n - 1) / 2 */
	bits = (n - 1) / 2 + 1;
	count = 1;	/* 2 */
	for (w = 0; w < bits / 64; w++)
		count += 64 - popcount(composite[w]);
	if (bits % 64)
		count += bits % 64 - popcount(composite[w] &
					      ((1ULL << (bits % 64)) - 1));
	mvm_put_u64(count);
	mvm_puts("\n");
	return 0;
}
