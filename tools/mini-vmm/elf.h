/* SPDX-License-Identifier: GPL-2.0 */
/* elf.h - validating loader for untrusted static x86-64 function ELFs. */
#ifndef MVM_ELF_H
#define MVM_ELF_H

#include <stddef.h>
#include <stdint.h>

#define MVM_ELF_MAX_PHDRS	64
#define MVM_ELF_MAX_SEGS	16

struct mvm_seg {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t flags;
};

struct mvm_elf {
	uint64_t entry;
	uint64_t lo, hi;	/* lowest and highest (exclusive) loaded byte */
	int nseg;
	struct mvm_seg seg[MVM_ELF_MAX_SEGS];
};

/*
 * Check every header of the ELF image buf[0..len) and that its PT_LOAD
 * segments fit in guest memory [lo_limit, hi_limit) without overlapping.
 * Returns 0, or -1 with a reason in err.
 */
int mvm_elf_parse(const void *buf, size_t len, uint64_t lo_limit,
		  uint64_t hi_limit, struct mvm_elf *e, char *err,
		  size_t errlen);

/* Copy the parsed segments into guest memory mem (zeroing their bss). */
void mvm_elf_load(const struct mvm_elf *e, const void *buf, uint8_t *mem);

#endif
