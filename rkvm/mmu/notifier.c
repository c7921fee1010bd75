// SPDX-License-Identifier: GPL-2.0
/*
 * MMU notifiers: when the host unmaps, migrates,
 * reclaims, merges or frees a page of the VM owner's address space, the
 * EPT entries of every guest frame backed by it are zapped first (and the
 * TLBs flushed), so the guest sees the new contents on its next access and
 * no page is ever pinned. A sequence number tells the fault path that an
 * invalidation ran while it was looking a page up.
 */
#include <linux/mmu_notifier.h>
#include <linux/mm.h>

#include "rkvm.h"

static struct rkvm *mn_to_kvm(struct mmu_notifier *mn)
{
	return container_of(mn, struct rkvm, mmu_notifier);
}

/* Zap the guest frames that [start, end) of host virtual memory backs. */
static bool rkvm_zap_hva_range_locked(struct rkvm *kvm, unsigned long start,
				      unsigned long end, struct list_head *freed)
{
	struct rkvm_memslots *slots;
	bool changed = false;
	int i, idx;

	idx = srcu_read_lock(&kvm->srcu);
	slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	for (i = 0; i < slots->nr; i++) {
		const struct rkvm_memslot *s = &slots->slots[i];
		unsigned long s_end = s->userspace_addr + (s->npages << PAGE_SHIFT);
		unsigned long a = max(start, s->userspace_addr);
		unsigned long b = min(end, s_end);

		if (a >= b)
			continue;
		changed |= rkvm_ept_zap_range_locked(kvm,
			s->base_gfn + ((a - s->userspace_addr) >> PAGE_SHIFT),
			s->base_gfn + ((b - s->userspace_addr + PAGE_SIZE - 1) >>
				       PAGE_SHIFT), freed);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return changed;
}

static int rkvm_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct rkvm *kvm = mn_to_kvm(mn);
	LIST_HEAD(freed);
	bool changed;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&kvm->mmu_lock);
	else if (!mutex_trylock(&kvm->mmu_lock))
		return -EAGAIN;
	atomic_inc(&kvm->mmu_invalidate_in_progress);
	changed = rkvm_zap_hva_range_locked(kvm, range->start, range->end,
					    &freed);
	mutex_unlock(&kvm->mmu_lock);
	if (changed)
		rkvm_flush_remote_tlbs(kvm);
	rkvm_ept_free_tables(&freed);
	return 0;
}

static void rkvm_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct rkvm *kvm = mn_to_kvm(mn);

	/*
	 * No lock: this may run where sleeping is not allowed. The sequence
	 * moves before the in-progress count drops, so a fault that sees the
	 * count at zero also sees the new sequence and retries.
	 */
	atomic_long_inc(&kvm->mmu_invalidate_seq);
	/* the sequence before the count: pairs with the fault's smp_rmb() */
	smp_mb__before_atomic();
	atomic_dec(&kvm->mmu_invalidate_in_progress);
}

static void rkvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rkvm *kvm = mn_to_kvm(mn);
	LIST_HEAD(freed);
	bool changed;

	/* the address space is going away: nothing of it may stay mapped */
	mutex_lock(&kvm->mmu_lock);
	changed = rkvm_ept_zap_range_locked(kvm, 0, ~0ull, &freed);
	atomic_long_inc(&kvm->mmu_invalidate_seq);
	mutex_unlock(&kvm->mmu_lock);
	if (changed)
		rkvm_flush_remote_tlbs(kvm);
	rkvm_ept_free_tables(&freed);
}

static const struct mmu_notifier_ops rkvm_mmu_notifier_ops = {
	.invalidate_range_start	= rkvm_mn_invalidate_range_start,
	.invalidate_range_end	= rkvm_mn_invalidate_range_end,
	.release		= rkvm_mn_release,
};

int rkvm_mmu_notifier_register(struct rkvm *kvm)
{
	kvm->mmu_notifier.ops = &rkvm_mmu_notifier_ops;
	return mmu_notifier_register(&kvm->mmu_notifier, current->mm);
}

void rkvm_mmu_notifier_unregister(struct rkvm *kvm)
{
	mmu_notifier_unregister(&kvm->mmu_notifier, kvm->mm);
}
