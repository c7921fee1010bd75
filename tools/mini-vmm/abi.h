/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abi.h - the mini-VMM guest ABI: guest-physical memory layout, the info
 * page and the doorbell ports. Shared by the VMM and the guest library;
 * docs/mini-vmm.md is the prose version of this file.
 */
#ifndef MVM_ABI_H
#define MVM_ABI_H

#include <stdint.h>

/* Guest-physical layout (identity-mapped: virtual == physical). */
#define MVM_PML4_ADDR		0x1000ULL	/* page 0 is never mapped */
#define MVM_PDPT_ADDR		0x2000ULL
#define MVM_PD_ADDR		0x3000ULL
#define MVM_PT_ADDR		0x4000ULL	/* 4 KiB pages of the first 2 MiB */
#define MVM_INFO_ADDR		0x5000ULL	/* struct mvm_info, guest-writable */
#define MVM_GDT_ADDR		0x6000ULL	/* GDT, then the TSS at +0x80 */
#define MVM_TSS_ADDR		0x6080ULL
#define MVM_IDT_ADDR		0x7000ULL	/* 32 gates, exception vectors */
#define MVM_STUBS_ADDR		0x8000ULL	/* exception stubs (VMM-written) */
#define MVM_XSTACK_TOP		0xA000ULL	/* IST1 stack: 0x9000..0xA000 */
#define MVM_STACK_BOTTOM	0x10000ULL	/* main stack: 0x10000..0x100000 */
#define MVM_STACK_TOP		0x100000ULL
#define MVM_LOAD_BASE		0x100000ULL	/* lowest address a segment may use */
#define MVM_MAP_LIMIT		0x40000000ULL	/* page tables map the first 1 GiB */
#define MVM_OUT_CAP_DEFAULT	0x10000ULL	/* 64 KiB output buffer */
#define MVM_IN_CAP_DEFAULT	0x40000ULL	/* 256 KiB input area at least */

/*
 * Doorbells. Each is a numbered "port" taking a 32-bit value. The function
 * runs in user mode (CPL3) and rings doorbell P by a 32-bit store of the
 * value to MVM_DOORBELL_MMIO + 4 * P, a page outside RAM: one MMIO exit.
 * Code in kernel mode (the IDT stubs, --ring0 functions) may instead write
 * the I/O port P ("outl %eax, $P"): one I/O exit. The VMM treats both alike.
 */
#define MVM_DOORBELL_MMIO	0x3ffff000ULL	/* last page of the map */
#define MVM_MEM_MAX		MVM_DOORBELL_MMIO
#define MVM_PORT_EXIT		0x10	/* value = exit status; output in info */
#define MVM_PORT_LOG		0x11	/* value = guest address of a C string */
#define MVM_PORT_INIT_DONE	0x12	/* value ignored; snapshot point */
#define MVM_PORT_FAULT		0x13	/* value = exception vector (IDT stubs) */

#define MVM_INFO_MAGIC		0x4d564d31U	/* "MVM1" */
#define MVM_ABI_VERSION		1
#define MVM_LOG_MAX		1024	/* longest log line the VMM prints */

/* The info page. The VMM fills it; the guest writes out_len only. */
struct mvm_info {
	uint32_t magic;
	uint32_t version;
	uint64_t mem_size;	/* bytes of guest RAM, from 0 */
	uint64_t in_addr;	/* input area, fixed before the function starts */
	uint64_t in_cap;
	uint64_t in_len;	/* valid after the INIT_DONE doorbell */
	uint64_t out_addr;	/* output buffer */
	uint64_t out_cap;
	uint64_t out_len;	/* written by the guest before EXIT */
	uint64_t heap_start;	/* free RAM the function may use, from the */
	uint64_t heap_end;	/* end of its ELF to the input area */
	uint64_t invocation;	/* 0 for the first run of this VM/snapshot */
};

#endif
