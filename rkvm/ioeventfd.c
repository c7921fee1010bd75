// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: a guest write to a port or an MMIO
 * address (optionally of one length and value) signals an eventfd and goes
 * back to the guest, with no exit to userspace: virtio's doorbells.
 *
 * Locking: kvm->ioeventfds is an RCU list; writers hold kvm->lock, the
 * exit paths read it under rcu_read_lock().
 */
#include <linux/eventfd.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/kvm.h>

#include "rkvm.h"

struct rkvm_ioeventfd {
	struct list_head link;
	struct rcu_head rcu;
	struct eventfd_ctx *ctx;
	u64 addr;
	u64 datamatch;
	u32 len;		/* 0: any length */
	bool pio;
	bool wildcard;		/* no datamatch */
};

static bool rkvm_ioeventfd_same(const struct rkvm_ioeventfd *p,
				const struct kvm_ioeventfd *a)
{
	bool pio = a->flags & KVM_IOEVENTFD_FLAG_PIO;
	bool wild = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);

	return p->addr == a->addr && p->len == a->len && p->pio == pio &&
	       (p->wildcard || wild || p->datamatch == a->datamatch);
}

static int rkvm_ioeventfd_assign(struct rkvm *kvm, const struct kvm_ioeventfd *a)
{
	struct rkvm_ioeventfd *p, *n;
	struct eventfd_ctx *ctx;
	int r = 0;

	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	if (!n) {
		eventfd_ctx_put(ctx);
		return -ENOMEM;
	}
	n->ctx = ctx;
	n->addr = a->addr;
	n->len = a->len;
	n->pio = a->flags & KVM_IOEVENTFD_FLAG_PIO;
	n->wildcard = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	n->datamatch = a->datamatch;

	mutex_lock(&kvm->lock);
	list_for_each_entry(p, &kvm->ioeventfds, link) {
		if (rkvm_ioeventfd_same(p, a)) {
			r = -EEXIST;
			break;
		}
	}
	if (!r)
		list_add_tail_rcu(&n->link, &kvm->ioeventfds);
	mutex_unlock(&kvm->lock);
	if (r) {
		eventfd_ctx_put(ctx);
		kfree(n);
	}
	return r;
}

static void rkvm_ioeventfd_free(struct rcu_head *h)
{
	struct rkvm_ioeventfd *p = container_of(h, struct rkvm_ioeventfd, rcu);

	eventfd_ctx_put(p->ctx);
	kfree(p);
}

static int rkvm_ioeventfd_deassign(struct rkvm *kvm,
				   const struct kvm_ioeventfd *a)
{
	bool wild = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	struct rkvm_ioeventfd *p, *tmp;
	struct eventfd_ctx *ctx;
	int r = -ENOENT;

	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&kvm->lock);
	list_for_each_entry_safe(p, tmp, &kvm->ioeventfds, link) {
		if (p->ctx != ctx || p->addr != a->addr || p->len != a->len ||
		    p->pio != !!(a->flags & KVM_IOEVENTFD_FLAG_PIO) ||
		    p->wildcard != wild || (!wild && p->datamatch != a->datamatch))
			continue;
		list_del_rcu(&p->link);
		call_rcu(&p->rcu, rkvm_ioeventfd_free);
		r = 0;
		break;
	}
	mutex_unlock(&kvm->lock);
	eventfd_ctx_put(ctx);
	return r;
}

int rkvm_ioeventfd(struct rkvm *kvm, const struct kvm_ioeventfd *a)
{
	if (a->flags & ~(KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO |
			 KVM_IOEVENTFD_FLAG_DEASSIGN))
		return -EINVAL;	/* including VIRTIO_CCW_NOTIFY: not on x86 */
	if (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 &&
	    a->len != 8)
		return -EINVAL;
	if (a->addr + a->len < a->addr)
		return -EINVAL;
	/* a length-less doorbell cannot compare data */
	if (!a->len && (a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	if (a->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return rkvm_ioeventfd_deassign(kvm, a);
	return rkvm_ioeventfd_assign(kvm, a);
}

/*
 * A guest write of @len bytes of @val at @addr (a port if @pio): signal
 * the matching eventfd and return true, or return false to go on to
 * userspace.
 */
bool rkvm_ioeventfd_write(struct rkvm *kvm, bool pio, u64 addr, u32 len,
			  u64 val)
{
	struct rkvm_ioeventfd *p;
	bool hit = false;

	if (list_empty(&kvm->ioeventfds))
		return false;
	if (len < 8)
		val &= (1ull << (len * 8)) - 1;
	rcu_read_lock();
	list_for_each_entry_rcu(p, &kvm->ioeventfds, link) {
		if (p->pio != pio || p->addr != addr || (p->len && p->len != len))
			continue;
		if (!p->wildcard && p->datamatch != val)
			continue;
		eventfd_signal(p->ctx, 1);
		hit = true;
		break;
	}
	rcu_read_unlock();
	return hit;
}

void rkvm_ioeventfd_release(struct rkvm *kvm)
{
	struct rkvm_ioeventfd *p, *tmp;

	list_for_each_entry_safe(p, tmp, &kvm->ioeventfds, link) {
		list_del(&p->link);
		eventfd_ctx_put(p->ctx);
		kfree(p);
	}
}
