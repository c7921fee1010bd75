/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX instruction wrappers (VMREAD, VMWRITE, VMPTRLD,
 * VMCLEAR, INVEPT) and the features detected at load time.
 */
#ifndef RKVM_VMX_VMX_H
#define RKVM_VMX_VMX_H

#include <linux/types.h>
#include <asm/vmx.h>

struct vmcs_page {
	u32 revision_id;
	u32 abort;
	char data[];
};

/* What the VMX capability MSRs allow, computed once at module load. */
struct rkvm_vmx_caps {
	u32 revision_id;
	u32 vmcs_size;
	u32 pin, exec, exec2, exit, entry;	/* controls we use */
	u64 ept_vpid_cap;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u8 preempt_timer_shift;			/* TSC >> shift = timer tick */
	bool has_vpid;
	bool has_ept_ad;
	bool has_preempt_timer;
	bool has_rdtscp;
	bool has_ins_outs_info;	/* VMX_INSTRUCTION_INFO for INS/OUTS */
	bool has_invpcid;
};

extern struct rkvm_vmx_caps rkvm_vmx;

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value;

	asm volatile("vmread %1, %0" : "=r"(value) : "r"(field) : "cc");
	return value;
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	return (u32)vmcs_read(field);
}

static __always_inline void vmcs_write(unsigned long field, unsigned long value)
{
	asm volatile("vmwrite %1, %0" : : "r"(field), "rm"(value) : "cc");
}

static inline int vmcs_ptrld(u64 pa)
{
	asm goto("vmptrld %0; jbe %l[fail]" : : "m"(pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline void vmcs_clear(u64 pa)
{
	asm volatile("vmclear %0" : : "m"(pa) : "cc", "memory");
}

static inline void rkvm_invept(unsigned long type, u64 eptp)
{
	struct {
		u64 eptp, gpa;
	} operand = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m"(operand), "r"(type) : "cc", "memory");
}

/* vmenter.S: hand an NMI that hit the guest to the host's handler */
void rkvm_do_nmi_irqoff(unsigned long handler);

/* enter the guest; returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed */
int rkvm_vmx_enter(u64 *regs, int launched);

#endif
