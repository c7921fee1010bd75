// SPDX-License-Identifier: GPL-2.0
/*
 * The capability table. KVM_CHECK_EXTENSION answers from it
 * and nothing else, so what is reported is what is implemented: a
 * capability enters this table in the same change that makes it work.
 */
#include <linux/kvm.h>
#include <linux/cpumask.h>
#include <asm/cpufeature.h>

#include "rkvm.h"
#include "x86/kvmclock.h"

struct rkvm_cap {
	long cap;
	int (*value)(void);	/* NULL: the answer is 1 */
};

static int rkvm_cap_nr_vcpus(void)
{
	return min_t(int, num_online_cpus(), RKVM_MAX_VCPUS);
}

static int rkvm_cap_max_vcpus(void)
{
	return RKVM_MAX_VCPUS;
}

static int rkvm_cap_max_vcpu_id(void)
{
	return RKVM_MAX_VCPU_ID;
}

static int rkvm_cap_nr_memslots(void)
{
	return RKVM_USER_MEM_SLOTS;
}

static int rkvm_cap_xsave(void)
{
	return boot_cpu_has(X86_FEATURE_XSAVE);
}

static int rkvm_cap_manual_dirty_log(void)
{
	return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
}

static int rkvm_cap_sync_regs(void)
{
	return KVM_SYNC_X86_VALID_FIELDS;
}

static int rkvm_cap_irq_routes(void)
{
	return 4096;	/* KVM_MAX_IRQ_ROUTES */
}

static int rkvm_cap_adjust_clock(void)
{
	return RKVM_CLOCK_FLAGS;
}

static const struct rkvm_cap rkvm_caps[] = {
	{ KVM_CAP_USER_MEMORY },
	{ KVM_CAP_READONLY_MEM },
	{ KVM_CAP_SYNC_MMU },
	{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS },
	{ KVM_CAP_JOIN_MEMORY_REGIONS_WORKS },
	{ KVM_CAP_SET_TSS_ADDR },
	{ KVM_CAP_IRQCHIP },
	{ KVM_CAP_IRQ_INJECT_STATUS },
	{ KVM_CAP_IRQFD },
	{ KVM_CAP_PIT2 },
	{ KVM_CAP_PIT_STATE2 },
	{ KVM_CAP_TSC_DEADLINE_TIMER },
	{ KVM_CAP_IRQ_ROUTING, rkvm_cap_irq_routes },
	{ KVM_CAP_SIGNAL_MSI },
	{ KVM_CAP_IOEVENTFD },
	{ KVM_CAP_IOEVENTFD_ANY_LENGTH },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR },
	{ KVM_CAP_SET_BOOT_CPU_ID },
	{ KVM_CAP_ADJUST_CLOCK, rkvm_cap_adjust_clock },
	{ KVM_CAP_MMU_SHADOW_CACHE_CONTROL },
	{ KVM_CAP_GET_MSR_FEATURES },
	{ KVM_CAP_EXT_CPUID },
	{ KVM_CAP_MP_STATE },
	{ KVM_CAP_VCPU_EVENTS },
	{ KVM_CAP_DEBUGREGS },
	{ KVM_CAP_IMMEDIATE_EXIT },
	{ KVM_CAP_SYNC_REGS, rkvm_cap_sync_regs },
	{ KVM_CAP_INTERNAL_ERROR_DATA },
	{ KVM_CAP_CHECK_EXTENSION_VM },
	{ KVM_CAP_ENABLE_CAP_VM },
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, rkvm_cap_manual_dirty_log },
	{ KVM_CAP_NR_VCPUS, rkvm_cap_nr_vcpus },
	{ KVM_CAP_MAX_VCPUS, rkvm_cap_max_vcpus },
	{ KVM_CAP_MAX_VCPU_ID, rkvm_cap_max_vcpu_id },
	{ KVM_CAP_NR_MEMSLOTS, rkvm_cap_nr_memslots },
	{ KVM_CAP_XSAVE, rkvm_cap_xsave },
	{ KVM_CAP_XCRS, rkvm_cap_xsave },
};

int rkvm_check_extension(struct rkvm *kvm, long ext)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rkvm_caps); i++) {
		if (rkvm_caps[i].cap != ext)
			continue;
		return rkvm_caps[i].value ? rkvm_caps[i].value() : 1;
	}
	return 0;
}
