// SPDX-License-Identifier: GPL-2.0
/*
 * bench/boot/mkfastbz.c - build the bench's "fast bzImage".
 *
 *   mkfastbz BZIMAGE VMLINUX STUB.BIN OUT
 *
 * BZIMAGE is the distribution's kernel (real-mode setup + compressed
 * payload), VMLINUX the ELF image decompressed from that payload, STUB.BIN
 * the flat binary of stub.S (linked at 0x100000). OUT gets BZIMAGE's setup
 * sectors, with the setup header patched, followed by the stub and the
 * uncompressed kernel laid out by physical address (PT_LOAD p_paddr), its
 * trailing zeroes trimmed (the stub zeroes them at boot).
 *
 * Header fields changed (Documentation/x86/boot.rst):
 *   syssize             size of the new protected-mode part (16-byte units)
 *   relocatable_kernel  0: the loader must put the stub at code32_start,
 *                       0x100000, where it is linked
 *   xloadflags          XLF_KERNEL_64 set (the stub's 64-bit entry is at
 *                       +0x200), the above-4G and EFI bits cleared (no EFI
 *                       stub, the stub is linked at 0x100000)
 *   pref_address        0x100000, where the stub must be loaded
 *   init_size           covers 0x100000 .. end of the moved kernel in memory
 *   payload_offset/length, handover_offset, kernel_info_offset  zeroed
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STUB_BASE 0x100000u

static void die(const char *msg)
{
	fprintf(stderr, "mkfastbz: %s\n", msg);
	exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f) {
		fprintf(stderr, "mkfastbz: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		die("read failed");
	fclose(f);
	*len = n;
	return buf;
}

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int main(int argc, char **argv)
{
	size_t bzlen, vlen, slen, setup_len, img_len, mem_len, i;
	unsigned char *bz, *vm, *stub, *img, *params = NULL, *hdr;
	uint64_t lo = UINT64_MAX, hi = 0, entry;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	unsigned setup_sects;
	uint32_t init_size, pm_len;
	FILE *out;

	if (argc != 5)
		die("usage: mkfastbz BZIMAGE VMLINUX STUB.BIN OUT");
	bz = slurp(argv[1], &bzlen);
	vm = slurp(argv[2], &vlen);
	stub = slurp(argv[3], &slen);

	/* the bzImage's setup */
	if (bzlen < 0x300 || memcmp(bz + 0x202, "HdrS", 4))
		die("not a bzImage (no HdrS)");
	if (get16(bz + 0x206) < 0x20c)
		die("boot protocol older than 2.12 (no xloadflags)");
	setup_sects = bz[0x1f1] ? bz[0x1f1] : 4;
	setup_len = (setup_sects + 1) * 512u;
	if (get32(bz + 0x214) != STUB_BASE)
		die("code32_start is not 0x100000");

	/* the vmlinux: PT_LOAD segments by physical address */
	eh = (Elf64_Ehdr *)vm;
	if (vlen < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		die("vmlinux is not an x86-64 ELF");
	ph = (Elf64_Phdr *)(vm + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		if (ph[i].p_paddr < lo)
			lo = ph[i].p_paddr;
		if (ph[i].p_paddr + ph[i].p_memsz > hi)
			hi = ph[i].p_paddr + ph[i].p_memsz;
	}
	if (hi <= lo || hi > 0xc0000000u)
		die("bad PT_LOAD layout");
	mem_len = (hi - lo + 4095) & ~4095ul;
	img = calloc(1, mem_len);
	if (!img)
		die("out of memory");
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (ph[i].p_offset + ph[i].p_filesz > vlen)
			die("segment beyond end of file");
		memcpy(img + (ph[i].p_paddr - lo), vm + ph[i].p_offset, ph[i].p_filesz);
	}
	/* entry: e_entry is physical for x86 vmlinux; map it if virtual */
	entry = eh->e_entry;
	if (entry < lo || entry >= hi) {
		for (i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && entry >= ph[i].p_vaddr &&
			    entry < ph[i].p_vaddr + ph[i].p_memsz)
				break;
		if (i == eh->e_phnum)
			die("entry point outside the image");
		entry = entry - ph[i].p_vaddr + ph[i].p_paddr;
	}
	img_len = mem_len;
	while (img_len && !img[img_len - 1])
		img_len--;
	img_len = (img_len + 15) & ~15ul;

	/* the stub and its parameter block */
	if (slen % 4096)
		die("stub size is not a multiple of 4096");
	for (i = 0; i + 8 <= 64 && i + 8 <= slen; i++)
		if (!memcmp(stub + i, "RKVMSTB1", 8)) {
			params = stub + i + 8;
			break;
		}
	if (!params)
		die("stub parameter block not found");
	if (slen <= 0x200 || stub[0x200] != 0xfa)	/* cli */
		die("stub has no 64-bit entry at offset 0x200");
	if (lo < STUB_BASE + slen)
		die("kernel load address overlaps the stub");
	put32(params + 0, lo);
	put32(params + 4, slen);
	put32(params + 8, img_len);
	put32(params + 12, mem_len);
	put32(params + 16, entry);

	/* the setup header */
	hdr = malloc(setup_len);
	memcpy(hdr, bz, setup_len);
	pm_len = slen + img_len;
	put32(hdr + 0x1f4, (pm_len + 15) / 16);		/* syssize */
	hdr[0x234] = 0;					/* relocatable_kernel */
	/* xloadflags: XLF_KERNEL_64 only of bits 0-4 */
	put16(hdr + 0x236, (get16(hdr + 0x236) & ~0x1fu) | 0x1u);
	put32(hdr + 0x258, STUB_BASE);			/* pref_address, low */
	put32(hdr + 0x25c, 0);				/* pref_address, high */
	put32(hdr + 0x248, 0);				/* payload_offset */
	put32(hdr + 0x24c, 0);				/* payload_length */
	init_size = (lo + mem_len - STUB_BASE + 0x200000) & ~0x1fffffu;
	if (init_size < get32(hdr + 0x260))
		init_size = get32(hdr + 0x260);
	put32(hdr + 0x260, init_size);			/* init_size */
	put32(hdr + 0x264, 0);				/* handover_offset */
	if (get16(hdr + 0x206) >= 0x20f)
		put32(hdr + 0x268, 0);			/* kernel_info_offset */

	out = fopen(argv[4], "wb");
	if (!out)
		die("cannot create output");
	if (fwrite(hdr, 1, setup_len, out) != setup_len ||
	    fwrite(stub, 1, slen, out) != slen ||
	    fwrite(img, 1, img_len, out) != img_len)
		die("write failed");
	for (i = pm_len; i % 16; i++)
		fputc(0, out);
	if (fclose(out))
		die("write failed");
	fprintf(stderr, "mkfastbz: load 0x%llx entry 0x%llx image %zu bytes, %zu in memory, init_size 0x%x\n",
		(unsigned long long)lo, (unsigned long long)entry, img_len, mem_len, init_size);
	return 0;
}
