// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel pair of 8259A PICs (master at 0x20/0x21, slave at
 * 0xa0/0xa1 on the master's IRQ 2, ELCR at 0x4d0/0x4d1): the ICW/OCW
 * programming model, edge and level triggering, priorities with rotation,
 * EOI and auto-EOI, poll mode, and the interrupt acknowledge the CPU does
 * when it takes the ExtINT through the BSP's LINT0 (virtual wire).
 *
 * Locking: pic->lock (a spinlock) guards both chips; taken by KVM_IRQ_LINE,
 * the port I/O of any vCPU and the BSP's interrupt acknowledge.
 */
#include <linux/slab.h>
#include <linux/kvm.h>

#include "rkvm.h"
#include "x86/pic.h"
#include "x86/lapic.h"

struct rkvm_pic {
	spinlock_t lock;
	struct kvm_pic_state s[2];	/* master, slave */
	bool output;			/* the master's INT line */
};

/* The highest-priority bit of @mask under chip @c's rotation, or 8. */
static int pic_priority(const struct kvm_pic_state *c, u8 mask)
{
	int p;

	if (!mask)
		return 8;
	for (p = 0; !(mask & (1 << ((p + c->priority_add) & 7))); p++)
		;
	return p;
}

/* The IRQ this chip would raise now, or -1 (SDM of the 8259A: priorities). */
static int pic_pending(const struct kvm_pic_state *c, bool master)
{
	u8 mask = c->irr & ~c->imr, isr = c->isr;
	int p, cur;

	p = pic_priority(c, mask);
	if (p == 8)
		return -1;
	/* special fully nested: the slave's IRQ may interrupt its own service */
	if (master && c->special_fully_nested_mode)
		isr &= ~(1 << 2);
	if (c->special_mask)
		isr &= ~c->imr;
	cur = pic_priority(c, isr);
	return p < cur ? (p + c->priority_add) & 7 : -1;
}

static void pic_set_line(struct kvm_pic_state *c, int irq, bool level)
{
	u8 bit = 1 << irq;

	if (c->elcr & bit) {		/* level triggered */
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level) {		/* edge: the rising edge counts */
		if (!(c->last_irr & bit))
			c->irr |= bit;
	}
	if (level)
		c->last_irr |= bit;
	else
		c->last_irr &= ~bit;
}

/* Recompute the cascade and the master's output; returns the output. */
static bool pic_update(struct rkvm_pic *pic)
{
	pic_set_line(&pic->s[0], 2, pic_pending(&pic->s[1], false) >= 0);
	pic->output = pic_pending(&pic->s[0], true) >= 0;
	return pic->output;
}

static void pic_kick_bsp(struct rkvm *kvm)
{
	int i, n = READ_ONCE(kvm->nr_vcpus);

	for (i = 0; i < n; i++) {
		struct rkvm_vcpu *v = READ_ONCE(kvm->vcpus[i]);

		if (v && v->vcpu_id == kvm->bsp_id)
			rkvm_vcpu_post_event(v);
	}
}

/* Drive IRQ 0-15; returns 1 (KVM reports the line as delivered). */
int rkvm_pic_set_irq(struct rkvm *kvm, u32 irq, bool level)
{
	struct rkvm_pic *pic = kvm->pic;
	bool out;

	if (!pic || irq >= 16)
		return -1;
	spin_lock(&pic->lock);
	pic_set_line(&pic->s[irq >> 3], irq & 7, level);
	out = pic_update(pic);
	spin_unlock(&pic->lock);
	if (out)
		pic_kick_bsp(kvm);
	return 1;
}

bool rkvm_pic_output(struct rkvm *kvm)
{
	return kvm->pic && READ_ONCE(kvm->pic->output);
}

/* The CPU acknowledges the interrupt: IRR to ISR, return the vector. */
static int pic_ack_chip(struct kvm_pic_state *c, int irq)
{
	u8 bit = 1 << irq;

	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_auto_eoi)
		c->priority_add = (irq + 1) & 7;
	if (!(c->elcr & bit))
		c->irr &= ~bit;
	return c->irq_base + irq;
}

int rkvm_pic_ack(struct rkvm *kvm)
{
	struct rkvm_pic *pic = kvm->pic;
	int irq, irq2, vector;

	spin_lock(&pic->lock);
	irq = pic_pending(&pic->s[0], true);
	if (irq < 0) {
		vector = pic->s[0].irq_base + 7;	/* spurious */
	} else if (irq == 2) {
		irq2 = pic_pending(&pic->s[1], false);
		pic_ack_chip(&pic->s[0], 2);
		vector = irq2 < 0 ? pic->s[1].irq_base + 7 :
				    pic_ack_chip(&pic->s[1], irq2);
	} else {
		vector = pic_ack_chip(&pic->s[0], irq);
	}
	pic_update(pic);
	spin_unlock(&pic->lock);
	return vector;
}

static void pic_eoi(struct kvm_pic_state *c, int irq, bool rotate)
{
	c->isr &= ~(1 << irq);
	if (rotate)
		c->priority_add = (irq + 1) & 7;
}

static void pic_write_cmd(struct kvm_pic_state *c, u8 val)
{
	int irq;

	if (val & 0x10) {			/* ICW1 */
		/*
		 * KVM's kvm_pic_reset(): edge detection, IMR, priorities,
		 * special mask and the register select are reset, ICW4's
		 * modes too without an ICW4; a held level-triggered request
		 * stays (the 8259 samples level inputs all the time), and so
		 * do the base, the ISR but for edge requests, and the ELCR.
		 */
		u8 edge = c->irr & ~c->elcr;

		c->init4 = val & 1;
		c->last_irr = 0;
		c->irr &= c->elcr;
		c->isr &= ~edge;
		c->imr = 0;
		c->priority_add = 0;
		c->special_mask = 0;
		c->read_reg_select = 0;
		if (!c->init4) {
			c->special_fully_nested_mode = 0;
			c->auto_eoi = 0;
		}
		c->init_state = 1;
	} else if (val & 0x08) {		/* OCW3 */
		if (val & 0x04)
			c->poll = 1;
		if (val & 0x02)
			c->read_reg_select = val & 1;
		if (val & 0x40)
			c->special_mask = (val >> 5) & 1;
	} else {				/* OCW2 */
		switch (val >> 5) {
		case 0:
		case 4:
			c->rotate_on_auto_eoi = val >> 7;
			break;
		case 1:
		case 5:
			irq = pic_priority(c, c->isr);
			if (irq != 8)
				pic_eoi(c, (irq + c->priority_add) & 7,
					val >> 5 == 5);
			break;
		case 3:
		case 7:
			pic_eoi(c, val & 7, val >> 5 == 7);
			break;
		case 6:
			c->priority_add = (val + 1) & 7;
			break;
		default:
			break;
		}
	}
}

static void pic_write_data(struct kvm_pic_state *c, u8 val)
{
	switch (c->init_state) {
	case 0:					/* OCW1 */
		c->imr = val;
		break;
	case 1:					/* ICW2 */
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2:					/* ICW3 (cascade) */
		c->init_state = c->init4 ? 3 : 0;
		break;
	default:				/* ICW4 */
		c->special_fully_nested_mode = (val >> 4) & 1;
		c->auto_eoi = (val >> 1) & 1;
		c->init_state = 0;
		break;
	}
}

static u8 pic_poll(struct rkvm_pic *pic, int chip)
{
	struct kvm_pic_state *c = &pic->s[chip];
	int irq = pic_pending(c, chip == 0);

	c->poll = 0;
	if (irq < 0)
		return 0;
	pic_ack_chip(c, irq);
	return 0x80 | irq;
}

/* Port I/O to a PIC register: true if it was one (size-1 access). */
bool rkvm_pic_io(struct rkvm *kvm, u16 port, bool in, u8 *val)
{
	struct rkvm_pic *pic = kvm->pic;
	struct kvm_pic_state *c;
	bool out;
	int chip;

	if (!pic)
		return false;
	switch (port) {
	case 0x20: case 0x21: case 0xa0: case 0xa1:
		chip = port >> 7;
		break;
	case 0x4d0: case 0x4d1:
		chip = port & 1;
		break;
	default:
		return false;
	}
	c = &pic->s[chip];
	spin_lock(&pic->lock);
	if (port >= 0x4d0) {
		if (in)
			*val = c->elcr;
		else
			c->elcr = *val & c->elcr_mask;
	} else if (in) {
		if (c->poll)
			*val = pic_poll(pic, chip);
		else if (port & 1)
			*val = c->imr;
		else
			*val = c->read_reg_select ? c->isr : c->irr;
	} else if (port & 1) {
		pic_write_data(c, *val);
	} else {
		pic_write_cmd(c, *val);
	}
	out = pic_update(pic);
	spin_unlock(&pic->lock);
	if (out)
		pic_kick_bsp(kvm);
	return true;
}

void rkvm_pic_get(struct rkvm *kvm, int chip, struct kvm_pic_state *s)
{
	spin_lock(&kvm->pic->lock);
	*s = kvm->pic->s[chip];
	spin_unlock(&kvm->pic->lock);
}

void rkvm_pic_set(struct rkvm *kvm, int chip, const struct kvm_pic_state *s)
{
	struct rkvm_pic *pic = kvm->pic;
	bool out;

	spin_lock(&pic->lock);
	pic->s[chip] = *s;
	pic->s[chip].elcr_mask = chip ? 0xde : 0xf8;
	out = pic_update(pic);
	spin_unlock(&pic->lock);
	if (out)
		pic_kick_bsp(kvm);
}

int rkvm_pic_create(struct rkvm *kvm)
{
	struct rkvm_pic *pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);

	if (!pic)
		return -ENOMEM;
	spin_lock_init(&pic->lock);
	/* ELCR: IRQs 0-2 (master) and 8, 13 (slave) are always edge */
	pic->s[0].elcr_mask = 0xf8;
	pic->s[1].elcr_mask = 0xde;
	kvm->pic = pic;
	return 0;
}

void rkvm_pic_free(struct rkvm *kvm)
{
	kfree(kvm->pic);
	kvm->pic = NULL;
}
