// SPDX-License-Identifier: GPL-2.0
/*
 * elf.c - validating loader for function ELFs. The image is untrusted: every
 * size, offset and address is checked, with overflow-safe arithmetic, before
 * anything is copied into guest memory.
 */
#include <elf.h>
#include <string.h>
#include "errmsg.h"
#include "elf.h"


/* a + b <= limit, without overflow */
static int fits(uint64_t a, uint64_t b, uint64_t limit)
{
	return a <= limit && b <= limit - a;
}

int mvm_elf_parse(const void *buf, size_t len, uint64_t lo_limit,
		  uint64_t hi_limit, struct mvm_elf *e, char *err,
		  size_t errlen)
{
	const Elf64_Ehdr *eh = buf;
	const uint8_t *base = buf;
	int i, j, entry_ok = 0;

	memset(e, 0, sizeof(*e));
	if (len < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return mvm_errf(err, errlen, "not an ELF file (bad magic)");
	if (len < sizeof(*eh))
		return mvm_errf(err, errlen, "truncated ELF header (%zu bytes)", len);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return mvm_errf(err, errlen, "not a 64-bit ELF (class %u)",
			    eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return mvm_errf(err, errlen, "not little-endian");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return mvm_errf(err, errlen, "bad ELF version");
	if (eh->e_type != ET_EXEC)
		return mvm_errf(err, errlen, "not a static executable (e_type %u; "
			    "build with -static -no-pie)", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return mvm_errf(err, errlen, "not x86-64 (e_machine %u)",
			    eh->e_machine);
	if (eh->e_ehsize != sizeof(*eh))
		return mvm_errf(err, errlen, "bad e_ehsize %u", eh->e_ehsize);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return mvm_errf(err, errlen, "bad e_phentsize %u", eh->e_phentsize);
	if (eh->e_phnum == 0 || eh->e_phnum > MVM_ELF_MAX_PHDRS)
		return mvm_errf(err, errlen, "bad program header count %u",
			    eh->e_phnum);
	if (eh->e_phoff % 8 ||
	    !fits(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
		return mvm_errf(err, errlen, "program headers outside the file");

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(base + eh->e_phoff +
						      i * sizeof(Elf64_Phdr));
		struct mvm_seg *s;

		if (ph->p_type == PT_INTERP || ph->p_type == PT_DYNAMIC)
			return mvm_errf(err, errlen, "dynamic ELF: segment %d is "
				    "PT_INTERP/PT_DYNAMIC", i);
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (e->nseg == MVM_ELF_MAX_SEGS)
			return mvm_errf(err, errlen, "too many PT_LOAD segments");
		if (ph->p_filesz > ph->p_memsz)
			return mvm_errf(err, errlen, "segment %d: p_filesz > p_memsz",
				    i);
		if (!fits(ph->p_offset, ph->p_filesz, len))
			return mvm_errf(err, errlen, "segment %d: file range "
				    "[0x%llx+0x%llx] outside the %zu-byte file",
				    i, (unsigned long long)ph->p_offset,
				    (unsigned long long)ph->p_filesz, len);
		if (ph->p_vaddr < lo_limit ||
		    !fits(ph->p_vaddr, ph->p_memsz, hi_limit))
			return mvm_errf(err, errlen, "segment %d: [0x%llx+0x%llx] "
				    "outside guest memory [0x%llx, 0x%llx)", i,
				    (unsigned long long)ph->p_vaddr,
				    (unsigned long long)ph->p_memsz,
				    (unsigned long long)lo_limit,
				    (unsigned long long)hi_limit);
		for (j = 0; j < e->nseg; j++) {
			const struct mvm_seg *o = &e->seg[j];

			if (ph->p_vaddr < o->vaddr + o->memsz &&
			    o->vaddr < ph->p_vaddr + ph->p_memsz)
				return mvm_errf(err, errlen, "segment %d overlaps "
					    "segment at 0x%llx", i,
					    (unsigned long long)o->vaddr);
		}
		s = &e->seg[e->nseg++];
		s->vaddr = ph->p_vaddr;
		s->memsz = ph->p_memsz;
		s->filesz = ph->p_filesz;
		s->offset = ph->p_offset;
		s->flags = ph->p_flags;
		if (!e->lo || s->vaddr < e->lo)
			e->lo = s->vaddr;
		if (s->vaddr + s->memsz > e->hi)
			e->hi = s->vaddr + s->memsz;
		if ((s->flags & PF_X) && eh->e_entry >= s->vaddr &&
		    eh->e_entry < s->vaddr + s->memsz)
			entry_ok = 1;
	}
	if (!e->nseg)
		return mvm_errf(err, errlen, "no PT_LOAD segment");
	if (!entry_ok)
		return mvm_errf(err, errlen, "entry point 0x%llx is not in an "
			    "executable segment",
			    (unsigned long long)eh->e_entry);
	e->entry = eh->e_entry;
	return 0;
}

void mvm_elf_load(const struct mvm_elf *e, const void *buf, uint8_t *mem)
{
	int i;

	for (i = 0; i < e->nseg; i++) {
		const struct mvm_seg *s = &e->seg[i];

		memcpy(mem + s->vaddr, (const uint8_t *)buf + s->offset,
		       s->filesz);
		memset(mem + s->vaddr + s->filesz, 0, s->memsz - s->filesz);
	}
}
