/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mvm.h - the guest library API for mini-VMM functions.
 *
 * A function defines mvm_handle() and, optionally, mvm_init(). The library's
 * _start runs mvm_init(), rings INIT_DONE (the VMM may snapshot here), then
 * calls mvm_handle() with the input and exits with its return value.
 */
#ifndef MVM_GUEST_H
#define MVM_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include "../abi.h"

/* Provided by the function. */
int mvm_handle(const uint8_t *in, size_t len);
void mvm_init(void);		/* weak; may be left out */

/* Provided by the library. */
const uint8_t *mvm_input(size_t *len);
size_t mvm_write(const void *buf, size_t len);	/* append to the output */
size_t mvm_puts(const char *s);
size_t mvm_put_u64(uint64_t v);			/* decimal */
void mvm_log(const char *s);
void mvm_init_done(void);
__attribute__((noreturn)) void mvm_exit(int status);
void *mvm_heap(size_t *len);			/* the free RAM */
volatile struct mvm_info *mvm_info(void);

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
