// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock, KVM's paravirtual clock: the per-VM clock behind
 * KVM_GET/SET_CLOCK, the vCPU's MSR_KVM_SYSTEM_TIME(_NEW) area (struct
 * pvclock_vcpu_time_info), rewritten by the vCPU's own thread before an
 * entry when RKVM_REQ_CLOCK_UPDATE says it is stale, and the
 * MSR_KVM_WALL_CLOCK(_NEW) area, written when that MSR is.
 *
 * The clock counts nanoseconds since KVM_CREATE_VM, plus what
 * KVM_SET_CLOCK adds. While the host's TSC runs at one rate on one timeline
 * for every CPU, the clock is a single linear function of the host TSC
 * (an anchor, base_tsc and base_ns, moved only by KVM_SET_CLOCK, and the
 * scale of the TSC frequency): every vCPU's area carries that same anchor,
 * expressed in its own TSC, so every vCPU computes the very values
 * KVM_GET_CLOCK does, and PVCLOCK_TSC_STABLE_BIT is true. Should the host
 * mark its TSC unstable, the clock goes on from where it was along
 * CLOCK_BOOTTIME, each area is anchored at the time and CPU of its
 * rewrite (and rewritten when its vCPU changes CPU), without the bit.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/kvm_para.h>
#include <asm/msr.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "rkvm.h"
#include "x86/kvmclock.h"

/* Can one anchor serve every CPU for good? */
static bool rkvm_host_tsc_stable(void)
{
	return tsc_khz && boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       !check_tsc_unstable();
}

/*
 * Scale factors for a @hz TSC, in pvclock's form: ns = ((ticks << shift) *
 * mul) >> 32, a negative shift shifting right. The smallest shift whose
 * multiplier fits in 32 bits keeps 31 significant bits in it.
 */
static void rkvm_tsc_scale(u64 hz, u32 *mul, s8 *shift)
{
	u64 m = 0;
	int s;

	for (s = -1; s < 31; s++) {
		m = div64_u64((u64)NSEC_PER_SEC << (32 - s), hz);
		if (m <= U32_MAX)
			break;
	}
	*mul = m;
	*shift = s;
}

/* @ticks of the host TSC in ns, computed exactly as the guest does */
static u64 rkvm_ticks_to_ns(const struct rkvm_kvmclock *c, u64 ticks)
{
	if (c->shift >= 0)
		ticks <<= c->shift;
	else
		ticks >>= -c->shift;
	return mul_u64_u32_shr(ticks, c->mul, 32);
}

/*
 * The clock at host TSC @tsc, read just before (lock held, IRQs off). The
 * first caller to find the host's TSC no longer stable moves the clock to
 * CLOCK_BOOTTIME, continuing from its current value, and gets *@changed.
 */
static u64 rkvm_clock_at(struct rkvm_kvmclock *c, u64 tsc, bool *changed)
{
	u64 ns;

	if (!c->tsc_stable)
		return ktime_get_boottime_ns() + c->boot_offset;
	ns = c->base_ns;
	if ((s64)(tsc - c->base_tsc) > 0)
		ns += rkvm_ticks_to_ns(c, tsc - c->base_tsc);
	if (unlikely(!rkvm_host_tsc_stable())) {
		c->tsc_stable = false;
		c->boot_offset = ns - ktime_get_boottime_ns();
		*changed = true;
	}
	return ns;
}

/* Every vCPU rewrites its area before its next entry (sleeps). */
static void rkvm_kvmclock_request_all(struct rkvm *kvm)
{
	int i;

	mutex_lock(&kvm->lock);
	for (i = 0; i < kvm->nr_vcpus; i++)
		rkvm_vcpu_request(kvm->vcpus[i], RKVM_REQ_CLOCK_UPDATE);
	mutex_unlock(&kvm->lock);
}

/* The clock, the host TSC and CLOCK_REALTIME, all at one instant. */
struct rkvm_clock_now {
	u64 ns, tsc, real;
	bool stable;
};

static void rkvm_clock_now(struct rkvm *kvm, struct rkvm_clock_now *now)
{
	struct rkvm_kvmclock *c = &kvm->clock;
	bool changed = false;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	now->tsc = rdtsc_ordered();
	now->ns = rkvm_clock_at(c, now->tsc, &changed);
	now->real = ktime_get_real_ns();
	now->stable = c->tsc_stable;
	spin_unlock_irqrestore(&c->lock, flags);
	if (changed)
		rkvm_kvmclock_request_all(kvm);
}

void rkvm_kvmclock_init(struct rkvm *kvm)
{
	struct rkvm_kvmclock *c = &kvm->clock;
	unsigned long flags;

	spin_lock_init(&c->lock);
	rkvm_tsc_scale(tsc_khz ? tsc_khz * 1000ull : NSEC_PER_SEC, &c->mul,
		       &c->shift);
	local_irq_save(flags);
	c->tsc_stable = rkvm_host_tsc_stable();
	c->base_tsc = rdtsc_ordered();
	c->base_ns = 0;
	c->boot_offset = -ktime_get_boottime_ns();
	local_irq_restore(flags);
}

/*
 * Write a pvclock structure of @len bytes, a u32 version first, to guest
 * memory at @gpa as its readers expect: the version made odd, then the
 * other fields, then the version made even; a reader that sees the same
 * even version before and after its copy has a consistent one. Where no
 * writable memslot backs @gpa nothing is written.
 */
static void rkvm_pvclock_write(struct rkvm *kvm, u64 gpa, const void *data,
			       unsigned int len)
{
	u32 version;

	if (rkvm_read_guest(kvm, gpa, &version, sizeof(version)))
		return;
	version = (version + 1) | 1;
	if (rkvm_write_guest(kvm, gpa, &version, sizeof(version)))
		return;
	/* the odd version is visible before any field changes */
	smp_wmb();
	rkvm_write_guest(kvm, gpa + sizeof(version), data + sizeof(version),
			 len - sizeof(version));
	/* and every field before the even version */
	smp_wmb();
	version++;
	rkvm_write_guest(kvm, gpa, &version, sizeof(version));
}

/*
 * RKVM_REQ_CLOCK_UPDATE: rewrite the vCPU's pvclock_vcpu_time_info. The
 * vCPU's thread, before an entry (it may fault on the area's page).
 */
void rkvm_kvmclock_update(struct rkvm_vcpu *vcpu)
{
	struct rkvm_kvmclock *c = &vcpu->kvm->clock;
	struct pvclock_vcpu_time_info pv = { 0 };
	u64 gpa = vcpu->pv_time & ~(u64)KVM_MSR_ENABLED;
	bool changed = false;
	unsigned long flags;
	u64 tsc, ns;

	clear_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests);
	if (!(vcpu->pv_time & KVM_MSR_ENABLED))
		return;
	/* KVM never writes an area that crosses a page boundary */
	if (offset_in_page(gpa) + sizeof(pv) > PAGE_SIZE)
		return;

	spin_lock_irqsave(&c->lock, flags);
	tsc = rdtsc_ordered();
	ns = rkvm_clock_at(c, tsc, &changed);
	if (c->tsc_stable) {
		/* the VM's anchor: every vCPU computes the same function */
		tsc = c->base_tsc;
		ns = c->base_ns;
		pv.flags = PVCLOCK_TSC_STABLE_BIT;
	}
	pv.tsc_to_system_mul = c->mul;
	pv.tsc_shift = c->shift;
	spin_unlock_irqrestore(&c->lock, flags);

	/* the guest reads its own TSC: the anchor in that TSC */
	pv.tsc_timestamp = tsc + vcpu->tsc_offset;
	pv.system_time = ns;
	rkvm_pvclock_write(vcpu->kvm, gpa, &pv, sizeof(pv));
	if (changed)
		rkvm_kvmclock_request_all(vcpu->kvm);
}

/* The host's real time at the kvmclock's zero, for the guest at @gpa. */
static void rkvm_wall_clock_write(struct rkvm *kvm, u64 gpa)
{
	struct pvclock_wall_clock wc = { 0 };
	struct rkvm_clock_now now;
	u32 nsec;

	/* KVM leaves guest address 0 alone */
	if (!gpa)
		return;
	rkvm_clock_now(kvm, &now);
	wc.sec = div_u64_rem(now.real - now.ns, NSEC_PER_SEC, &nsec); /* 2106 */
	wc.nsec = nsec;
	rkvm_pvclock_write(kvm, gpa, &wc, sizeof(wc));
}

/* MSR_KVM_{WALL_CLOCK,SYSTEM_TIME}{,_NEW}: 0, or 1 for another MSR */
int rkvm_kvmclock_get_msr(struct rkvm_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = READ_ONCE(vcpu->kvm->clock.wall_clock);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->pv_time;
		return 0;
	default:
		return 1;
	}
}

/*
 * Writes from the guest and from KVM_SET_MSRS alike; KVM refuses no value
 * (an address without memory behind it just gets nothing written).
 */
int rkvm_kvmclock_set_msr(struct rkvm_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		/* one per VM: the guest reads it once, at boot */
		WRITE_ONCE(vcpu->kvm->clock.wall_clock, data);
		rkvm_wall_clock_write(vcpu->kvm, data);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		/* bit 0 enables; the area is written before the next entry */
		vcpu->pv_time = data;
		set_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests);
		return 0;
	default:
		return 1;
	}
}

/* KVM_GET_CLOCK */
void rkvm_get_clock(struct rkvm *kvm, struct kvm_clock_data *data)
{
	struct rkvm_clock_now now;

	rkvm_clock_now(kvm, &now);
	memset(data, 0, sizeof(*data));
	data->clock = now.ns;
	data->realtime = now.real;
	data->host_tsc = now.tsc;
	data->flags = KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
	if (now.stable)
		data->flags |= KVM_CLOCK_TSC_STABLE;
}

/*
 * KVM_SET_CLOCK: the clock reads data->clock now, plus, with
 * KVM_CLOCK_REALTIME, the real time that passed since data->realtime (never
 * less: the clock is not stepped back for a realtime in the future). The
 * flags KVM_GET_CLOCK reports are accepted and ignored; the padding is not
 * looked at (KVM 6.1).
 */
int rkvm_set_clock(struct rkvm *kvm, const struct kvm_clock_data *data)
{
	struct rkvm_kvmclock *c = &kvm->clock;
	u64 clock = data->clock, tsc, real;
	bool changed = false;
	unsigned long flags;

	if (data->flags & ~RKVM_CLOCK_FLAGS)
		return -EINVAL;
	spin_lock_irqsave(&c->lock, flags);
	tsc = rdtsc_ordered();
	rkvm_clock_at(c, tsc, &changed);	/* is the TSC still stable? */
	real = ktime_get_real_ns();
	if ((data->flags & KVM_CLOCK_REALTIME) && real > data->realtime)
		clock += real - data->realtime;
	if (c->tsc_stable) {
		c->base_tsc = tsc;
		c->base_ns = clock;
	} else {
		c->boot_offset = clock - ktime_get_boottime_ns();
	}
	spin_unlock_irqrestore(&c->lock, flags);
	rkvm_kvmclock_request_all(kvm);
	return 0;
}
