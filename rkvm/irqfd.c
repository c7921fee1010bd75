// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD: an eventfd whose signal pulses a GSI of the
 * in-kernel irqchip, with no exit to userspace. The eventfd's wait queue
 * calls us in whatever context signalled it (often with a spinlock held),
 * so the interrupt is raised from a work item.
 *
 * Locking: kvm->irqfds_lock (a spinlock, taken from the wake-up path too)
 * guards the list; an irqfd leaves the list before it is freed, and its
 * work is flushed first.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/kvm.h>

#include "rkvm.h"

/* injections and shutdowns run here; flushed before a VM is freed */
static struct workqueue_struct *rkvm_irqfd_wq;

struct rkvm_irqfd {
	struct rkvm *kvm;
	struct eventfd_ctx *ctx;
	u32 gsi;
	wait_queue_entry_t wait;
	poll_table pt;
	wait_queue_head_t *wqh;
	struct work_struct inject;
	struct work_struct shutdown;
	struct list_head link;
};

static void rkvm_irqfd_inject(struct work_struct *w)
{
	struct rkvm_irqfd *irqfd = container_of(w, struct rkvm_irqfd, inject);

	/* an edge: assert and release, as KVM does for irqfd without resample */
	rkvm_set_gsi(irqfd->kvm, irqfd->gsi, true);
	rkvm_set_gsi(irqfd->kvm, irqfd->gsi, false);
}

/* Detach from the eventfd and free; never from the wake-up path itself. */
static void rkvm_irqfd_free(struct rkvm_irqfd *irqfd)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(irqfd->ctx, &irqfd->wait, &cnt);
	flush_work(&irqfd->inject);
	eventfd_ctx_put(irqfd->ctx);
	kfree(irqfd);
}

static void rkvm_irqfd_shutdown(struct work_struct *w)
{
	rkvm_irqfd_free(container_of(w, struct rkvm_irqfd, shutdown));
}

static int rkvm_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct rkvm_irqfd *irqfd = container_of(wait, struct rkvm_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct rkvm *kvm = irqfd->kvm;
	unsigned long f;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->ctx, &cnt);
		queue_work(rkvm_irqfd_wq, &irqfd->inject);
	}
	if (flags & EPOLLHUP) {
		/* the eventfd is going away: so does the irqfd */
		spin_lock_irqsave(&kvm->irqfds_lock, f);
		if (!list_empty(&irqfd->link)) {
			list_del_init(&irqfd->link);
			queue_work(rkvm_irqfd_wq, &irqfd->shutdown);
		}
		spin_unlock_irqrestore(&kvm->irqfds_lock, f);
	}
	return 0;
}

static void rkvm_irqfd_ptable(struct file *file, wait_queue_head_t *wqh,
			      poll_table *pt)
{
	struct rkvm_irqfd *irqfd = container_of(pt, struct rkvm_irqfd, pt);

	irqfd->wqh = wqh;
	add_wait_queue_priority(wqh, &irqfd->wait);
}

static int rkvm_irqfd_assign(struct rkvm *kvm, const struct kvm_irqfd *args)
{
	struct rkvm_irqfd *irqfd, *tmp;
	struct eventfd_ctx *ctx;
	struct fd f;
	__poll_t events;
	int r;

	f = fdget(args->fd);
	if (!f.file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(f.file);
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto out;
	}
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd) {
		eventfd_ctx_put(ctx);
		r = -ENOMEM;
		goto out;
	}
	irqfd->kvm = kvm;
	irqfd->ctx = ctx;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->link);
	INIT_WORK(&irqfd->inject, rkvm_irqfd_inject);
	INIT_WORK(&irqfd->shutdown, rkvm_irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, rkvm_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, rkvm_irqfd_ptable);

	spin_lock_irq(&kvm->irqfds_lock);
	list_for_each_entry(tmp, &kvm->irqfds, link) {
		if (tmp->ctx == ctx) {
			/* one eventfd drives one GSI of a VM */
			spin_unlock_irq(&kvm->irqfds_lock);
			eventfd_ctx_put(ctx);
			kfree(irqfd);
			r = -EBUSY;
			goto out;
		}
	}
	list_add_tail(&irqfd->link, &kvm->irqfds);
	spin_unlock_irq(&kvm->irqfds_lock);

	events = vfs_poll(f.file, &irqfd->pt);
	if (events & EPOLLIN)
		queue_work(rkvm_irqfd_wq, &irqfd->inject);	/* signalled before we came */
	r = 0;
out:
	fdput(f);
	return r;
}

static int rkvm_irqfd_deassign(struct rkvm *kvm, const struct kvm_irqfd *args)
{
	struct rkvm_irqfd *irqfd, *tmp, *found = NULL;
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(args->fd);

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	spin_lock_irq(&kvm->irqfds_lock);
	list_for_each_entry_safe(irqfd, tmp, &kvm->irqfds, link) {
		if (irqfd->ctx == ctx && irqfd->gsi == args->gsi) {
			list_del_init(&irqfd->link);
			found = irqfd;
			break;
		}
	}
	spin_unlock_irq(&kvm->irqfds_lock);
	eventfd_ctx_put(ctx);
	if (found)
		rkvm_irqfd_free(found);
	/* KVM succeeds whether or not it was assigned */
	flush_workqueue(rkvm_irqfd_wq);
	return 0;
}

int rkvm_irqfd(struct rkvm *kvm, const struct kvm_irqfd *args)
{
	if (args->flags & ~KVM_IRQFD_FLAG_DEASSIGN)
		return -EINVAL;	/* resampling irqfds: not implemented */
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return rkvm_irqfd_deassign(kvm, args);
	if (!READ_ONCE(kvm->irqchip))
		return -EINVAL;
	if (args->gsi >= 4096)
		return -EINVAL;	/* KVM_MAX_IRQ_ROUTES */
	return rkvm_irqfd_assign(kvm, args);
}

/* VM teardown: every irqfd goes, after its pending work. */
void rkvm_irqfd_release(struct rkvm *kvm)
{
	struct rkvm_irqfd *irqfd, *tmp;
	LIST_HEAD(dead);

	spin_lock_irq(&kvm->irqfds_lock);
	list_splice_init(&kvm->irqfds, &dead);
	spin_unlock_irq(&kvm->irqfds_lock);
	list_for_each_entry_safe(irqfd, tmp, &dead, link) {
		list_del_init(&irqfd->link);
		rkvm_irqfd_free(irqfd);
	}
	/* irqfds whose eventfd hung up are freed by their shutdown work */
	flush_workqueue(rkvm_irqfd_wq);
}

int rkvm_irqfd_init(void)
{
	rkvm_irqfd_wq = alloc_workqueue("rkvm-irqfd", 0, 0);
	return rkvm_irqfd_wq ? 0 : -ENOMEM;
}

void rkvm_irqfd_exit(void)
{
	destroy_workqueue(rkvm_irqfd_wq);
}
