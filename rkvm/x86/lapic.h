/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APIC of a vCPU (with
 * KVM_CREATE_IRQCHIP): register page, interrupt acceptance and delivery,
 * the APIC timer, and IPIs.
 */
#ifndef RKVM_X86_LAPIC_H
#define RKVM_X86_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include "rkvm.h"

#define RKVM_APIC_DEFAULT_BASE	0xfee00000ull

struct rkvm_lapic {
	struct rkvm_vcpu *vcpu;
	/*
	 * The xAPIC register page, laid out as struct kvm_lapic_state. The
	 * IRR words are set with atomic bitops from any context (devices,
	 * other vCPUs, the timer); everything else belongs to the vCPU's
	 * thread.
	 */
	u8 regs[KVM_APIC_REG_SIZE] __aligned(8);
	struct hrtimer timer;
	u64 timer_period_ns;	/* periodic mode, 0 otherwise */
	ktime_t timer_start;	/* when the current count was loaded */
	u64 tsc_deadline;	/* guest TSC, TSC-deadline mode */
	atomic_t timer_fired;	/* the timer expired: deliver its LVT vector */
};

int rkvm_lapic_create(struct rkvm_vcpu *vcpu);
void rkvm_lapic_free(struct rkvm_vcpu *vcpu);
void rkvm_lapic_reset(struct rkvm_vcpu *vcpu);

bool rkvm_lapic_mmio(struct rkvm_vcpu *vcpu, u64 gpa, bool write, u32 *val,
		     int len);
int rkvm_lapic_msr_read(struct rkvm_vcpu *vcpu, u32 msr, u64 *data);
int rkvm_lapic_msr_write(struct rkvm_vcpu *vcpu, u32 msr, u64 data);
int rkvm_lapic_set_base(struct rkvm_vcpu *vcpu, u64 base, bool host);
u64 rkvm_lapic_get_tscdeadline(struct rkvm_vcpu *vcpu);
void rkvm_lapic_set_tscdeadline(struct rkvm_vcpu *vcpu, u64 data);
void rkvm_lapic_set_tpr(struct rkvm_vcpu *vcpu, u8 cr8);
u8 rkvm_lapic_get_tpr(struct rkvm_vcpu *vcpu);

/* delivery */
void rkvm_vcpu_post_event(struct rkvm_vcpu *vcpu);
bool rkvm_lapic_accepts_pic(struct rkvm_vcpu *vcpu);
bool rkvm_lapic_accept(struct rkvm_vcpu *vcpu, u32 delivery_mode, u8 vector,
		       bool level_trig);
int rkvm_lapic_pending_vector(struct rkvm_vcpu *vcpu);
void rkvm_lapic_ack(struct rkvm_vcpu *vcpu, int vector);
bool rkvm_lapic_match_dest(struct rkvm_vcpu *vcpu, u32 dest, bool logical);
int rkvm_deliver_irq(struct rkvm *kvm, u32 dest, bool logical, u32 mode,
		     u8 vector, bool level_trig, struct rkvm_vcpu *src,
		     int shorthand);
void rkvm_lapic_timer_deliver(struct rkvm_vcpu *vcpu);

int rkvm_get_lapic(struct rkvm_vcpu *vcpu, struct kvm_lapic_state *s);
int rkvm_set_lapic(struct rkvm_vcpu *vcpu, const struct kvm_lapic_state *s);

#endif
