// SPDX-License-Identifier: GPL-2.0
/*
 * primes.c - CPU-bound sieve of Eratosthenes: counts the primes <= N, N the
 * decimal input (1000000 when empty). Odd-only bitmap in the heap.
 * Exit status 2 when N is not a number or the heap is too small.
 */
#include "../guest/mvm.h"

int mvm_handle(const uint8_t *in, size_t len)
{
	uint64_t n = 0, i, j, count, bytes;
	size_t heap_len;
	uint8_t *bits = mvm_heap(&heap_len);
	size_t k;

	for (k = 0; k < len && in[k] >= '0' && in[k] <= '9'; k++)
		n = n * 10 + (in[k] - '0');
	for (; k < len; k++)
		if (in[k] != '\n' && in[k] != ' ')
			return 2;
	if (len == 0)
		n = 1000000;
	if (n < 2) {
		mvm_puts("0\n");
		return 0;
	}
	/* bit i stands for the odd number 2i+1; set = composite */
	bytes = (n / 2) / 8 + 1;
	if (bytes > heap_len) {
		mvm_log("primes: N too large for the heap");
		return 2;
	}
	memset(bits, 0, bytes);
	for (i = 3; i * i <= n; i += 2)
		if (!(bits[i / 2 / 8] & (1 << (i / 2 % 8))))
			for (j = i * i; j <= n; j += 2 * i)
				bits[j / 2 / 8] |= 1 << (j / 2 % 8);
	count = 1;	/* 2 */
	for (i = 3; i <= n; i += 2)
		if (!(bits[i / 2 / 8] & (1 << (i / 2 % 8))))
			count++;
	mvm_put_u64(count);
	mvm_puts("\n");
	return 0;
}
