// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's MSRs: RDMSR/WRMSR exits, KVM_GET/SET_MSRS,
 * KVM_GET_MSR_INDEX_LIST, and the MSRs the CPU does not switch for us
 * (syscall MSRs, KERNEL_GS_BASE, TSC_AUX), swapped around guest runs.
 */
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/kvm.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/apicdef.h>
#include <asm/kvm_para.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "x86/regs.h"
#include "x86/cpuid.h"
#include "x86/msr.h"
#include "x86/lapic.h"
#include "x86/kvmclock.h"

static const u32 rkvm_smsr_index[RKVM_NR_SMSRS] = {
	[RKVM_SMSR_STAR] = MSR_STAR,
	[RKVM_SMSR_LSTAR] = MSR_LSTAR,
	[RKVM_SMSR_CSTAR] = MSR_CSTAR,
	[RKVM_SMSR_SFMASK] = MSR_SYSCALL_MASK,
	[RKVM_SMSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
	[RKVM_SMSR_TSC_AUX] = MSR_TSC_AUX,
};

/* MSRs KVM_GET_MSR_INDEX_LIST offers; each is readable and writable */
static const u32 rkvm_msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_IA32_MISC_ENABLE, MSR_EFER,
	MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_UCODE_REV, MSR_IA32_APICBASE,
	MSR_TSC_AUX, MSR_IA32_TSC_ADJUST,
	/* KVM's own (its emulated_msrs), in its order */
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
};

/*
 * Load the guest's values of the MSRs VMX does not switch. Called with
 * preemption disabled, once per stay of the vCPU on a CPU, not per exit.
 */
void rkvm_load_guest_msrs(struct rkvm_vcpu *vcpu)
{
	int i;

	for (i = 0; i < RKVM_NR_SMSRS; i++) {
		if (i == RKVM_SMSR_TSC_AUX && !rkvm_vmx.has_rdtscp)
			continue;
		rdmsrl(rkvm_smsr_index[i], vcpu->host_smsr[i]);
		if (vcpu->host_smsr[i] != vcpu->smsr[i])
			wrmsrl(rkvm_smsr_index[i], vcpu->smsr[i]);
	}
}

/* and give the host its own back; preemption disabled */
void rkvm_put_guest_msrs(struct rkvm_vcpu *vcpu)
{
	int i;

	for (i = 0; i < RKVM_NR_SMSRS; i++) {
		if (i == RKVM_SMSR_TSC_AUX && !rkvm_vmx.has_rdtscp)
			continue;
		if (vcpu->host_smsr[i] != vcpu->smsr[i])
			wrmsrl(rkvm_smsr_index[i], vcpu->host_smsr[i]);
	}
}

static bool rkvm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

static int rkvm_smsr_slot(u32 index)
{
	int i;

	for (i = 0; i < RKVM_NR_SMSRS; i++)
		if (rkvm_smsr_index[i] == index)
			return i;
	return -1;
}

/*
 * Read an MSR for the guest (@host false) or for KVM_GET_MSRS (@host true).
 * Returns 0, or 1 when the MSR does not exist for this guest (#GP / stop).
 */
int rkvm_get_msr(struct rkvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	int slot;

	switch (index) {
	case MSR_IA32_TSC:
		*data = rdtsc() + vcpu->tsc_offset;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!host && !rkvm_guest_has(vcpu, RKVM_F_TSC_ADJUST))
			return 1;
		*data = vcpu->tsc_adjust;
		return 0;
	case MSR_EFER:
		*data = vcpu->efer;
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read(GUEST_IA32_PAT);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read32(GUEST_SYSENTER_CS);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_read(GUEST_SYSENTER_ESP);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_read(GUEST_SYSENTER_EIP);
		return 0;
	case MSR_FS_BASE:
		*data = vmcs_read(GUEST_FS_BASE);
		return 0;
	case MSR_GS_BASE:
		*data = vmcs_read(GUEST_GS_BASE);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = 0x100000000ull;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		if (!vcpu->lapic)
			return 1;
		*data = rkvm_lapic_get_tscdeadline(vcpu);
		return 0;
	case APIC_BASE_MSR ... APIC_BASE_MSR + 0xff:
		return rkvm_lapic_msr_read(vcpu, index, data);
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return rkvm_kvmclock_get_msr(vcpu, index, data);
	case MSR_TSC_AUX:
		if (!host && !rkvm_guest_has(vcpu, RKVM_F_RDTSCP))
			return 1;
		fallthrough;
	default:
		slot = rkvm_smsr_slot(index);
		if (slot < 0)
			return 1;
		*data = vcpu->smsr[slot];
		return 0;
	}
}

int rkvm_set_msr(struct rkvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	int slot;

	switch (index) {
	case MSR_IA32_TSC:
		/* the guest's own write moves IA32_TSC_ADJUST along (SDM 17.17.3) */
		if (!host)
			vcpu->tsc_adjust += data - (rdtsc() + vcpu->tsc_offset);
		vcpu->tsc_offset = data - rdtsc();
		vmcs_write(TSC_OFFSET, vcpu->tsc_offset);
		/* kvmclock's anchor is in the guest's TSC */
		set_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!host) {
			if (!rkvm_guest_has(vcpu, RKVM_F_TSC_ADJUST))
				return 1;
			vcpu->tsc_offset += data - vcpu->tsc_adjust;
			vmcs_write(TSC_OFFSET, vcpu->tsc_offset);
			set_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests);
		}
		vcpu->tsc_adjust = data;
		return 0;
	case MSR_EFER:
		if (!rkvm_efer_valid(vcpu, data))
			return 1;
		if (!host) {
			/* LME may not change while paging is on; LMA is the CPU's */
			if (rkvm_is_paging(vcpu) &&
			    ((data ^ vcpu->efer) & EFER_LME))
				return 1;
			data = (data & ~EFER_LMA) | (vcpu->efer & EFER_LMA);
		}
		rkvm_set_efer(vcpu, data);
		return 0;
	case MSR_IA32_CR_PAT:
		if (!rkvm_pat_valid(data))
			return 1;
		vmcs_write(GUEST_IA32_PAT, data);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write(GUEST_SYSENTER_CS, data);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		if (!host && rkvm_noncanonical(data))
			return 1;
		vmcs_write(GUEST_SYSENTER_ESP, data);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		if (!host && rkvm_noncanonical(data))
			return 1;
		vmcs_write(GUEST_SYSENTER_EIP, data);
		return 0;
	case MSR_FS_BASE:
		if (rkvm_noncanonical(data))
			return 1;
		vmcs_write(GUEST_FS_BASE, data);
		return 0;
	case MSR_GS_BASE:
		if (rkvm_noncanonical(data))
			return 1;
		vmcs_write(GUEST_GS_BASE, data);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		vcpu->misc_enable = data;
		return 0;
	case MSR_IA32_UCODE_REV:
		/*
		 * Linux writes 0 before CPUID to read the revision back
		 * (intel_get_microcode_revision): KVM drops guest writes.
		 */
		return 0;
	case MSR_IA32_APICBASE:
		if (data & (rkvm_rsvd_gpa_mask(vcpu) | 0x2ff))
			return 1;
		if (!rkvm_guest_has(vcpu, RKVM_F_X2APIC) && (data & X2APIC_ENABLE))
			return 1;
		return rkvm_lapic_set_base(vcpu, data, host);
	case MSR_IA32_TSC_DEADLINE:
		if (!vcpu->lapic)
			return 1;
		rkvm_lapic_set_tscdeadline(vcpu, data);
		return 0;
	case APIC_BASE_MSR ... APIC_BASE_MSR + 0xff:
		return rkvm_lapic_msr_write(vcpu, index, data);
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return rkvm_kvmclock_set_msr(vcpu, index, data);
	case MSR_TSC_AUX:
		if (!host && !rkvm_guest_has(vcpu, RKVM_F_RDTSCP))
			return 1;
		if (data >> 32)
			return 1;
		break;
	case MSR_SYSCALL_MASK:
		/* bits 63:32 are reserved: the host's WRMSR would fault */
		if (data >> 32)
			return 1;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
		if (rkvm_noncanonical(data))
			return 1;
		break;
	default:
		break;
	}
	slot = rkvm_smsr_slot(index);
	if (slot < 0)
		return 1;
	vcpu->smsr[slot] = data;
	/* the vCPU is loaded: the hardware holds the guest's value already */
	if (vcpu->guest_state_loaded &&
	    (slot != RKVM_SMSR_TSC_AUX || rkvm_vmx.has_rdtscp))
		wrmsrl(index, data);
	return 0;
}

/*
 * The loop behind every KVM_GET_MSRS/KVM_SET_MSRS: run @op on each entry
 * until one fails; returns how many were processed (KVM's convention).
 */
typedef int (*rkvm_msr_op)(struct rkvm_vcpu *vcpu, struct kvm_msr_entry *e);

static int rkvm_msr_array(struct rkvm_vcpu *vcpu, struct kvm_msrs __user *arg,
			  rkvm_msr_op op, bool copy_out)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	u32 i;
	int r;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= RKVM_MAX_MSR_ENTRIES)
		return -E2BIG;
	e = memdup_user(arg->entries, array_size(hdr.nmsrs, sizeof(*e)));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++)
		if (op(vcpu, &e[i]))
			break;
	r = i;
	if (copy_out && copy_to_user(arg->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

static int rkvm_msr_get_op(struct rkvm_vcpu *vcpu, struct kvm_msr_entry *e)
{
	return rkvm_get_msr(vcpu, e->index, &e->data, true);
}

static int rkvm_msr_set_op(struct rkvm_vcpu *vcpu, struct kvm_msr_entry *e)
{
	return rkvm_set_msr(vcpu, e->index, e->data, true);
}

int rkvm_msrs_ioctl(struct rkvm_vcpu *vcpu, struct kvm_msrs __user *arg,
		    bool set)
{
	return rkvm_msr_array(vcpu, arg, set ? rkvm_msr_set_op : rkvm_msr_get_op,
			      !set);
}

/* MSRs describing what the host offers, read on the system fd */
static const u32 rkvm_feature_msrs[] = {
	MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES,
	MSR_IA32_PERF_CAPABILITIES,
};

static int rkvm_get_feature_msr(u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_UCODE_REV:
		*data = 0x100000000ull;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		/* rkvm offers the guest no claim of immunity: all zero */
		*data = 0;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		/* no virtual PMU: no full-width counter writes, no LBRs */
		*data = 0;
		return 0;
	default:
		return 1;
	}
}

static int rkvm_feature_msr_op(struct rkvm_vcpu *unused,
			       struct kvm_msr_entry *e)
{
	return rkvm_get_feature_msr(e->index, &e->data);
}

/* KVM_GET_MSRS on the system fd (KVM_CAP_GET_MSR_FEATURES) */
int rkvm_get_feature_msrs(struct kvm_msrs __user *arg)
{
	return rkvm_msr_array(NULL, arg, rkvm_feature_msr_op, true);
}

static int rkvm_copy_msr_list(struct kvm_msr_list __user *arg, const u32 *list,
			      u32 n)
{
	u32 user_n;

	if (get_user(user_n, &arg->nmsrs))
		return -EFAULT;
	if (put_user(n, &arg->nmsrs))
		return -EFAULT;
	if (user_n < n)
		return -E2BIG;
	if (copy_to_user(arg->indices, list, n * sizeof(*list)))
		return -EFAULT;
	return 0;
}

int rkvm_get_msr_feature_index_list(struct kvm_msr_list __user *arg)
{
	return rkvm_copy_msr_list(arg, rkvm_feature_msrs,
				  ARRAY_SIZE(rkvm_feature_msrs));
}

int rkvm_get_msr_index_list(struct kvm_msr_list __user *arg)
{
	return rkvm_copy_msr_list(arg, rkvm_msrs_to_save,
				  ARRAY_SIZE(rkvm_msrs_to_save));
}

