/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel I/O APIC (82093AA): 24 pins and their
 * redirection table, at 0xfec00000.
 */
#ifndef RKVM_X86_IOAPIC_H
#define RKVM_X86_IOAPIC_H

#include <linux/spinlock.h>
#include <linux/kvm.h>
#include "rkvm.h"

#define RKVM_IOAPIC_DEFAULT_BASE	0xfec00000ull

struct rkvm_ioapic {
	spinlock_t lock;	/* the whole state; taken from any thread */
	struct kvm_ioapic_state s;
	/* edge pins whose asserted line was delivered (KVM's irr_delivered) */
	u32 irr_delivered;
};

int rkvm_ioapic_create(struct rkvm *kvm);
void rkvm_ioapic_free(struct rkvm *kvm);
int rkvm_ioapic_set_irq(struct rkvm *kvm, u32 pin, bool level);
void rkvm_ioapic_eoi(struct rkvm *kvm, int vector);
bool rkvm_ioapic_mmio(struct rkvm *kvm, u64 gpa, bool write, u32 *val,
		      int len);
void rkvm_ioapic_get(struct rkvm *kvm, struct kvm_ioapic_state *s);
void rkvm_ioapic_set(struct rkvm *kvm, const struct kvm_ioapic_state *s);

#endif
