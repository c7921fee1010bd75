// SPDX-License-Identifier: GPL-2.0
/*
 * bzimage.c - check a bzImage's setup header and build the zero page for
 * the 64-bit boot protocol (Documentation/x86/boot.rst, zero-page.rst).
 * Every offset read from the file is checked against its length first, so
 * a truncated or hostile image gives a message, never a wild read.
 */
#include <string.h>
#include "errmsg.h"
#include "bzimage.h"

/* setup header offsets (in the file and in the zero page alike) */
#define HDR_START		0x1f1
#define HDR_SETUP_SECTS		0x1f1
#define HDR_SYSSIZE		0x1f4
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP_LEN		0x201
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_LOADFLAGS		0x211
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_HARDWARE_SUBARCH	0x23c
#define HDR_SETUP_DATA		0x250
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260
#define HDR_MIN_END		0x264	/* init_size: in every 2.12 header */
#define HDR_MAX_END		0x290	/* the zero page's edd_mbr_sig_buffer */

#define LOADED_HIGH		0x01
#define XLF_KERNEL_64		0x01
#define E820_RAM		1
#define E820_RESERVED		2

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }


int mvm_bz_parse(const void *buf, size_t len, struct mvm_bzimage *bz,
		 char *err, size_t errlen)
{
	const uint8_t *f = buf;
	size_t setup_len;
	uint64_t syssize;
	unsigned int ss;

	memset(bz, 0, sizeof(*bz));
	if (len < HDR_MIN_END)
		return mvm_errf(err, errlen, "only %zu bytes: too short for a "
			    "bzImage (its setup header ends at 0x%x)", len,
			    HDR_MIN_END);
	if (get16(f + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(f + HDR_MAGIC, "HdrS", 4))
		return mvm_errf(err, errlen, "not a bzImage: no boot flag 0xaa55 "
			    "and \"HdrS\" magic in the setup header (a vmlinux "
			    "ELF or a compressed file? give arch/x86/boot/bzImage)");
	bz->version = get16(f + HDR_VERSION);
	if (bz->version < 0x20c)
		return mvm_errf(err, errlen, "boot protocol %u.%02u is older than "
			    "2.12: no 64-bit entry (kernel older than 3.8)",
			    bz->version >> 8, bz->version & 0xff);
	bz->hdr_end = 0x202 + f[HDR_JUMP_LEN];
	if (bz->hdr_end < HDR_MIN_END || bz->hdr_end > HDR_MAX_END)
		return mvm_errf(err, errlen, "setup header length 0x%zx (from the "
			    "jump at 0x200) is outside 0x%x..0x%x",
			    bz->hdr_end, HDR_MIN_END, HDR_MAX_END);
	if (bz->hdr_end > len)
		return mvm_errf(err, errlen, "file truncated inside the setup "
			    "header (%zu bytes, header ends at 0x%zx)", len,
			    bz->hdr_end);
	if (!(get16(f + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return mvm_errf(err, errlen, "XLF_KERNEL_64 is not set in "
			    "xloadflags: this kernel has no 64-bit entry point");
	if (!(f[HDR_LOADFLAGS] & LOADED_HIGH))
		return mvm_errf(err, errlen, "LOADED_HIGH is not set: a zImage "
			    "(loaded at 0x10000), not a bzImage");
	ss = f[HDR_SETUP_SECTS] ? f[HDR_SETUP_SECTS] : 4;
	setup_len = (ss + 1) * 512u;
	if (setup_len >= len)
		return mvm_errf(err, errlen, "file truncated: %zu bytes, but the "
			    "%u setup sectors end at %zu", len, ss, setup_len);
	bz->kernel = f + setup_len;
	bz->kernel_len = len - setup_len;
	syssize = (uint64_t)get32(f + HDR_SYSSIZE) * 16;
	if (syssize > bz->kernel_len)
		return mvm_errf(err, errlen, "file truncated: the header says the "
			    "kernel has %llu bytes after the setup, the file "
			    "has %zu", (unsigned long long)syssize,
			    bz->kernel_len);
	if (bz->kernel_len < 0x210)
		return mvm_errf(err, errlen, "the protected-mode kernel (%zu "
			    "bytes) has no 64-bit entry at +0x200",
			    bz->kernel_len);
	bz->relocatable = f[HDR_RELOCATABLE] != 0;
	bz->load_addr = MVM_BOOT_HIGH;
	if (!bz->relocatable && get64(f + HDR_PREF_ADDRESS))
		bz->load_addr = get64(f + HDR_PREF_ADDRESS);
	if (bz->load_addr < MVM_BOOT_HIGH || bz->load_addr >= MVM_BOOT_MEM_MAX ||
	    bz->load_addr & 0xfff)
		return mvm_errf(err, errlen, "non-relocatable kernel wants to be "
			    "loaded at 0x%llx, not a page-aligned address in "
			    "1 MiB..3 GiB", (unsigned long long)bz->load_addr);
	bz->init_size = get32(f + HDR_INIT_SIZE);
	if (bz->init_size < bz->kernel_len)
		bz->init_size = bz->kernel_len;
	bz->initrd_addr_max = get32(f + HDR_INITRD_ADDR_MAX);
	bz->cmdline_max = get32(f + HDR_CMDLINE_SIZE);
	if (bz->cmdline_max > MVM_BOOT_CMDLINE_MAX - 1)
		bz->cmdline_max = MVM_BOOT_CMDLINE_MAX - 1;
	return 0;
}

int mvm_bz_place_initrd(const struct mvm_bzimage *bz, uint64_t mem_size,
			uint64_t initrd_len, uint64_t *addr, char *err,
			size_t errlen)
{
	uint64_t top = mem_size, lo = bz->load_addr + bz->init_size;

	if (bz->initrd_addr_max && (uint64_t)bz->initrd_addr_max + 1 < top)
		top = (uint64_t)bz->initrd_addr_max + 1;
	lo = (lo + 0xfff) & ~0xfffULL;
	if (initrd_len > top || ((top - initrd_len) & ~0xfffULL) < lo)
		return mvm_errf(err, errlen, "no room for the %llu KiB initrd: "
			    "the kernel needs memory up to 0x%llx and the initrd "
			    "must end below 0x%llx (give more --mem)",
			    (unsigned long long)(initrd_len + 1023) / 1024,
			    (unsigned long long)lo, (unsigned long long)top);
	*addr = (top - initrd_len) & ~0xfffULL;
	return 0;
}

static void e820(uint8_t *zp, int i, uint64_t addr, uint64_t size,
		 uint32_t type)
{
	uint8_t *e = zp + BP_E820_TABLE + 20 * i;

	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
}

void mvm_bz_zero_page(uint8_t *zp, const struct mvm_bzimage *bz,
		      uint64_t mem_size, uint32_t cmdline_addr,
		      uint32_t initrd_addr, uint32_t initrd_len)
{
	memset(zp, 0, 4096);
	memcpy(zp + HDR_START, bz->file + HDR_START, bz->hdr_end - HDR_START);
	zp[BP_TYPE_OF_LOADER] = 0xff;		/* undefined loader */
	zp[HDR_LOADFLAGS] |= LOADED_HIGH;
	put32(zp + BP_CMD_LINE_PTR, cmdline_addr);
	put32(zp + BP_RAMDISK_IMAGE, initrd_addr);
	put32(zp + BP_RAMDISK_SIZE, initrd_len);
	put32(zp + HDR_HARDWARE_SUBARCH, 0);	/* a normal PC */
	put64(zp + HDR_SETUP_DATA, 0);
	e820(zp, 0, 0, MVM_BOOT_LOWMEM_END, E820_RAM);
	e820(zp, 1, MVM_BOOT_RESERVED, MVM_BOOT_HIGH - MVM_BOOT_RESERVED,
	     E820_RESERVED);
	e820(zp, 2, MVM_BOOT_HIGH, mem_size - MVM_BOOT_HIGH, E820_RAM);
	zp[BP_E820_ENTRIES] = 3;
}
