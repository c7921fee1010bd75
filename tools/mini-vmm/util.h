/* SPDX-License-Identifier: GPL-2.0 */
/* util.h - small helpers: file reading, size parsing, clocks. */
#ifndef MVM_UTIL_H
#define MVM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file ("-" is stdin); NULL with a message on error. */
void *mvm_read_file(const char *path, size_t *len, size_t max);
/* "64M", "2048K", "1G", "4096": bytes, or 0 on a bad size. */
uint64_t mvm_parse_size(const char *s);
double mvm_now(void);	/* monotonic seconds */
void mvm_raise_nofile(void);

#endif
