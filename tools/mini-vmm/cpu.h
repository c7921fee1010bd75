/* SPDX-License-Identifier: GPL-2.0 */
/* cpu.h - GDT, TSS, IDT, exception stubs and the long-mode register state. */
#ifndef MVM_CPU_H
#define MVM_CPU_H

#include <stdint.h>
#include <linux/kvm.h>

#define MVM_SEL_CODE	0x08
#define MVM_SEL_DATA	0x10
#define MVM_SEL_TSS	0x18
#define MVM_SEL_UCODE	0x2b	/* GDT entry 5, RPL 3 */
#define MVM_SEL_UDATA	0x33	/* GDT entry 6, RPL 3 */
#define MVM_GDT_ENTRIES	7
#define MVM_IDT_VECTORS	32

/* Write GDT, TSS, IDT and the exception stubs into guest memory. */
void mvm_build_descriptors(uint8_t *mem);

/* Fill the segment, descriptor-table and control registers for 64-bit mode
 * (the other fields of *s, from KVM_GET_SREGS, are left alone). The
 * function runs in user mode (CPL3) unless ring0 is set. */
void mvm_setup_sregs(struct kvm_sregs *s, int ring0);


/* Name of an exception vector ("#PF") and whether it pushes an error code. */
const char *mvm_vector_name(unsigned int v);
int mvm_vector_has_error(unsigned int v);

#endif
