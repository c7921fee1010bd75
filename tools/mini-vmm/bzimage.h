/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bzimage.h - the x86 Linux boot protocol (Documentation/x86/boot.rst):
 * checking a bzImage's setup header, and the zero page (struct boot_params)
 * a 64-bit loader hands the kernel. Pure functions, unit-tested on the host.
 */
#ifndef MVM_BZIMAGE_H
#define MVM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Guest-physical layout of boot mode, below and around 1 MiB. */
#define MVM_BOOT_LOWMEM_END	0x9fc00ULL	/* e820 RAM: 0 .. here */
#define MVM_BOOT_RESERVED	MVM_BOOT_LOWMEM_END /* e820 reserved .. 1 MiB */
#define MVM_BOOT_GDT_ADDR	0xe0000ULL	/* GDT, TSS at +0x100 */
#define MVM_BOOT_TSS_ADDR	0xe0100ULL
#define MVM_BOOT_ZERO_PAGE	0xe1000ULL	/* struct boot_params */
#define MVM_BOOT_CMDLINE_ADDR	0xe2000ULL
#define MVM_BOOT_CMDLINE_MAX	4096		/* bytes, with the NUL */
#define MVM_BOOT_PML4_ADDR	0xe4000ULL	/* then PDPT, 4 page directories */
#define MVM_BOOT_PDPT_ADDR	0xe5000ULL
#define MVM_BOOT_PD_ADDR	0xe6000ULL	/* .. 0xe9fff: 4 GiB in 2 MiB pages */
#define MVM_BOOT_STACK_TOP	0xf0000ULL	/* 0xea000 .. 0xeffff */
#define MVM_BOOT_MPTABLE_ADDR	0xf0000ULL	/* MP floating pointer, then table */
#define MVM_BOOT_MPTABLE_END	0x100000ULL
#define MVM_BOOT_HIGH		0x100000ULL	/* e820 RAM: 1 MiB .. mem_size */
#define MVM_BOOT_MEM_MAX	0xc0000000ULL	/* 3 GiB: below the APIC/IOAPIC/TSS */
#define MVM_BOOT_TSS_KVM	0xfffbd000ULL	/* KVM_SET_TSS_ADDR (3 pages) */
#define MVM_BOOT_IDMAP_KVM	0xfffbc000ULL	/* KVM_SET_IDENTITY_MAP_ADDR */

/* The fields of a checked bzImage the loader needs. */
struct mvm_bzimage {
	const uint8_t *file;	/* the whole file; the setup header at 0x1f1 */
	size_t hdr_end;		/* 0x202 + file[0x201]: end of the header */
	const uint8_t *kernel;	/* the protected-mode kernel (after setup) */
	size_t kernel_len;
	uint16_t version;	/* boot protocol, e.g. 0x20f */
	int relocatable;
	uint64_t load_addr;	/* where the protected-mode kernel goes */
	uint64_t init_size;	/* bytes from load_addr the kernel needs */
	uint32_t initrd_addr_max; /* highest address the initrd may occupy */
	uint32_t cmdline_max;	/* longest command line, without its NUL */
};

/*
 * Check BUF (LEN bytes) as a bzImage for the 64-bit boot protocol: boot
 * flag, "HdrS", version >= 2.12, XLF_KERNEL_64, LOADED_HIGH, the setup
 * sectors and the kernel inside the file, syssize. Returns 0, or -1 with the
 * reason in ERR.
 */
int mvm_bz_parse(const void *buf, size_t len, struct mvm_bzimage *bz,
		 char *err, size_t errlen);

/*
 * Where the initrd goes: page-aligned, as high as possible below mem_size
 * and initrd_addr_max, above the kernel's init_size. Returns 0 and the
 * address in *addr, or -1 with the reason in ERR.
 */
int mvm_bz_place_initrd(const struct mvm_bzimage *bz, uint64_t mem_size,
			uint64_t initrd_len, uint64_t *addr, char *err,
			size_t errlen);

/*
 * Fill the 4 KiB zero page ZP: the setup header copied from the image,
 * type_of_loader 0xff, the command line and initrd pointers, and the e820
 * map (RAM below 0x9fc00, reserved up to 1 MiB, RAM from 1 MiB).
 */
void mvm_bz_zero_page(uint8_t *zp, const struct mvm_bzimage *bz,
		      uint64_t mem_size, uint32_t cmdline_addr,
		      uint32_t initrd_addr, uint32_t initrd_len);

/* Zero-page offsets the tests look at. */
#define BP_E820_ENTRIES		0x1e8
#define BP_E820_TABLE		0x2d0
#define BP_TYPE_OF_LOADER	0x210
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228

#endif
