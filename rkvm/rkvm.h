/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM and vCPU objects and the interfaces between the
 * module's parts (device, VM, vCPU, VMX, MMU, x86 model).
 */
#ifndef RKVM_RKVM_H
#define RKVM_RKVM_H

#include <linux/types.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/kref.h>
#include <linux/preempt.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/mmu_notifier.h>
#include <linux/signal_types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#define RKVM_MAX_VCPUS		64
#define RKVM_MAX_VCPU_ID	1024
#define RKVM_SOFT_MAX_VCPUS	64
#define RKVM_USER_MEM_SLOTS	509
#define RKVM_MAX_CPUID_ENTRIES	256
#define RKVM_MAX_MSR_ENTRIES	256
/* how long a guest runs before the VMX-preemption timer brings it out */
#define RKVM_SLICE_US		4000

/* Guest general-purpose registers, in the x86 encoding order (RKVM_RAX..) */
#include "x86/decode.h"
#define RKVM_NR_GPRS		16
#define EPT_LEVELS_FOR_CACHE	3	/* tables below the root */

#include "mmu/memslot_lookup.h"

/*
 * An immutable set of memslots, sorted by base_gfn. Readers hold kvm->srcu;
 * writers (under kvm->slots_lock) publish a new set and wait for readers.
 */
struct rkvm_memslots {
	int nr;
	struct rkvm_memslot slots[];
};

/*
 * The VM's kvmclock (x86/kvmclock.c): nanoseconds since KVM_CREATE_VM plus
 * what KVM_SET_CLOCK added. Fields under @lock, taken with IRQs off.
 */
struct rkvm_kvmclock {
	spinlock_t lock;
	bool tsc_stable;	/* a linear function of the host TSC */
	u64 base_tsc;		/* tsc_stable: host TSC when the clock read */
	u64 base_ns;		/* ... base_ns */
	s64 boot_offset;	/* otherwise: CLOCK_BOOTTIME plus this */
	u32 mul;		/* host TSC ticks to ns, as pvclock scales */
	s8 shift;
	u64 wall_clock;		/* MSR_KVM_WALL_CLOCK(_NEW), as written */
};

/* Interfaces of the switched host/guest MSRs (rkvm/x86/msr.c). */
enum rkvm_switched_msr {
	RKVM_SMSR_STAR, RKVM_SMSR_LSTAR, RKVM_SMSR_CSTAR, RKVM_SMSR_SFMASK,
	RKVM_SMSR_KERNEL_GS_BASE, RKVM_SMSR_TSC_AUX,
	RKVM_NR_SMSRS
};

struct rkvm {
	struct kref ref;
	struct mm_struct *mm;		/* the creator's, grabbed */

	struct mutex lock;		/* vcpu creation, VM-wide state */
	int nr_vcpus;
	struct rkvm_vcpu *vcpus[RKVM_MAX_VCPUS];

	struct mutex slots_lock;	/* serialises memslot updates */
	struct rkvm_memslots __rcu *memslots;
	struct srcu_struct srcu;	/* protects memslots readers */

	struct mutex mmu_lock;		/* EPT tables */
	u64 ept_root_pa;		/* 0 until the first fault */
	u64 eptp;
	/* under mmu_lock; read by debugfs */
	unsigned long ept_pages;	/* page-table pages in use */
	unsigned long pages_4k;		/* guest frames mapped by 4 KiB leaves */
	unsigned long pages_2m;		/* 2 MiB leaves */
	atomic64_t tlb_gen;		/* bumped when EPT entries are zapped */
	struct mmu_notifier mmu_notifier;
	atomic_long_t mmu_invalidate_seq;	/* see mmu/notifier.c */
	atomic_t mmu_invalidate_in_progress;

	unsigned long tss_addr;
	u64 ident_addr;
	bool irqchip;			/* KVM_CREATE_IRQCHIP done */
	spinlock_t irqfds_lock;		/* see irqfd.c */
	struct list_head irqfds;
	struct list_head ioeventfds;	/* RCU; writers hold kvm->lock */
	struct rkvm_irq_routes __rcu *irq_routes;	/* NULL: the default */
	u32 bsp_id;			/* KVM_SET_BOOT_CPU_ID */
	u32 max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID, 0: the default */
	unsigned long nr_mmu_pages;	/* KVM_SET_NR_MMU_PAGES (recorded) */
	bool nr_mmu_pages_set;
	struct rkvm_ioapic *ioapic;
	struct rkvm_pic *pic;
	struct rkvm_pit *pit;		/* KVM_CREATE_PIT2 */
	u64 manual_dirty_log;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	/* halts of its vCPUs (vmx/run.c), for debugfs */
	atomic_long_t halt_successful_poll, halt_attempted_poll, halt_wakeup;
	struct rkvm_kvmclock clock;
	struct dentry *debugfs;
};

/* Cached guest state read back from the VMCS after an exit. */
enum rkvm_cache_bit {
	RKVM_CACHE_RIP, RKVM_CACHE_RSP, RKVM_CACHE_RFLAGS,
};

struct rkvm_vcpu {
	struct rkvm *kvm;
	int vcpu_id;
	struct mutex mutex;		/* held across every vCPU ioctl */
	struct kvm_run *run;
	void *pio_data;			/* the page after kvm_run in the mmap */
	struct preempt_notifier pn;

	/* VMX */
	struct vmcs_page *vmcs;
	int cpu;			/* where the VMCS is current, or -1 */
	int last_cpu;			/* where the vCPU last entered */
	bool launched;
	bool need_flush;
	u16 vpid;
	u64 flushed_gen;
	struct list_head loaded_link;	/* on the per-cpu loaded list */
	unsigned long *msr_bitmap;
	u32 exec_ctls, exec2_ctls, entry_ctls, exit_ctls, pin_ctls;

	/* register state */
	u64 regs[RKVM_NR_GPRS];
	unsigned long rip, rsp, rflags;
	unsigned long cache_avail, cache_dirty;
	unsigned long cr0, cr4;		/* as the guest sees them */
	unsigned long cr2, cr3, dr6, dr7;
	u64 efer;
	u64 xcr0;
	u64 smsr[RKVM_NR_SMSRS];
	u64 misc_enable;
	u64 tsc_offset;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u64 pv_time;			/* MSR_KVM_SYSTEM_TIME(_NEW) */
	struct fpu_guest guest_fpu;
	bool guest_state_loaded;
	u64 host_smsr[RKVM_NR_SMSRS];
	u16 host_ds, host_es, host_fs, host_gs;
	unsigned long host_fs_base;

	/* CPUID */
	int cpuid_nent;
	struct kvm_cpuid_entry2 *cpuid;
	u8 maxphyaddr;

	/* events */
	u32 mp_state;
	bool irq_pending;
	u8 irq_vector;
	bool nmi_pending;
	bool nmi_injected;
	bool exc_pending;
	u8 exc_vector;
	bool exc_has_error;
	u32 exc_error;
	u32 idt_vectoring;		/* re-injected event, if valid */
	u32 idt_vectoring_err;
	u32 idt_vectoring_len;

	/* an INS/OUTS in progress */
	struct rkvm_string_io {
		bool active, in, rep, df;
		u8 size;
		u16 port;
		u32 count;
		u64 index, seg_base, addr_mask;
	} string_io;

	/* a pending PIO completion */
	bool pio_in_pending;
	u8 pio_size;
	bool mmio_read_pending;
	struct rkvm_insn mmio_insn;	/* the load waiting for its data */

	u8 cr8;
	u64 apic_base;
	struct rkvm_lapic *lapic;	/* with an in-kernel irqchip */
	wait_queue_head_t wq;		/* a halted vCPU sleeps here */
	u32 halt_poll_ns;		/* its polling window (vmx/run.c) */
	struct task_struct *run_task;	/* in KVM_RUN: whom to kick */
	unsigned long requests;		/* RKVM_REQ_*, below */
	u8 sipi_vector;
	bool sigset_active;
	sigset_t sigset;		/* KVM_SET_SIGNAL_MASK */
	unsigned long db[4];
	bool ran_once;

	/* host state remembered across entries */
	unsigned long host_cr3, host_cr4;
	u16 host_ldt;
	u32 preempt_ticks;

	/* the last exit */
	u32 exit_intr_info;
	u32 entry_error;
	int last_entry_cpu;

	/* EPT table pages for the next fault, allocated outside mmu_lock */
	void *pt_cache[EPT_LEVELS_FOR_CACHE];
	int pt_cache_n;
};

/* work owed before the next entry (vcpu->requests bits, set from any context) */
#define RKVM_REQ_EVENT		0	/* an interrupt may be deliverable */
#define RKVM_REQ_INIT		1	/* INIT IPI */
#define RKVM_REQ_SIPI		2	/* SIPI, vector in vcpu->sipi_vector */
#define RKVM_REQ_CLOCK_UPDATE	3	/* rewrite the guest's kvmclock area */
/* x86/lapic.c: set a request bit and get the vCPU out of the guest or HLT */
void rkvm_vcpu_request(struct rkvm_vcpu *vcpu, int req);

extern u64 rkvm_host_xcr0;

/* debugfs.c */
void rkvm_debugfs_init(void);
void rkvm_debugfs_exit(void);
void rkvm_debugfs_vm_create(struct rkvm *kvm);
void rkvm_debugfs_vm_destroy(struct rkvm *kvm);

/* x86/irq_routing.c */
int rkvm_set_gsi(struct rkvm *kvm, u32 gsi, bool level);
int rkvm_set_gsi_routing(struct rkvm *kvm, struct kvm_irq_routing __user *arg);
int rkvm_signal_msi(struct rkvm *kvm, const struct kvm_msi *msi);
void rkvm_irq_routing_free(struct rkvm *kvm);

/* irqfd.c, ioeventfd.c */
int rkvm_irqfd(struct rkvm *kvm, const struct kvm_irqfd *args);
void rkvm_irqfd_release(struct rkvm *kvm);
int rkvm_irqfd_init(void);
void rkvm_irqfd_exit(void);
int rkvm_ioeventfd(struct rkvm *kvm, const struct kvm_ioeventfd *a);
bool rkvm_ioeventfd_write(struct rkvm *kvm, bool pio, u64 addr, u32 len,
			  u64 val);
void rkvm_ioeventfd_release(struct rkvm *kvm);

/* caps.c */
int rkvm_check_extension(struct rkvm *kvm, long ext);

/* vm.c */
long rkvm_create_vm(unsigned long type);
void rkvm_get_vm(struct rkvm *kvm);
void rkvm_put_vm(struct rkvm *kvm);

/* vcpu.c */
int rkvm_create_vcpu(struct rkvm *kvm, unsigned long id);
void rkvm_vcpu_destroy(struct rkvm_vcpu *vcpu);
void rkvm_get_events(struct rkvm_vcpu *vcpu, struct kvm_vcpu_events *ev);
int rkvm_set_events(struct rkvm_vcpu *vcpu, const struct kvm_vcpu_events *ev);
void rkvm_vcpu_load(struct rkvm_vcpu *vcpu);
void rkvm_vcpu_put(struct rkvm_vcpu *vcpu);

/* vmx/vmx.c */
int rkvm_vmx_init(void);
void rkvm_vmx_exit(void);
int rkvm_vmx_get(void);
void rkvm_vmx_put(void);
struct vmcs_page *rkvm_alloc_vmcs(void);
void rkvm_free_vmcs(struct vmcs_page *vmcs);
int rkvm_alloc_vpid(void);
void rkvm_free_vpid(int vpid);
void rkvm_vmx_vcpu_load(struct rkvm_vcpu *vcpu, int cpu);
void rkvm_vmx_vcpu_clear(struct rkvm_vcpu *vcpu);

/* vmx/vmcs.c */
int rkvm_vmcs_setup(struct rkvm_vcpu *vcpu);
void rkvm_vmcs_set_host_percpu(void);
void rkvm_vcpu_reset(struct rkvm_vcpu *vcpu);

/* vmx/run.c */
int rkvm_vcpu_run(struct rkvm_vcpu *vcpu);
void rkvm_prepare_switch_to_host(struct rkvm_vcpu *vcpu);
bool rkvm_ready_for_interrupt(struct rkvm_vcpu *vcpu);

/* mmu */
struct rkvm_memslot *rkvm_gfn_to_slot(struct rkvm_memslots *slots, u64 gfn);
int rkvm_set_memory_region(struct rkvm *kvm,
			   const struct kvm_userspace_memory_region *mem);
int rkvm_init_memslots(struct rkvm *kvm);
void rkvm_free_memslots(struct rkvm *kvm);
int rkvm_ept_fault(struct rkvm_vcpu *vcpu, u64 gpa, u64 qual);
void rkvm_ept_zap_range(struct rkvm *kvm, u64 gfn_start, u64 gfn_end);
bool rkvm_ept_zap_range_locked(struct rkvm *kvm, u64 gfn_start, u64 gfn_end,
			       struct list_head *freed);
void rkvm_ept_free_tables(struct list_head *freed);
void rkvm_free_table_cache(struct rkvm_vcpu *vcpu);
int rkvm_mmu_notifier_register(struct rkvm *kvm);
void rkvm_mmu_notifier_unregister(struct rkvm *kvm);
bool rkvm_ept_wrprot_range_locked(struct rkvm *kvm, u64 gfn_start,
				  u64 gfn_end);
int rkvm_get_dirty_log(struct rkvm *kvm, const struct kvm_dirty_log *log);
int rkvm_clear_dirty_log(struct rkvm *kvm,
			 const struct kvm_clear_dirty_log *log);
void rkvm_ept_destroy(struct rkvm *kvm);
int rkvm_ept_init(struct rkvm *kvm);
void rkvm_flush_remote_tlbs(struct rkvm *kvm);
int rkvm_read_guest(struct rkvm *kvm, u64 gpa, void *data, unsigned long len);
int rkvm_write_guest(struct rkvm *kvm, u64 gpa, const void *data,
		     unsigned long len);

#endif
