// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (KVM_CREATE_PIT2): three channels at 0x40-0x42,
 * the control word at 0x43 (latch and read-back commands), LSB/MSB access,
 * counts read back from elapsed time at 1.193182 MHz, channel 2's gate and
 * output at port 0x61, and channel 0 wired to GSI 0: an hrtimer per period
 * (modes 2 and 3) or one shot (the others) raises IRQ0 from a work item.
 *
 * Locking: pit->lock (a mutex) guards the channel state; the hrtimer only
 * queues the work that raises the line.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/kvm.h>

#include "rkvm.h"
#include "x86/pit.h"

#define PIT_HZ		1193182ull

struct rkvm_pit {
	struct rkvm *kvm;
	struct mutex lock;
	struct kvm_pit_state2 s;
	struct hrtimer timer;
	u64 period_ns;		/* channel 0, modes 2 and 3 */
	struct work_struct irq0;
};

static u64 pit_ticks_since(const struct kvm_pit_channel_state *c)
{
	s64 ns = ktime_to_ns(ktime_sub(ktime_get(), c->count_load_time));

	return ns < 0 ? 0 : mul_u64_u32_div(ns, PIT_HZ, NSEC_PER_SEC);
}

static u32 pit_reload(const struct kvm_pit_channel_state *c)
{
	return c->count ? c->count : 0x10000;
}

/* The counter's value now (the 8254 counts down from the reload value). */
static u16 pit_count(const struct kvm_pit_channel_state *c)
{
	u64 d = pit_ticks_since(c);
	u32 n = pit_reload(c);

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		return (n - d) & 0xffff;
	case 3:	/* square wave: counts down by two, twice per period */
		return n - ((2 * d) % n);
	default:	/* 2, and 0xff before programming (KVM's default) */
		return n - (d % n);
	}
}

/* The channel's OUT pin now. */
static bool pit_out(const struct kvm_pit_channel_state *c)
{
	u64 d = pit_ticks_since(c);
	u32 n = pit_reload(c);

	switch (c->mode) {
	case 0:
		return d >= n;
	case 1:
		return d < n;
	case 2:
		return (d % n) != 0 || d == 0;
	case 3:
		return (d % n) < ((n + 1) >> 1);
	default:	/* 4, 5: one strobe */
		return d != n;
	}
}

static void pit_irq0_work(struct work_struct *w)
{
	struct rkvm_pit *pit = container_of(w, struct rkvm_pit, irq0);

	rkvm_set_gsi(pit->kvm, 0, true);
	rkvm_set_gsi(pit->kvm, 0, false);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct rkvm_pit *pit = container_of(t, struct rkvm_pit, timer);

	queue_work(system_highpri_wq, &pit->irq0);
	if (pit->period_ns) {
		hrtimer_add_expires_ns(t, pit->period_ns);
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

/*
 * A count was written (or the state restored): start counting now. As
 * KVM's pit_load_count(), a count of 0 is kept as 0x10000, and channel 0
 * raises IRQ 0 once in modes 0, 1 and 4, every period in modes 2 and 3,
 * never otherwise (mode 5, or 0xff: not programmed since the reset).
 */
static void pit_load(struct rkvm_pit *pit, int ch)
{
	struct kvm_pit_channel_state *c = &pit->s.channels[ch];
	u64 ns;

	if (!c->count)
		c->count = 0x10000;
	c->count_load_time = ktime_get();
	if (ch != 0)
		return;
	hrtimer_cancel(&pit->timer);
	pit->period_ns = 0;
	if (c->mode > 4)
		return;
	ns = div_u64((u64)pit_reload(c) * NSEC_PER_SEC, PIT_HZ);
	if (c->mode == 2 || c->mode == 3)
		pit->period_ns = ns = max_t(u64, ns, 50000);	/* a floor */
	hrtimer_start(&pit->timer, ktime_add_ns(c->count_load_time, ns),
		      HRTIMER_MODE_ABS);
}

static void pit_latch_count(struct kvm_pit_channel_state *c)
{
	if (!c->count_latched) {
		c->latched_count = pit_count(c);
		c->count_latched = c->rw_mode;
	}
}

static void pit_control(struct rkvm_pit *pit, u8 val)
{
	int ch = val >> 6, i;
	struct kvm_pit_channel_state *c;

	if (ch == 3) {	/* read-back: bit 5 clear latches counts, bit 4 status */
		for (i = 0; i < 3; i++) {
			c = &pit->s.channels[i];
			if (!(val & (2 << i)))
				continue;
			if (!(val & 0x20))
				pit_latch_count(c);
			if (!(val & 0x10) && !c->status_latched) {
				c->status = (pit_out(c) << 7) | (c->rw_mode << 4) |
					    (c->mode << 1) | c->bcd;
				c->status_latched = 1;
			}
		}
		return;
	}
	c = &pit->s.channels[ch];
	if (!((val >> 4) & 3)) {
		pit_latch_count(c);
		return;
	}
	c->rw_mode = (val >> 4) & 3;
	c->read_state = c->rw_mode;
	c->write_state = c->rw_mode;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are 2 and 3 */
	c->bcd = val & 1;
}

/* read/write states: 1 LSB, 2 MSB, 3 LSB of a word, 4 its MSB */
static void pit_write(struct rkvm_pit *pit, int ch, u8 val)
{
	struct kvm_pit_channel_state *c = &pit->s.channels[ch];

	switch (c->write_state) {
	case 1:
		c->count = val;
		pit_load(pit, ch);
		break;
	case 2:
		c->count = val << 8;
		pit_load(pit, ch);
		break;
	case 3:
		c->write_latch = val;
		c->write_state = 4;
		break;
	default:
		c->count = c->write_latch | (val << 8);
		c->write_state = 3;
		pit_load(pit, ch);
		break;
	}
}

static u8 pit_read(struct kvm_pit_channel_state *c)
{
	u16 v;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latched_count;
		switch (c->count_latched) {
		case 1:
			c->count_latched = 0;
			return v;
		case 2:
			c->count_latched = 0;
			return v >> 8;
		case 3:
			c->count_latched = 4;
			return v;
		default:
			c->count_latched = 0;
			return v >> 8;
		}
	}
	v = pit_count(c);
	switch (c->read_state) {
	case 1:
		return v;
	case 2:
		return v >> 8;
	case 3:
		c->read_state = 4;
		return v;
	default:
		c->read_state = 3;
		return v >> 8;
	}
}

/* Port I/O to the PIT or port 0x61: true if it was one (size 1). */
bool rkvm_pit_io(struct rkvm *kvm, u16 port, bool in, u8 *val)
{
	struct rkvm_pit *pit = kvm->pit;
	struct kvm_pit_channel_state *c2;

	if (!pit || ((port < 0x40 || port > 0x43) && port != 0x61))
		return false;
	mutex_lock(&pit->lock);
	c2 = &pit->s.channels[2];
	if (port == 0x61) {
		/* bit 0 gates channel 2, bit 5 is its output, bit 4 toggles */
		if (in)
			*val = c2->gate | (pit_out(c2) << 5) |
			       ((pit_ticks_since(c2) & 1) << 4) |
			       ((pit->s.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) ? 2 : 0);
		else {
			c2->gate = *val & 1;
			pit->s.flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
			if (*val & 2)
				pit->s.flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
		}
	} else if (port == 0x43) {
		if (in)
			*val = 0xff;	/* the control word is write-only */
		else
			pit_control(pit, *val);
	} else if (in) {
		*val = pit_read(&pit->s.channels[port - 0x40]);
	} else {
		pit_write(pit, port - 0x40, *val);
	}
	mutex_unlock(&pit->lock);
	return true;
}

int rkvm_pit_create(struct rkvm *kvm, const struct kvm_pit_config *cfg)
{
	struct rkvm_pit *pit;
	int i;

	if (cfg->flags & ~KVM_PIT_SPEAKER_DUMMY)
		return -EINVAL;
	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return -ENOMEM;
	pit->kvm = kvm;
	mutex_init(&pit->lock);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	INIT_WORK(&pit->irq0, pit_irq0_work);
	/* KVM's kvm_pit_reset(): mode 0xff until programmed, count 0x10000 */
	for (i = 0; i < 3; i++) {
		pit->s.channels[i].gate = i != 2;
		pit->s.channels[i].mode = 0xff;
		pit->s.channels[i].count = 0x10000;
		pit->s.channels[i].count_load_time = ktime_get();
	}
	mutex_lock(&kvm->lock);
	if (kvm->pit) {
		mutex_unlock(&kvm->lock);
		kfree(pit);
		return -EEXIST;
	}
	kvm->pit = pit;
	mutex_unlock(&kvm->lock);
	return 0;
}

void rkvm_pit_free(struct rkvm *kvm)
{
	struct rkvm_pit *pit = kvm->pit;

	if (!pit)
		return;
	hrtimer_cancel(&pit->timer);
	cancel_work_sync(&pit->irq0);
	kfree(pit);
	kvm->pit = NULL;
}

int rkvm_pit_get(struct rkvm *kvm, struct kvm_pit_state2 *s)
{
	struct rkvm_pit *pit = kvm->pit;

	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	*s = pit->s;
	mutex_unlock(&pit->lock);
	return 0;
}

int rkvm_pit_set(struct rkvm *kvm, const struct kvm_pit_state2 *s)
{
	struct rkvm_pit *pit = kvm->pit;
	int i;

	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit->s = *s;
	for (i = 0; i < 3; i++)
		pit_load(pit, i);	/* counting restarts from the count */
	mutex_unlock(&pit->lock);
	return 0;
}
