// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU object: creation, its fd and mmap of kvm_run, the
 * vCPU ioctls (each unpacks its argument and calls a named function),
 * loading on a CPU (preempt notifiers), and teardown.
 *
 * Locking: vcpu->mutex is held across every vCPU ioctl, so KVM_RUN and the
 * state ioctls never overlap on one vCPU. A vCPU is loaded (its VMCS
 * current on this CPU, preempt notifiers registered) for the duration of
 * each ioctl that touches guest state.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/kvm.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/debugreg.h>

#include "rkvm.h"
#include "x86/arch.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "x86/regs.h"
#include "x86/cpuid.h"
#include "x86/msr.h"
#include "x86/lapic.h"

static inline struct rkvm_vcpu *pn_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct rkvm_vcpu, pn);
}

static void rkvm_sched_in(struct preempt_notifier *pn, int cpu)
{
	rkvm_vmx_vcpu_load(pn_to_vcpu(pn), cpu);
}

static void rkvm_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	rkvm_prepare_switch_to_host(pn_to_vcpu(pn));
}

static struct preempt_ops rkvm_preempt_ops = {
	.sched_in = rkvm_sched_in,
	.sched_out = rkvm_sched_out,
};

void rkvm_vcpu_load(struct rkvm_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->pn);
	rkvm_vmx_vcpu_load(vcpu, cpu);
	put_cpu();
}

void rkvm_vcpu_put(struct rkvm_vcpu *vcpu)
{
	preempt_disable();
	rkvm_prepare_switch_to_host(vcpu);
	preempt_notifier_unregister(&vcpu->pn);
	preempt_enable();
}

/* Freed with the VM: every vCPU fd holds a reference on the VM. */
void rkvm_vcpu_destroy(struct rkvm_vcpu *vcpu)
{
	rkvm_vmx_vcpu_clear(vcpu);
	rkvm_free_vmcs(vcpu->vmcs);
	rkvm_free_vpid(vcpu->vpid);
	rkvm_free_table_cache(vcpu);
	rkvm_lapic_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	free_page((unsigned long)vcpu->msr_bitmap);
	free_page((unsigned long)vcpu->run);
	free_page((unsigned long)vcpu->pio_data);
	kvfree(vcpu->cpuid);
	kfree(vcpu);
}

static vm_fault_t rkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct rkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->pio_data);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct rkvm_vcpu_vm_ops = {
	.fault = rkvm_vcpu_fault,
};

static int rkvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &rkvm_vcpu_vm_ops;
	return 0;
}

static int rkvm_vcpu_release(struct inode *inode, struct file *file)
{
	struct rkvm_vcpu *vcpu = file->private_data;

	rkvm_put_vm(vcpu->kvm);
	return 0;
}

static int rkvm_get_fpu(struct rkvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, 128);
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	/* KVM reports no MXCSR here (it is in KVM_GET_XSAVE): neither do we */
	return 0;
}

static int rkvm_set_fpu(struct rkvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	memcpy(fx->st_space, fpu->fpr, 128);
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fx->xmm_space));
	/* and, like KVM, takes none from userspace */
	return 0;
}

static int rkvm_get_xsave(struct rkvm_vcpu *vcpu, struct kvm_xsave *xs)
{
	memset(xs, 0, sizeof(*xs));
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, xs->region,
				       sizeof(xs->region),
				       rkvm_supported_xcr0() | XFEATURE_MASK_FPSSE,
				       0);
	return 0;
}

static int rkvm_set_xsave(struct rkvm_vcpu *vcpu, const struct kvm_xsave *xs)
{
	u32 pkru = 0;

	return fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, xs->region,
					      rkvm_supported_xcr0() |
					      XFEATURE_MASK_FPSSE, &pkru);
}

static int rkvm_set_xcrs(struct rkvm_vcpu *vcpu, const struct kvm_xcrs *x)
{
	u64 allowed = rkvm_supported_xcr0() | XFEATURE_MASK_FP;
	u32 i;

	if (x->nr_xcrs > KVM_MAX_XCRS || x->flags)
		return -EINVAL;
	for (i = 0; i < x->nr_xcrs; i++) {
		u64 v = x->xcrs[i].value;

		if (x->xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (!(v & XFEATURE_MASK_FP) || (v & ~allowed) ||
		    ((v & XFEATURE_MASK_YMM) && !(v & XFEATURE_MASK_SSE)))
			return -EINVAL;
		vcpu->xcr0 = v;
		rkvm_cpuid_update_runtime(vcpu);
	}
	return 0;
}

void rkvm_get_events(struct rkvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	u32 st = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	u32 iv = vcpu->idt_vectoring;
	u32 type = iv & INTR_INFO_INTR_TYPE_MASK;

	memset(ev, 0, sizeof(*ev));
	if (vcpu->exc_pending) {
		ev->exception.injected = 1;
		ev->exception.nr = vcpu->exc_vector;
		ev->exception.has_error_code = vcpu->exc_has_error;
		ev->exception.error_code = vcpu->exc_error;
	} else if (iv && (type == INTR_TYPE_HARD_EXCEPTION ||
			  type == INTR_TYPE_SOFT_EXCEPTION)) {
		ev->exception.injected = 1;
		ev->exception.nr = iv & INTR_INFO_VECTOR_MASK;
		ev->exception.has_error_code = !!(iv & INTR_INFO_DELIVER_CODE_MASK);
		ev->exception.error_code = vcpu->idt_vectoring_err;
	}
	if (iv && (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_SOFT_INTR)) {
		ev->interrupt.injected = 1;
		ev->interrupt.nr = iv & INTR_INFO_VECTOR_MASK;
		ev->interrupt.soft = type == INTR_TYPE_SOFT_INTR;
	}
	ev->interrupt.shadow = (st & GUEST_INTR_STATE_STI ? KVM_X86_SHADOW_INT_STI : 0) |
			       (st & GUEST_INTR_STATE_MOV_SS ? KVM_X86_SHADOW_INT_MOV_SS : 0);
	ev->nmi.injected = vcpu->nmi_injected;
	ev->nmi.pending = vcpu->nmi_pending;
	ev->nmi.masked = !!(st & GUEST_INTR_STATE_NMI);
	ev->flags = KVM_VCPUEVENT_VALID_SHADOW;
}

int rkvm_set_events(struct rkvm_vcpu *vcpu, const struct kvm_vcpu_events *ev)
{
	u32 st;

	if (ev->flags & ~(KVM_VCPUEVENT_VALID_NMI_PENDING |
			  KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			  KVM_VCPUEVENT_VALID_SHADOW |
			  KVM_VCPUEVENT_VALID_SMM))
		return -EINVAL;
	if ((ev->flags & KVM_VCPUEVENT_VALID_SMM) && ev->smi.smm)
		return -EINVAL;	/* no SMM */
	if (ev->exception.injected &&
	    (ev->exception.nr > 31 || ev->exception.nr == RKVM_NMI_VECTOR))
		return -EINVAL;

	vcpu->idt_vectoring = 0;
	vcpu->exc_pending = ev->exception.injected;
	vcpu->exc_vector = ev->exception.nr;
	vcpu->exc_has_error = ev->exception.has_error_code;
	vcpu->exc_error = ev->exception.error_code;
	if (ev->interrupt.injected) {
		vcpu->irq_pending = true;
		vcpu->irq_vector = ev->interrupt.nr;
	}
	vcpu->nmi_injected = ev->nmi.injected;
	if (ev->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->nmi_pending = ev->nmi.pending;
	st = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (ev->nmi.masked)
		st |= GUEST_INTR_STATE_NMI;
	else
		st &= ~GUEST_INTR_STATE_NMI;
	if (ev->flags & KVM_VCPUEVENT_VALID_SHADOW) {
		st &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
		if (ev->interrupt.shadow & KVM_X86_SHADOW_INT_STI)
			st |= GUEST_INTR_STATE_STI;
		if (ev->interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS)
			st |= GUEST_INTR_STATE_MOV_SS;
	}
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, st);
	return 0;
}

static void rkvm_get_debugregs(struct rkvm_vcpu *vcpu, struct kvm_debugregs *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->db, vcpu->db, sizeof(d->db));
	d->dr6 = vcpu->dr6;
	d->dr7 = vcpu->dr7;
}

static int rkvm_set_debugregs(struct rkvm_vcpu *vcpu,
			      const struct kvm_debugregs *d)
{
	if (d->flags || (d->dr6 >> 32) || (d->dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->db, d->db, sizeof(vcpu->db));
	vcpu->dr6 = (d->dr6 & RKVM_DR6_VOLATILE) | RKVM_DR6_FIXED_1;
	vcpu->dr7 = (d->dr7 & RKVM_DR7_VOLATILE) | RKVM_DR7_FIXED_1;
	return 0;
}

static int rkvm_set_signal_mask(struct rkvm_vcpu *vcpu,
				struct kvm_signal_mask __user *arg)
{
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!arg) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, arg->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

/*
 * Without an in-kernel irqchip only RUNNABLE exists; with one, the states
 * a local APIC gives a CPU (KVM's rules: SIPI_RECEIVED is stored as
 * INIT_RECEIVED with the SIPI pending).
 */
static int rkvm_set_mp_state(struct rkvm_vcpu *vcpu, u32 state)
{
	if (!vcpu->lapic)
		return state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
	switch (state) {
	case KVM_MP_STATE_SIPI_RECEIVED:
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(RKVM_REQ_SIPI, &vcpu->requests);
		return 0;
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		vcpu->mp_state = state;
		return 0;
	default:
		return -EINVAL;
	}
}

/* ioctls whose argument is a fixed-size struct copied in and/or out */
union rkvm_vcpu_arg {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	struct kvm_xcrs xcrs;
	struct kvm_interrupt irq;
	struct kvm_lapic_state lapic;
};

static long rkvm_vcpu_ioctl_locked(struct rkvm_vcpu *vcpu, unsigned int ioctl,
				   void __user *argp, union rkvm_vcpu_arg *a)
{
	struct kvm_xsave *xs;
	long r;

	switch (ioctl) {
	case KVM_RUN:
		if (argp)
			return -EINVAL;
		/* KVM_SET_SIGNAL_MASK's mask holds only while KVM_RUN runs */
		if (vcpu->sigset_active)
			sigprocmask(SIG_SETMASK, &vcpu->sigset,
				    &current->real_blocked);
		r = rkvm_vcpu_run(vcpu);
		if (vcpu->sigset_active) {
			sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
			sigemptyset(&current->real_blocked);
		}
		return r;
	case KVM_SET_SIGNAL_MASK:
		return rkvm_set_signal_mask(vcpu, argp);
	case KVM_GET_REGS:
		rkvm_get_regs(vcpu, &a->regs);
		return copy_to_user(argp, &a->regs, sizeof(a->regs)) ? -EFAULT : 0;
	case KVM_SET_REGS:
		if (copy_from_user(&a->regs, argp, sizeof(a->regs)))
			return -EFAULT;
		return rkvm_set_regs(vcpu, &a->regs);
	case KVM_GET_SREGS:
		rkvm_get_sregs(vcpu, &a->sregs);
		return copy_to_user(argp, &a->sregs, sizeof(a->sregs)) ? -EFAULT : 0;
	case KVM_SET_SREGS:
		if (copy_from_user(&a->sregs, argp, sizeof(a->sregs)))
			return -EFAULT;
		return rkvm_set_sregs(vcpu, &a->sregs);
	case KVM_GET_FPU:
		rkvm_get_fpu(vcpu, &a->fpu);
		return copy_to_user(argp, &a->fpu, sizeof(a->fpu)) ? -EFAULT : 0;
	case KVM_SET_FPU:
		if (copy_from_user(&a->fpu, argp, sizeof(a->fpu)))
			return -EFAULT;
		return rkvm_set_fpu(vcpu, &a->fpu);
	case KVM_GET_XSAVE:
		xs = kzalloc(sizeof(*xs), GFP_KERNEL_ACCOUNT);
		if (!xs)
			return -ENOMEM;
		rkvm_get_xsave(vcpu, xs);
		r = copy_to_user(argp, xs, sizeof(*xs)) ? -EFAULT : 0;
		kfree(xs);
		return r;
	case KVM_SET_XSAVE:
		xs = memdup_user(argp, sizeof(*xs));
		if (IS_ERR(xs))
			return PTR_ERR(xs);
		r = rkvm_set_xsave(vcpu, xs);
		kfree(xs);
		return r;
	case KVM_GET_XCRS:
		memset(&a->xcrs, 0, sizeof(a->xcrs));
		a->xcrs.nr_xcrs = 1;
		a->xcrs.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		a->xcrs.xcrs[0].value = vcpu->xcr0;
		return copy_to_user(argp, &a->xcrs, sizeof(a->xcrs)) ? -EFAULT : 0;
	case KVM_SET_XCRS:
		if (copy_from_user(&a->xcrs, argp, sizeof(a->xcrs)))
			return -EFAULT;
		return rkvm_set_xcrs(vcpu, &a->xcrs);
	case KVM_GET_MSRS:
		return rkvm_msrs_ioctl(vcpu, argp, false);
	case KVM_SET_MSRS:
		return rkvm_msrs_ioctl(vcpu, argp, true);
	case KVM_SET_CPUID2:
		return rkvm_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return rkvm_get_cpuid2(vcpu, argp);
	case KVM_GET_MP_STATE:
		a->mp.mp_state = vcpu->mp_state;
		return copy_to_user(argp, &a->mp, sizeof(a->mp)) ? -EFAULT : 0;
	case KVM_SET_MP_STATE:
		if (copy_from_user(&a->mp, argp, sizeof(a->mp)))
			return -EFAULT;
		return rkvm_set_mp_state(vcpu, a->mp.mp_state);
	case KVM_GET_LAPIC:
		r = rkvm_get_lapic(vcpu, &a->lapic);
		if (!r && copy_to_user(argp, &a->lapic, sizeof(a->lapic)))
			r = -EFAULT;
		return r;
	case KVM_SET_LAPIC:
		if (copy_from_user(&a->lapic, argp, sizeof(a->lapic)))
			return -EFAULT;
		return rkvm_set_lapic(vcpu, &a->lapic);
	case KVM_GET_VCPU_EVENTS:
		rkvm_get_events(vcpu, &a->ev);
		return copy_to_user(argp, &a->ev, sizeof(a->ev)) ? -EFAULT : 0;
	case KVM_SET_VCPU_EVENTS:
		if (copy_from_user(&a->ev, argp, sizeof(a->ev)))
			return -EFAULT;
		return rkvm_set_events(vcpu, &a->ev);
	case KVM_GET_DEBUGREGS:
		rkvm_get_debugregs(vcpu, &a->dr);
		return copy_to_user(argp, &a->dr, sizeof(a->dr)) ? -EFAULT : 0;
	case KVM_SET_DEBUGREGS:
		if (copy_from_user(&a->dr, argp, sizeof(a->dr)))
			return -EFAULT;
		return rkvm_set_debugregs(vcpu, &a->dr);
	case KVM_INTERRUPT:
		if (copy_from_user(&a->irq, argp, sizeof(a->irq)))
			return -EFAULT;
		if (a->irq.irq >= KVM_NR_INTERRUPTS)
			return -EINVAL;
		/* the in-kernel PIC/IOAPIC own interrupt injection then */
		if (vcpu->kvm->irqchip)
			return -ENXIO;
		vcpu->irq_pending = true;
		vcpu->irq_vector = a->irq.irq;
		return 0;
	case KVM_NMI:
		vcpu->nmi_pending = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static long rkvm_vcpu_ioctl(struct file *file, unsigned int ioctl,
			    unsigned long arg)
{
	struct rkvm_vcpu *vcpu = file->private_data;
	union rkvm_vcpu_arg *a = NULL;
	long r;

	if (vcpu->kvm->mm != current->mm)
		return -EIO;
	/*
	 * The state structs are large: keep them off the kernel stack. KVM_RUN,
	 * the hot path, needs none.
	 */
	if (ioctl != KVM_RUN) {
		a = kmalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
		if (!a)
			return -ENOMEM;
	}
	if (mutex_lock_killable(&vcpu->mutex)) {
		kfree(a);
		return -EINTR;
	}
	rkvm_vcpu_load(vcpu);
	r = rkvm_vcpu_ioctl_locked(vcpu, ioctl, (void __user *)arg, a);
	rkvm_vcpu_put(vcpu);
	mutex_unlock(&vcpu->mutex);
	kfree(a);
	return r;
}

static const struct file_operations rkvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= rkvm_vcpu_release,
	.unlocked_ioctl	= rkvm_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= rkvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

static struct rkvm_vcpu *rkvm_vcpu_alloc(struct rkvm *kvm, int id)
{
	struct rkvm_vcpu *vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);

	if (!vcpu)
		return NULL;
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	vcpu->last_cpu = -1;
	vcpu->maxphyaddr = 36;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	INIT_LIST_HEAD(&vcpu->loaded_link);
	preempt_notifier_init(&vcpu->pn, &rkvm_preempt_ops);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->vmcs = rkvm_alloc_vmcs();
	if (!vcpu->run || !vcpu->pio_data || !vcpu->vmcs ||
	    !fpu_alloc_guest_fpstate(&vcpu->guest_fpu)) {
		rkvm_free_vmcs(vcpu->vmcs);
		free_page((unsigned long)vcpu->run);
		free_page((unsigned long)vcpu->pio_data);
		kfree(vcpu);
		return NULL;
	}
	vcpu->vpid = rkvm_alloc_vpid();
	/* the guest's TSC counts from zero at creation, as under KVM */
	vcpu->tsc_offset = -rdtsc();
	if (rkvm_vmx.has_preempt_timer)
		vcpu->preempt_ticks = min_t(u64, U32_MAX,
					    ((u64)tsc_khz * RKVM_SLICE_US / 1000) >>
					    rkvm_vmx.preempt_timer_shift);
	return vcpu;
}

int rkvm_create_vcpu(struct rkvm *kvm, unsigned long id)
{
	struct rkvm_vcpu *vcpu;
	char name[24];
	int i, r, fd;

	if (id >= RKVM_MAX_VCPU_ID)
		return -EINVAL;

	vcpu = rkvm_vcpu_alloc(kvm, id);
	if (!vcpu)
		return -ENOMEM;
	rkvm_vcpu_load(vcpu);
	r = rkvm_vmcs_setup(vcpu);
	if (!r)
		rkvm_vcpu_reset(vcpu);
	rkvm_vcpu_put(vcpu);
	if (r)
		goto destroy;

	mutex_lock(&kvm->lock);
	r = -EINVAL;
	if (kvm->nr_vcpus >= RKVM_MAX_VCPUS ||
	    (kvm->max_vcpu_ids && id >= kvm->max_vcpu_ids))
		goto unlock;
	r = -EEXIST;
	for (i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->vcpu_id == id)
			goto unlock;
	if (kvm->irqchip) {
		/* under kvm->lock: KVM_CREATE_IRQCHIP cannot come in between */
		r = rkvm_lapic_create(vcpu);
		if (r)
			goto unlock;
		/* APs wait for INIT/SIPI, as on real hardware */
		if (id != kvm->bsp_id)
			vcpu->mp_state = KVM_MP_STATE_UNINITIALIZED;
	}
	/* publish first: once the fd exists, userspace may close it */
	kvm->vcpus[kvm->nr_vcpus++] = vcpu;
	rkvm_get_vm(kvm);
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	fd = anon_inode_getfd(name, &rkvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		kvm->vcpus[--kvm->nr_vcpus] = NULL;
		mutex_unlock(&kvm->lock);
		rkvm_put_vm(kvm);
		r = fd;
		goto destroy;
	}
	mutex_unlock(&kvm->lock);
	return fd;

unlock:
	mutex_unlock(&kvm->lock);
destroy:
	rkvm_vcpu_destroy(vcpu);
	return r;
}
