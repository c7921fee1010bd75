// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing: where KVM_IRQ_LINE and irqfds send an interrupt. The default
 * is KVM's: GSIs 0-15 go to the PICs and to the IOAPIC's pins 0-15, GSIs
 * 16-23 to the IOAPIC alone. KVM_SET_GSI_ROUTING replaces it with
 * userspace's table of PIC/IOAPIC pins and MSI messages; KVM_SIGNAL_MSI
 * sends one message directly.
 *
 * Locking: the table is RCU-published; writers hold kvm->lock.
 */
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>
#include <linux/kvm.h>
#include <asm/apicdef.h>

#include "rkvm.h"
#include "x86/ioapic.h"
#include "x86/lapic.h"
#include "x86/pic.h"

#define RKVM_MAX_IRQ_ROUTES	4096	/* KVM_MAX_IRQ_ROUTES */

struct rkvm_irq_routes {
	struct rcu_head rcu;
	u32 nr;
	struct kvm_irq_routing_entry e[];
};

/* An MSI as the local APICs see it (address 0xfeeXXXXX, data) */
static int rkvm_deliver_msi(struct rkvm *kvm, u32 addr_lo, u32 data)
{
	return rkvm_deliver_irq(kvm, (addr_lo >> 12) & 0xff, addr_lo & 4,
				data & APIC_DM_FIXED_MASK, data & 0xff,
				data & APIC_INT_LEVELTRIG, NULL, 0);
}

/* Combine per-route results as KVM does: any delivery counts. */
static int rkvm_merge_status(int ret, int r)
{
	if (r < 0)
		return ret;
	return ret < 0 ? r : ret + r;
}

/* Raise or lower @gsi; returns KVM_IRQ_LINE_STATUS's status. */
int rkvm_set_gsi(struct rkvm *kvm, u32 gsi, bool level)
{
	struct rkvm_irq_routes *rt;
	int i, ret = -1;

	/* a PIT or irqfd work item on a VM without an irqchip reaches nothing */
	if (!READ_ONCE(kvm->irqchip))
		return -1;
	rcu_read_lock();
	rt = rcu_dereference(kvm->irq_routes);
	if (!rt) {
		/* KVM's default table: GSIs 0-15 on both PICs and the IOAPIC */
		rcu_read_unlock();
		if (gsi < 16)
			ret = rkvm_merge_status(ret, rkvm_pic_set_irq(kvm, gsi, level));
		if (gsi < KVM_IOAPIC_NUM_PINS)
			ret = rkvm_merge_status(ret,
				rkvm_ioapic_set_irq(kvm, gsi, level));
		return ret;
	}
	for (i = 0; i < rt->nr; i++) {
		const struct kvm_irq_routing_entry *e = &rt->e[i];

		if (e->gsi != gsi)
			continue;
		if (e->type == KVM_IRQ_ROUTING_IRQCHIP &&
		    e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
			ret = rkvm_merge_status(ret,
				rkvm_ioapic_set_irq(kvm, e->u.irqchip.pin, level));
		else if (e->type == KVM_IRQ_ROUTING_IRQCHIP)
			ret = rkvm_merge_status(ret,
				rkvm_pic_set_irq(kvm, e->u.irqchip.irqchip * 8 +
						 e->u.irqchip.pin, level));
		else if (e->type == KVM_IRQ_ROUTING_MSI && level)
			ret = rkvm_merge_status(ret,
				rkvm_deliver_msi(kvm, e->u.msi.address_lo,
						 e->u.msi.data));
	}
	rcu_read_unlock();
	return ret;
}

static int rkvm_route_valid(const struct kvm_irq_routing_entry *e)
{
	if (e->gsi >= RKVM_MAX_IRQ_ROUTES || e->flags)
		return -EINVAL;
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (e->u.irqchip.irqchip >= KVM_NR_IRQCHIPS)
			return -EINVAL;
		if (e->u.irqchip.pin >= (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC ?
					 KVM_IOAPIC_NUM_PINS : 8))
			return -EINVAL;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		return 0;
	default:
		return -EINVAL;
	}
}

static void rkvm_routes_free(struct rcu_head *h)
{
	kvfree(container_of(h, struct rkvm_irq_routes, rcu));
}

int rkvm_set_gsi_routing(struct rkvm *kvm, struct kvm_irq_routing __user *arg)
{
	struct rkvm_irq_routes *rt, *old;
	struct kvm_irq_routing hdr;
	int i, j, r;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (!READ_ONCE(kvm->irqchip) || hdr.nr > RKVM_MAX_IRQ_ROUTES ||
	    hdr.flags)
		return -EINVAL;
	rt = kvzalloc(struct_size(rt, e, hdr.nr), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return -ENOMEM;
	rt->nr = hdr.nr;
	r = -EFAULT;
	if (copy_from_user(rt->e, arg->entries, hdr.nr * sizeof(rt->e[0])))
		goto free;
	for (i = 0; i < rt->nr; i++) {
		r = rkvm_route_valid(&rt->e[i]);
		if (r)
			goto free;
		/* one route per irqchip for a GSI */
		for (j = 0; j < i; j++) {
			if (rt->e[j].gsi == rt->e[i].gsi &&
			    rt->e[j].type == KVM_IRQ_ROUTING_IRQCHIP &&
			    rt->e[i].type == KVM_IRQ_ROUTING_IRQCHIP &&
			    rt->e[j].u.irqchip.irqchip == rt->e[i].u.irqchip.irqchip) {
				r = -EINVAL;
				goto free;
			}
		}
	}
	mutex_lock(&kvm->lock);
	old = rcu_dereference_protected(kvm->irq_routes,
					lockdep_is_held(&kvm->lock));
	rcu_assign_pointer(kvm->irq_routes, rt);
	mutex_unlock(&kvm->lock);
	if (old)
		call_rcu(&old->rcu, rkvm_routes_free);
	return 0;
free:
	kvfree(rt);
	return r;
}

int rkvm_signal_msi(struct rkvm *kvm, const struct kvm_msi *msi)
{
	if (!READ_ONCE(kvm->irqchip) || msi->flags)
		return -EINVAL;
	/* KVM returns the delivery count, -1 when no APIC was named */
	return rkvm_deliver_msi(kvm, msi->address_lo, msi->data);
}

void rkvm_irq_routing_free(struct rkvm *kvm)
{
	kvfree(rcu_dereference_protected(kvm->irq_routes, 1));
}
