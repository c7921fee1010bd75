// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel I/O APIC: pins asserted by
 * KVM_IRQ_LINE, edge and level semantics (remote IRR, re-delivery after
 * EOI while the line stays asserted), the indirect register window at
 * IOREGSEL/IOWIN, and messages to the local APICs.
 */
#include <linux/slab.h>
#include <linux/kvm.h>
#include <asm/apicdef.h>

#include "rkvm.h"
#include "x86/ioapic.h"
#include "x86/lapic.h"

#define IOAPIC_PINS		KVM_IOAPIC_NUM_PINS
#define IOAPIC_VERSION		(0x11 | ((IOAPIC_PINS - 1) << 16))
#define IOAPIC_REG_SELECT	0x00
#define IOAPIC_REG_WINDOW	0x10

/* redirection entry bits */
#define RTE_VECTOR(e)		((e) & 0xff)
#define RTE_DELIVERY(e)		(((e) >> 8) & 7)
#define RTE_LOGICAL		(1ull << 11)
#define RTE_REMOTE_IRR		(1ull << 14)
#define RTE_LEVEL		(1ull << 15)
#define RTE_MASKED		(1ull << 16)
#define RTE_DEST(e)		((u32)((e) >> 56))
/* all but delivery status (bit 12) and remote IRR (bit 14) */
#define RTE_WRITABLE		(0xff000000000000ffull | 0x700ull | \
				 RTE_LOGICAL | (1ull << 13) | RTE_LEVEL | \
				 RTE_MASKED)

/*
 * Send pin @pin's message; caller holds the lock. Returns the APICs that
 * took it, -1 if none was named.
 */
static int ioapic_deliver(struct rkvm *kvm, int pin)
{
	u64 *e = &kvm->ioapic->s.redirtbl[pin].bits;

	if (*e & RTE_MASKED)
		return -1;
	if (*e & RTE_LEVEL)
		*e |= RTE_REMOTE_IRR;
	else
		kvm->ioapic->irr_delivered |= 1u << pin;
	return rkvm_deliver_irq(kvm, RTE_DEST(*e), *e & RTE_LOGICAL,
				RTE_DELIVERY(*e) << 8, RTE_VECTOR(*e),
				*e & RTE_LEVEL, NULL, 0);
}

/* rkvm_ioapic_set_irq() with the lock held */
static int ioapic_set_irq(struct rkvm *kvm, u32 pin, bool level)
{
	struct rkvm_ioapic *io = kvm->ioapic;
	u32 bit = 1u << pin;
	int ret = 0;
	u64 e;

	e = io->s.redirtbl[pin].bits;
	if (e & RTE_LEVEL) {
		if (level) {
			io->s.irr |= bit;
			if (!(e & RTE_REMOTE_IRR))
				ret = ioapic_deliver(kvm, pin);
		} else {
			io->s.irr &= ~bit;
			ret = 1;
		}
	} else {
		if (level && !(io->s.irr & bit)) {
			io->irr_delivered &= ~bit;
			ret = ioapic_deliver(kvm, pin);
		} else if (!level) {
			ret = 1;
		}
		if (level)
			io->s.irr |= bit;
		else
			io->s.irr &= ~bit;
	}
	return ret;
}

/*
 * Drive a pin. Returns what KVM_IRQ_LINE_STATUS reports: the APICs that
 * took the interrupt, 0 if it coalesced with one pending, -1 if masked or
 * no APIC was named.
 */
int rkvm_ioapic_set_irq(struct rkvm *kvm, u32 pin, bool level)
{
	struct rkvm_ioapic *io = kvm->ioapic;
	int ret;

	if (!io)
		return -1;
	spin_lock(&io->lock);
	ret = ioapic_set_irq(kvm, pin, level);
	spin_unlock(&io->lock);
	return ret;
}

/* A local APIC EOIed a level-triggered @vector. */
void rkvm_ioapic_eoi(struct rkvm *kvm, int vector)
{
	struct rkvm_ioapic *io = kvm->ioapic;
	int pin;

	if (!io)
		return;
	spin_lock(&io->lock);
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 *e = &io->s.redirtbl[pin].bits;

		if (RTE_VECTOR(*e) != vector || !(*e & RTE_LEVEL))
			continue;
		*e &= ~RTE_REMOTE_IRR;
		/* still asserted: it fires again */
		if (io->s.irr & (1u << pin))
			ioapic_deliver(kvm, pin);
	}
	spin_unlock(&io->lock);
}

static u32 ioapic_read_indirect(struct rkvm_ioapic *io)
{
	u32 sel = io->s.ioregsel;

	switch (sel) {
	case 0x00:
		return io->s.id << 24;
	case 0x01:
	case 0x02:
		return IOAPIC_VERSION;
	default:
		if (sel >= 0x10 && sel < 0x10 + 2 * IOAPIC_PINS) {
			u64 e = io->s.redirtbl[(sel - 0x10) / 2].bits;

			return (sel & 1) ? e >> 32 : (u32)e;
		}
		return 0xffffffff;
	}
}

static void ioapic_write_indirect(struct rkvm *kvm, u32 val)
{
	struct rkvm_ioapic *io = kvm->ioapic;
	u32 sel = io->s.ioregsel, pin;
	u64 *e, old;

	if (sel == 0x00) {
		io->s.id = (val >> 24) & 0xf;
		return;
	}
	if (sel < 0x10 || sel >= 0x10 + 2 * IOAPIC_PINS)
		return;
	pin = (sel - 0x10) / 2;
	e = &io->s.redirtbl[pin].bits;
	old = *e;
	if (sel & 1)
		*e = (old & 0xffffffffull) | ((u64)val << 32);
	else
		*e = (old & ~0xffffffffull) | val;
	*e = (*e & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
	if (!(*e & RTE_LEVEL))
		*e &= ~RTE_REMOTE_IRR;
	/* unmasking a level pin that is asserted delivers it */
	if ((*e & RTE_LEVEL) && !(*e & RTE_MASKED) && !(*e & RTE_REMOTE_IRR) &&
	    (io->s.irr & (1u << pin)))
		ioapic_deliver(kvm, pin);
}

bool rkvm_ioapic_mmio(struct rkvm *kvm, u64 gpa, bool write, u32 *val,
		      int len)
{
	struct rkvm_ioapic *io = kvm->ioapic;
	u64 base;
	u32 off;

	if (!io)
		return false;
	base = io->s.base_address;
	if (gpa < base || gpa >= base + 0x100)
		return false;
	off = gpa - base;
	spin_lock(&io->lock);
	if (write) {
		if (off == IOAPIC_REG_SELECT)
			io->s.ioregsel = *val & 0xff;
		else if (off == IOAPIC_REG_WINDOW && len == 4)
			ioapic_write_indirect(kvm, *val);
		/* version 0x11 has no EOI register: other writes are dropped */
	} else {
		*val = off == IOAPIC_REG_SELECT ? io->s.ioregsel :
		       off == IOAPIC_REG_WINDOW ? ioapic_read_indirect(io) : 0;
	}
	spin_unlock(&io->lock);
	return true;
}

/* As KVM's kvm_get_ioapic(): irr without the edges already delivered. */
void rkvm_ioapic_get(struct rkvm *kvm, struct kvm_ioapic_state *s)
{
	spin_lock(&kvm->ioapic->lock);
	*s = kvm->ioapic->s;
	s->irr &= ~kvm->ioapic->irr_delivered;
	spin_unlock(&kvm->ioapic->lock);
}

/*
 * As KVM's kvm_set_ioapic(): the table as given, then every line in irr
 * asserted afresh, so an unmasked edge or a level pin without remote IRR
 * delivers now.
 */
void rkvm_ioapic_set(struct rkvm *kvm, const struct kvm_ioapic_state *s)
{
	struct rkvm_ioapic *io = kvm->ioapic;
	unsigned long irr = s->irr;
	int pin;

	spin_lock(&io->lock);
	io->s = *s;
	io->s.pad = 0;
	io->s.irr = 0;
	io->irr_delivered = 0;
	for_each_set_bit(pin, &irr, IOAPIC_PINS)
		ioapic_set_irq(kvm, pin, true);
	spin_unlock(&io->lock);
}

int rkvm_ioapic_create(struct rkvm *kvm)
{
	struct rkvm_ioapic *io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	int pin;

	if (!io)
		return -ENOMEM;
	spin_lock_init(&io->lock);
	io->s.base_address = RKVM_IOAPIC_DEFAULT_BASE;
	for (pin = 0; pin < IOAPIC_PINS; pin++)
		io->s.redirtbl[pin].bits = RTE_MASKED;
	kvm->ioapic = io;
	return 0;
}

void rkvm_ioapic_free(struct rkvm *kvm)
{
	kfree(kvm->ioapic);
	kvm->ioapic = NULL;
}
