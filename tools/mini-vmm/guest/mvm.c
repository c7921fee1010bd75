// SPDX-License-Identifier: GPL-2.0
/* mvm.c - guest library: input, output, log, init-done and exit doorbells. */
#include "mvm.h"

/* Ring doorbell port with a store to its MMIO address (see abi.h). */
static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("movl %0, (%1)" : : "r"(v),
		     "r"(MVM_DOORBELL_MMIO + 4 * port) : "memory");
}

volatile struct mvm_info *mvm_info(void)
{
	return (volatile struct mvm_info *)MVM_INFO_ADDR;
}

const uint8_t *mvm_input(size_t *len)
{
	*len = mvm_info()->in_len;
	return (const uint8_t *)mvm_info()->in_addr;
}

size_t mvm_write(const void *buf, size_t len)
{
	volatile struct mvm_info *in = mvm_info();
	uint64_t used = in->out_len, cap = in->out_cap;

	if (used >= cap)
		return 0;
	if (len > cap - used)
		len = cap - used;
	memcpy((char *)in->out_addr + used, buf, len);
	in->out_len = used + len;
	return len;
}

size_t mvm_puts(const char *s)
{
	return mvm_write(s, strlen(s));
}

size_t mvm_put_u64(uint64_t v)
{
	char b[21];
	int i = sizeof(b);

	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	return mvm_write(b + i, sizeof(b) - i);
}

void mvm_log(const char *s)
{
	outl(MVM_PORT_LOG, (uint32_t)(uintptr_t)s);
}

void mvm_init_done(void)
{
	outl(MVM_PORT_INIT_DONE, 0);
}

void mvm_exit(int status)
{
	for (;;)
		outl(MVM_PORT_EXIT, (uint32_t)status);
}

void *mvm_heap(size_t *len)
{
	*len = mvm_info()->heap_end - mvm_info()->heap_start;
	return (void *)mvm_info()->heap_start;
}

__attribute__((weak)) void mvm_init(void)
{
}

void mvm_start(void);
void mvm_start(void)
{
	const uint8_t *in;
	size_t len;

	mvm_init();
	mvm_init_done();
	mvm_info()->out_len = 0;
	in = mvm_input(&len);
	mvm_exit(mvm_handle(in, len));
}

/* The few libc routines gcc may emit calls to. */
void *memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	char *dp = d;

	while (n--)
		*dp++ = c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
