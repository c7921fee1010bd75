// SPDX-License-Identifier: GPL-2.0
/*
 * test_elf.c - host-tier unit tests of the ELF loader: a valid image, then
 * one broken header or segment at a time, then random corruption.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "../abi.h"
#include "../elf.h"
#include "tap.h"

#define LO	MVM_LOAD_BASE
#define HI	0x300000ULL
#define IMG	4096

static uint8_t img[IMG];
static Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
static Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));

/* A valid image: text at 1 MiB (file 0x200..0x400), data+bss at 1 MiB+8K. */
static void build(void)
{
	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = LO + 0x10;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	ph[0].p_type = PT_LOAD;
	ph[0].p_flags = PF_R | PF_X;
	ph[0].p_offset = 0x200;
	ph[0].p_vaddr = ph[0].p_paddr = LO;
	ph[0].p_filesz = ph[0].p_memsz = 0x200;
	ph[1].p_type = PT_LOAD;
	ph[1].p_flags = PF_R | PF_W;
	ph[1].p_offset = 0x400;
	ph[1].p_vaddr = ph[1].p_paddr = LO + 0x2000;
	ph[1].p_filesz = 0x100;
	ph[1].p_memsz = 0x3000;
	memset(img + 0x200, 0x90, 0x200);
	memset(img + 0x400, 0xab, 0x100);
}

static int parse(size_t len)
{
	struct mvm_elf e;
	char err[256];

	return mvm_elf_parse(img, len, LO, HI, &e, err, sizeof(err));
}

/* Build, apply a change, and expect a rejection. */
#define REJECT(name, change) do {		\
	build();				\
	change;					\
	tap_ok(parse(IMG) < 0, name);		\
} while (0)

int main(void)
{
	static uint8_t mem[HI];
	struct mvm_elf e;
	char err[256];
	int i, ok, bad = 0;

	build();
	ok = !mvm_elf_parse(img, IMG, LO, HI, &e, err, sizeof(err));
	tap_ok(ok && e.nseg == 2 && e.entry == LO + 0x10 && e.lo == LO &&
	       e.hi == LO + 0x5000, "valid image parses (entry, range)");
	memset(mem, 0x55, sizeof(mem));
	mvm_elf_load(&e, img, mem);
	tap_ok(mem[LO] == 0x90 && mem[LO + 0x1ff] == 0x90 &&
	       mem[LO + 0x200] == 0x55 && mem[LO + 0x2000] == 0xab &&
	       mem[LO + 0x20ff] == 0xab && mem[LO + 0x2100] == 0 &&
	       mem[LO + 0x4fff] == 0 && mem[LO + 0x5000] == 0x55,
	       "load copies file bytes and zeroes bss only");

	build();
	tap_ok(parse(0) < 0 && parse(10) < 0 && parse(63) < 0,
	       "truncated header rejected");
	tap_ok(parse(sizeof(Elf64_Ehdr) + 8) < 0,
	       "truncated program headers rejected");
	tap_ok(parse(0x480) < 0, "truncated segment data rejected");
	REJECT("bad magic rejected", img[1] = 'X');
	REJECT("32-bit class rejected", img[EI_CLASS] = ELFCLASS32);
	REJECT("big-endian rejected", img[EI_DATA] = ELFDATA2MSB);
	REJECT("bad version rejected", eh->e_version = 2);
	REJECT("ET_DYN (PIE) rejected", eh->e_type = ET_DYN);
	REJECT("wrong machine rejected", eh->e_machine = EM_386);
	REJECT("bad e_phentsize rejected", eh->e_phentsize = 32);
	REJECT("zero program headers rejected", eh->e_phnum = 0);
	REJECT("too many program headers rejected", eh->e_phnum = 1000);
	REJECT("program headers past the file rejected",
	       eh->e_phoff = IMG - 8);
	REJECT("program header offset overflow rejected",
	       eh->e_phoff = ~0ULL - 8);
	REJECT("p_filesz > p_memsz rejected", ph[1].p_filesz = 0x4000);
	REJECT("segment file range past the file rejected",
	       ph[0].p_offset = IMG - 0x100);
	REJECT("segment file offset overflow rejected",
	       ph[0].p_offset = ~0ULL - 0x10);
	REJECT("segment below the load base rejected",
	       ph[0].p_vaddr = LO - 0x1000);
	REJECT("segment at guest address 0 rejected", ph[0].p_vaddr = 0);
	REJECT("segment past guest memory rejected",
	       ph[1].p_vaddr = HI - 0x1000);
	REJECT("oversized segment rejected", ph[1].p_memsz = 1ULL << 40);
	REJECT("segment address overflow rejected",
	       (ph[1].p_vaddr = ~0ULL - 0x1000, ph[1].p_memsz = 0x3000));
	REJECT("overlapping segments rejected", ph[1].p_vaddr = LO + 0x100);
	REJECT("no PT_LOAD rejected",
	       (ph[0].p_type = PT_NOTE, ph[1].p_type = PT_NOTE));
	REJECT("entry outside the segments rejected",
	       eh->e_entry = LO + 0x8000);
	REJECT("entry in a non-executable segment rejected",
	       eh->e_entry = LO + 0x2000);
	REJECT("PT_INTERP (dynamic) rejected", ph[1].p_type = PT_INTERP);

	/* random corruption: never crash, never accept out-of-range segments */
	srand(1);
	for (i = 0; i < 200000; i++) {
		int k, flips = 1 + rand() % 4;

		build();
		for (k = 0; k < flips; k++)
			img[rand() % 0x100] ^= 1 << (rand() % 8);
		if (mvm_elf_parse(img, IMG, LO, HI, &e, err, sizeof(err)))
			continue;
		for (k = 0; k < e.nseg; k++)
			if (e.seg[k].vaddr < LO ||
			    e.seg[k].vaddr + e.seg[k].memsz > HI ||
			    e.seg[k].offset + e.seg[k].filesz > IMG ||
			    e.seg[k].filesz > e.seg[k].memsz)
				bad++;
	}
	tap_ok(!bad, "200000 corrupted images: no accepted segment out of range");
	return tap_done();
}
