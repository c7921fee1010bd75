// SPDX-License-Identifier: GPL-2.0
/*
 * VMX feature detection from the capability MSRs, VMXON and
 * VMXOFF on every online CPU while at least one VM exists, CPU hotplug,
 * reboot and suspend (crash and kexec need nothing of ours: the kernel's
 * emergency path leaves VMX itself, and its one virtualization callback
 * belongs to kvm_intel when both are loaded), VMCS allocation, VPIDs, and moving a vCPU's VMCS
 * between CPUs.
 */
#define pr_fmt(fmt) "rkvm: " fmt

#include <linux/module.h>
#include <linux/cpu.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/reboot.h>
#include <linux/syscore_ops.h>
#include <linux/spinlock.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/tlbflush.h>
#include <asm/reboot.h>
#include <asm/cpufeature.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "vmx/controls.h"

struct rkvm_vmx_caps rkvm_vmx;

struct rkvm_cpu_state {
	struct vmcs_page *vmxon_region;
	bool on;			/* this CPU is in VMX operation */
	struct list_head loaded;	/* vCPUs whose VMCS is active here */
	struct rkvm_vcpu *current_vcpu;	/* whose VMCS is current here */
};

static DEFINE_PER_CPU(struct rkvm_cpu_state, rkvm_cpu);

/* Number of VMs; every online CPU is in VMX operation while non-zero. */
static DEFINE_MUTEX(rkvm_vmx_users_lock);
static int rkvm_vmx_users;
static enum cpuhp_state rkvm_cpuhp_state;
static bool rkvm_rebooting;

static DEFINE_SPINLOCK(rkvm_vpid_lock);
static unsigned long *rkvm_vpid_bitmap;
#define RKVM_NR_VPIDS 65536

static int rkvm_read_caps(void)
{
	u64 basic, misc, msr;
	bool true_ctls;
	u32 opt2;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("this CPU has no VMX\n");
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, msr);
	if (!(msr & FEAT_CTL_LOCKED) ||
	    !(msr & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX is disabled by the firmware (IA32_FEATURE_CONTROL=%#llx)\n",
		       msr);
		return -EOPNOTSUPP;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	rkvm_vmx.revision_id = basic & 0x7fffffff;
	rkvm_vmx.vmcs_size = (basic >> 32) & 0x1fff;
	if (rkvm_vmx.vmcs_size > PAGE_SIZE || !(basic & VMX_BASIC_MEM_TYPE_MASK)) {
		pr_err("unsupported VMCS layout (IA32_VMX_BASIC=%#llx)\n", basic);
		return -EOPNOTSUPP;
	}
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	rkvm_vmx.has_ins_outs_info = basic & VMX_BASIC_INOUT;

	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
	       MSR_IA32_VMX_PINBASED_CTLS, msr);
	if (rkvm_adjust_controls(msr, PIN_BASED_EXT_INTR_MASK |
				 PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS,
				 PIN_BASED_VMX_PREEMPTION_TIMER, &rkvm_vmx.pin))
		goto missing;

	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
	       MSR_IA32_VMX_PROCBASED_CTLS, msr);
	if (rkvm_adjust_controls(msr, CPU_BASED_HLT_EXITING |
				 CPU_BASED_UNCOND_IO_EXITING |
				 CPU_BASED_USE_MSR_BITMAPS |
				 CPU_BASED_MWAIT_EXITING |
				 CPU_BASED_MONITOR_EXITING |
				 CPU_BASED_MOV_DR_EXITING |
				 CPU_BASED_CR8_LOAD_EXITING |
				 CPU_BASED_CR8_STORE_EXITING |
				 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
				 CPU_BASED_RDPMC_EXITING |
				 CPU_BASED_USE_TSC_OFFSETTING, &rkvm_vmx.exec))
		goto missing;
	/* we want no CR3/INVLPG/TSC exits: clear what may be clear */
	{
		u32 must1 = (u32)msr;

		rkvm_vmx.exec &= ~((CPU_BASED_CR3_LOAD_EXITING |
				    CPU_BASED_CR3_STORE_EXITING |
				    CPU_BASED_INVLPG_EXITING |
				    CPU_BASED_RDTSC_EXITING) & ~must1);
	}

	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, msr);
	opt2 = SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
	       SECONDARY_EXEC_ENABLE_INVPCID;
	if (rkvm_adjust_controls(msr, SECONDARY_EXEC_ENABLE_EPT |
				 SECONDARY_EXEC_UNRESTRICTED_GUEST,
				 opt2, &rkvm_vmx.exec2))
		goto missing;

	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
	       MSR_IA32_VMX_EXIT_CTLS, msr);
	if (rkvm_adjust_controls(msr, VM_EXIT_HOST_ADDR_SPACE_SIZE |
				 VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_EFER |
				 VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_PAT,
				 0, &rkvm_vmx.exit))
		goto missing;

	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
	       MSR_IA32_VMX_ENTRY_CTLS, msr);
	if (rkvm_adjust_controls(msr, VM_ENTRY_LOAD_IA32_EFER |
				 VM_ENTRY_LOAD_IA32_PAT, 0, &rkvm_vmx.entry))
		goto missing;
	/* IA-32e mode guest is set per vCPU from EFER.LMA */
	rkvm_vmx.entry &= ~VM_ENTRY_IA32E_MODE;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, rkvm_vmx.ept_vpid_cap);
	if (!(rkvm_vmx.ept_vpid_cap & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(rkvm_vmx.ept_vpid_cap & VMX_EPTP_WB_BIT) ||
	    !(rkvm_vmx.ept_vpid_cap & VMX_EPT_INVEPT_BIT) ||
	    !(rkvm_vmx.ept_vpid_cap & VMX_EPT_EXTENT_CONTEXT_BIT)) {
		pr_err("EPT lacks 4-level walks, WB memory or single-context INVEPT (cap %#llx)\n",
		       rkvm_vmx.ept_vpid_cap);
		return -EOPNOTSUPP;
	}
	rkvm_vmx.has_ept_ad = rkvm_vmx.ept_vpid_cap & VMX_EPT_AD_BIT;
	rkvm_vmx.has_vpid = rkvm_vmx.exec2 & SECONDARY_EXEC_ENABLE_VPID;
	rkvm_vmx.has_rdtscp = (rkvm_vmx.exec2 & SECONDARY_EXEC_ENABLE_RDTSCP) &&
			      boot_cpu_has(X86_FEATURE_RDTSCP);
	if (!rkvm_vmx.has_rdtscp)
		rkvm_vmx.exec2 &= ~SECONDARY_EXEC_ENABLE_RDTSCP;
	rkvm_vmx.has_invpcid = (rkvm_vmx.exec2 & SECONDARY_EXEC_ENABLE_INVPCID) &&
			       boot_cpu_has(X86_FEATURE_INVPCID);
	if (!rkvm_vmx.has_invpcid)
		rkvm_vmx.exec2 &= ~SECONDARY_EXEC_ENABLE_INVPCID;

	rdmsrl(MSR_IA32_VMX_MISC, misc);
	rkvm_vmx.preempt_timer_shift = misc & 0x1f;
	rkvm_vmx.has_preempt_timer = rkvm_vmx.pin & PIN_BASED_VMX_PREEMPTION_TIMER;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, rkvm_vmx.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, rkvm_vmx.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, rkvm_vmx.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, rkvm_vmx.cr4_fixed1);
	return 0;

missing:
	pr_err("the CPU lacks a VMX control rkvm needs (EPT, unrestricted guest, MSR bitmaps, EFER/PAT switching or NMI exiting)\n");
	return -EOPNOTSUPP;
}

struct vmcs_page *rkvm_alloc_vmcs(void)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	struct vmcs_page *vmcs;

	if (!page)
		return NULL;
	vmcs = page_address(page);
	vmcs->revision_id = rkvm_vmx.revision_id;
	return vmcs;
}

void rkvm_free_vmcs(struct vmcs_page *vmcs)
{
	if (vmcs)
		free_page((unsigned long)vmcs);
}

int rkvm_alloc_vpid(void)
{
	int vpid;

	if (!rkvm_vmx.has_vpid)
		return 0;
	spin_lock(&rkvm_vpid_lock);
	vpid = find_next_zero_bit(rkvm_vpid_bitmap, RKVM_NR_VPIDS, 1);
	if (vpid < RKVM_NR_VPIDS)
		__set_bit(vpid, rkvm_vpid_bitmap);
	else
		vpid = 0;	/* run without a VPID: correct, just slower */
	spin_unlock(&rkvm_vpid_lock);
	return vpid;
}

void rkvm_free_vpid(int vpid)
{
	if (!vpid)
		return;
	spin_lock(&rkvm_vpid_lock);
	__clear_bit(vpid, rkvm_vpid_bitmap);
	spin_unlock(&rkvm_vpid_lock);
}

/* VMCLEAR every VMCS active on this CPU. Called with interrupts disabled. */
static void rkvm_clear_loaded_vmcss(void)
{
	struct rkvm_cpu_state *st = this_cpu_ptr(&rkvm_cpu);
	struct rkvm_vcpu *vcpu, *tmp;

	list_for_each_entry_safe(vcpu, tmp, &st->loaded, loaded_link) {
		vmcs_clear(__pa(vcpu->vmcs));
		list_del_init(&vcpu->loaded_link);
		vcpu->launched = false;
		/* make the clear visible before another CPU loads the VMCS */
		smp_wmb();
		WRITE_ONCE(vcpu->cpu, -1);
	}
	st->current_vcpu = NULL;
}

static int rkvm_cpu_vmx_on(void)
{
	struct rkvm_cpu_state *st = this_cpu_ptr(&rkvm_cpu);
	u64 pa = __pa(st->vmxon_region);
	u8 failed = 1;

	if (st->on)
		return 0;
	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;	/* another hypervisor holds VMX here */
	cr4_set_bits(X86_CR4_VMXE);
	/* a fault skips the setna: failed stays 1 */
	asm volatile("1: vmxon %1\n\t"
		     "setna %0\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : "+qm"(failed) : "m"(pa) : "cc", "memory");
	if (failed) {
		cr4_clear_bits(X86_CR4_VMXE);
		return -EIO;
	}
	st->on = true;
	return 0;
}

static void rkvm_cpu_vmx_off(void)
{
	struct rkvm_cpu_state *st = this_cpu_ptr(&rkvm_cpu);

	if (!st->on)
		return;
	rkvm_clear_loaded_vmcss();
	asm volatile("1: vmxoff\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b) : : : "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
	st->on = false;
}

static void rkvm_vmx_on_ipi(void *data)
{
	atomic_t *failed = data;
	int r = rkvm_cpu_vmx_on();

	if (r) {
		atomic_set(failed, r);
		pr_info_ratelimited("cannot enter VMX operation on CPU %d (%d)%s\n",
				    smp_processor_id(), r,
				    r == -EBUSY ? ": another hypervisor is using VMX" : "");
	}
}

static void rkvm_vmx_off_ipi(void *unused)
{
	rkvm_cpu_vmx_off();
}

/* A VM is being created: make sure every online CPU is in VMX operation. */
int rkvm_vmx_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	cpus_read_lock();
	mutex_lock(&rkvm_vmx_users_lock);
	if (rkvm_rebooting) {
		r = -EBUSY;
	} else if (rkvm_vmx_users++ == 0) {
		on_each_cpu(rkvm_vmx_on_ipi, &failed, 1);
		r = atomic_read(&failed);
		if (r) {
			on_each_cpu(rkvm_vmx_off_ipi, NULL, 1);
			rkvm_vmx_users = 0;
		}
	}
	mutex_unlock(&rkvm_vmx_users_lock);
	cpus_read_unlock();
	return r;
}

/* The last reference to a VM went away: leave VMX operation with the last. */
void rkvm_vmx_put(void)
{
	cpus_read_lock();
	mutex_lock(&rkvm_vmx_users_lock);
	if (!--rkvm_vmx_users)
		on_each_cpu(rkvm_vmx_off_ipi, NULL, 1);
	mutex_unlock(&rkvm_vmx_users_lock);
	cpus_read_unlock();
}

/* CPU hotplug: a CPU coming online joins VMX operation if VMs exist. */
static int rkvm_cpu_online(unsigned int cpu)
{
	int r = 0;

	mutex_lock(&rkvm_vmx_users_lock);
	if (rkvm_vmx_users && !rkvm_rebooting) {
		local_irq_disable();
		r = rkvm_cpu_vmx_on();
		local_irq_enable();
	}
	mutex_unlock(&rkvm_vmx_users_lock);
	return r;
}

static int rkvm_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	rkvm_cpu_vmx_off();
	local_irq_enable();
	return 0;
}

static int rkvm_reboot(struct notifier_block *nb, unsigned long code, void *v)
{
	/* VMX blocks INIT: leave it everywhere before the machine goes down */
	mutex_lock(&rkvm_vmx_users_lock);
	rkvm_rebooting = true;
	mutex_unlock(&rkvm_vmx_users_lock);
	on_each_cpu(rkvm_vmx_off_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block rkvm_reboot_nb = {
	.notifier_call = rkvm_reboot,
};

/* Suspend runs on the last online CPU, the others went through hotplug. */
static int rkvm_suspend(void)
{
	rkvm_cpu_vmx_off();
	return 0;
}

static void rkvm_resume(void)
{
	if (rkvm_vmx_users && rkvm_cpu_vmx_on())
		pr_err("cannot re-enter VMX operation after resume\n");
}

static struct syscore_ops rkvm_syscore_ops = {
	.suspend = rkvm_suspend,
	.resume = rkvm_resume,
};

static void rkvm_vmcs_remote_clear(void *data)
{
	struct rkvm_vcpu *vcpu = data;
	struct rkvm_cpu_state *st = this_cpu_ptr(&rkvm_cpu);

	if (vcpu->cpu != smp_processor_id())
		return;
	vmcs_clear(__pa(vcpu->vmcs));
	if (st->current_vcpu == vcpu)
		st->current_vcpu = NULL;
	list_del_init(&vcpu->loaded_link);
	vcpu->launched = false;
	/* the cleared state is visible before the new CPU sees cpu == -1 */
	smp_wmb();
	WRITE_ONCE(vcpu->cpu, -1);
}

/* VMCLEAR a vCPU's VMCS wherever it is active (before freeing or moving). */
void rkvm_vmx_vcpu_clear(struct rkvm_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, rkvm_vmcs_remote_clear, vcpu, 1);
}

/*
 * Make the vCPU's VMCS current on @cpu (== this CPU, preemption disabled).
 * A VMCS can be active on one CPU only: a move VMCLEARs it on the old one
 * first, and the new CPU's host state is written into it.
 */
void rkvm_vmx_vcpu_load(struct rkvm_vcpu *vcpu, int cpu)
{
	struct rkvm_cpu_state *st = this_cpu_ptr(&rkvm_cpu);
	bool moved = vcpu->cpu != cpu;

	if (moved) {
		rkvm_vmx_vcpu_clear(vcpu);
		/* pairs with the clearing CPU's smp_wmb() */
		smp_rmb();
		local_irq_disable();
		list_add(&vcpu->loaded_link, &st->loaded);
		local_irq_enable();
	}
	if (st->current_vcpu != vcpu) {
		st->current_vcpu = vcpu;
		vmcs_ptrld(__pa(vcpu->vmcs));
	}
	if (moved) {
		vcpu->cpu = cpu;
		rkvm_vmcs_set_host_percpu();
	}
	if (vcpu->last_cpu != cpu) {
		/* translations cached here may predate this VM's EPT tables */
		vcpu->need_flush = true;
		vcpu->last_cpu = cpu;
		/* a kvmclock area anchored on the old CPU's TSC is stale */
		set_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests);
	}
}

int rkvm_vmx_init(void)
{
	int cpu, r;

	r = rkvm_read_caps();
	if (r)
		return r;

	rkvm_vpid_bitmap = bitmap_zalloc(RKVM_NR_VPIDS, GFP_KERNEL);
	if (!rkvm_vpid_bitmap)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct rkvm_cpu_state *st = per_cpu_ptr(&rkvm_cpu, cpu);

		INIT_LIST_HEAD(&st->loaded);
		st->vmxon_region = rkvm_alloc_vmcs();
		if (!st->vmxon_region) {
			r = -ENOMEM;
			goto free;
		}
	}

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "rkvm:online",
				      rkvm_cpu_online, rkvm_cpu_offline);
	if (r < 0)
		goto free;
	rkvm_cpuhp_state = r;
	register_reboot_notifier(&rkvm_reboot_nb);
	register_syscore_ops(&rkvm_syscore_ops);
	pr_info("VMX: VMCS rev %#x, EPT%s%s, preemption timer %s\n",
		rkvm_vmx.revision_id, rkvm_vmx.has_ept_ad ? " A/D" : "",
		rkvm_vmx.has_vpid ? ", VPID" : "",
		rkvm_vmx.has_preempt_timer ? "yes" : "no");
	return 0;

free:
	for_each_possible_cpu(cpu)
		rkvm_free_vmcs(per_cpu_ptr(&rkvm_cpu, cpu)->vmxon_region);
	bitmap_free(rkvm_vpid_bitmap);
	return r;
}

void rkvm_vmx_exit(void)
{
	int cpu;

	unregister_syscore_ops(&rkvm_syscore_ops);
	unregister_reboot_notifier(&rkvm_reboot_nb);
	cpuhp_remove_state_nocalls(rkvm_cpuhp_state);
	for_each_possible_cpu(cpu)
		rkvm_free_vmcs(per_cpu_ptr(&rkvm_cpu, cpu)->vmxon_region);
	bitmap_free(rkvm_vpid_bitmap);
}
