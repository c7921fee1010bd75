// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's EPT tables: one range walker that serves
 * zapping and teardown, the walk to a 4 KiB entry that serves mapping, the
 * EPT-violation handler that maps a guest page from its memslot (logging it
 * when the slot logs dirty pages), and remote TLB invalidation. Every present leaf holds one reference on its page.
 *
 * Locking: kvm->mmu_lock (a mutex) serialises all changes to the tables;
 * the fault path holds kvm->srcu for its memslot lookup, and slot updates
 * zap only after synchronize_srcu(), so no entry from a dead slot survives.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/smp.h>
#include <asm/io.h>
#include <asm/pgtable.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "mmu/ept_bits.h"
#include "x86/emulate.h"

/* EPT-violation exit qualification (SDM Vol. 3 Table 28-7) */
#define EPTQ_WRITE	(1ul << 1)
#define EPTQ_FETCH	(1ul << 2)

int rkvm_ept_init(struct rkvm *kvm)
{
	u64 *root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (!root)
		return -ENOMEM;
	kvm->ept_pages++;
	kvm->ept_root_pa = __pa(root);
	kvm->eptp = rkvm_make_eptp(kvm->ept_root_pa, rkvm_vmx.has_ept_ad);
	return 0;
}

/* The guest may have written a page it could write: tell the host. */
static void rkvm_ept_leaf_dirty(u64 pte)
{
	if ((pte & EPTE_W) && !rkvm_ept_is_mmio(pte))
		set_page_dirty(pfn_to_page((pte & EPTE_ADDR_MASK) >> PAGE_SHIFT));
}

static void rkvm_ept_drop_leaf(u64 *pte)
{
	rkvm_ept_leaf_dirty(*pte);
	*pte = 0;
}

/* What the range walker does to the leaves it visits. */
enum rkvm_ept_op {
	RKVM_EPT_ZAP,		/* drop leaves, free tables the range covers */
	RKVM_EPT_WRPROT,	/* clear W so the next write faults */
};

/*
 * The one walker over [start, end) (guest frame numbers) below @table at
 * @level: zap, teardown and dirty-log write protection all go through it,
 * so they agree on the table format. Returns whether an entry changed.
 */
static bool rkvm_ept_walk_range(struct rkvm *kvm, u64 *table, int level,
				u64 base, u64 start, u64 end,
				enum rkvm_ept_op op, struct list_head *freed)
{
	u64 span = rkvm_ept_span(level);
	u64 last = base + EPT_ENTRIES * span - 1;
	bool changed = false;
	int i, first_i, last_i;

	/* only the entries that overlap [start, end) */
	if (start > last || end <= base)
		return false;
	first_i = start > base ? (start - base) / span : 0;
	last_i = end - 1 < last ? (end - 1 - base) / span : EPT_ENTRIES - 1;
	for (i = first_i; i <= last_i; i++) {
		u64 g = base + i * span;
		u64 *pte = &table[i];

		if (!rkvm_ept_present(*pte))
			continue;
		if (rkvm_ept_is_leaf(*pte, level)) {
			if (op == RKVM_EPT_ZAP) {
				/* a 2 MiB leaf only partly in range goes whole */
				if (level > 1)
					kvm->pages_2m--;
				else if (!rkvm_ept_is_mmio(*pte))
					kvm->pages_4k--;
				rkvm_ept_drop_leaf(pte);
				changed = true;
			} else if ((*pte & EPTE_W) && !rkvm_ept_is_mmio(*pte)) {
				rkvm_ept_leaf_dirty(*pte);
				*pte &= ~EPTE_W;
				changed = true;
			}
			continue;
		}
		changed |= rkvm_ept_walk_range(kvm, __va(*pte & EPTE_ADDR_MASK),
					       level - 1, g, start, end, op, freed);
		if (op == RKVM_EPT_ZAP && g >= start && g + span <= end) {
			/*
			 * A CPU in guest mode may still walk this table from
			 * its paging-structure caches: it is freed only after
			 * the TLB flush that follows (rkvm_ept_free_tables).
			 */
			list_add(&pfn_to_page((*pte & EPTE_ADDR_MASK) >> PAGE_SHIFT)->lru,
				 freed);
			kvm->ept_pages--;
			*pte = 0;
			changed = true;
		}
	}
	return changed;
}

/*
 * Make every CPU that may cache this VM's translations drop them before
 * its next guest instruction: vCPUs compare tlb_gen at each entry, and the
 * IPI forces those in guest mode out (external-interrupt exiting).
 */
static void rkvm_kick_ack(void *unused)
{
}

void rkvm_flush_remote_tlbs(struct rkvm *kvm)
{
	atomic64_inc(&kvm->tlb_gen);
	on_each_cpu(rkvm_kick_ack, NULL, 1);
}

/*
 * Zap [start, end); the caller holds mmu_lock, and after unlocking it
 * flushes if this returned true, then frees @freed (rkvm_ept_free_tables).
 */
bool rkvm_ept_zap_range_locked(struct rkvm *kvm, u64 gfn_start, u64 gfn_end,
			       struct list_head *freed)
{
	return rkvm_ept_walk_range(kvm, __va(kvm->ept_root_pa), EPT_LEVELS, 0,
				   gfn_start, gfn_end, RKVM_EPT_ZAP, freed);
}

void rkvm_ept_free_tables(struct list_head *freed)
{
	struct page *p, *tmp;

	list_for_each_entry_safe(p, tmp, freed, lru) {
		list_del(&p->lru);
		__free_page(p);
	}
}

void rkvm_ept_zap_range(struct rkvm *kvm, u64 gfn_start, u64 gfn_end)
{
	LIST_HEAD(freed);
	bool changed;

	mutex_lock(&kvm->mmu_lock);
	changed = rkvm_ept_zap_range_locked(kvm, gfn_start, gfn_end, &freed);
	mutex_unlock(&kvm->mmu_lock);
	if (changed)
		rkvm_flush_remote_tlbs(kvm);
	rkvm_ept_free_tables(&freed);
}

/* Write-protect [start, end); the caller holds mmu_lock and flushes. */
bool rkvm_ept_wrprot_range_locked(struct rkvm *kvm, u64 gfn_start,
				  u64 gfn_end)
{
	return rkvm_ept_walk_range(kvm, __va(kvm->ept_root_pa), EPT_LEVELS, 0,
				   gfn_start, gfn_end, RKVM_EPT_WRPROT, NULL);
}

void rkvm_ept_destroy(struct rkvm *kvm)
{
	if (!kvm->ept_root_pa)
		return;
	LIST_HEAD(freed);

	/* no vCPU is left: nothing can be walking the tables */
	mutex_lock(&kvm->mmu_lock);
	rkvm_ept_walk_range(kvm, __va(kvm->ept_root_pa), EPT_LEVELS, 0, 0,
			    ~0ull, RKVM_EPT_ZAP, &freed);
	mutex_unlock(&kvm->mmu_lock);
	rkvm_ept_free_tables(&freed);
	free_page((unsigned long)__va(kvm->ept_root_pa));
	kvm->ept_pages--;
	kvm->ept_root_pa = 0;
}

/* Fill the vCPU's cache with the table pages one walk may need. */
static int rkvm_topup_table_cache(struct rkvm_vcpu *vcpu)
{
	while (vcpu->pt_cache_n < ARRAY_SIZE(vcpu->pt_cache)) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		vcpu->pt_cache[vcpu->pt_cache_n++] = p;
	}
	return 0;
}

void rkvm_free_table_cache(struct rkvm_vcpu *vcpu)
{
	while (vcpu->pt_cache_n)
		free_page((unsigned long)vcpu->pt_cache[--vcpu->pt_cache_n]);
}

/*
 * Walk to the entry of @gfn at @target level (1: 4 KiB, 2: 2 MiB), building
 * missing tables from the cache. A 2 MiB leaf in the way of a 4 KiB mapping
 * is split the simple way: dropped, so that its other frames fault back in
 * at 4 KiB (*flush tells the caller to flush before returning to the guest).
 */
static u64 *rkvm_ept_walk_alloc(struct rkvm_vcpu *vcpu, u64 gfn, int target,
				bool *flush)
{
	struct rkvm *kvm = vcpu->kvm;
	u64 *table = __va(kvm->ept_root_pa);
	int level;

	for (level = EPT_LEVELS; level > target; level--) {
		u64 *pte = &table[rkvm_ept_index(gfn, level)];

		if (rkvm_ept_present(*pte) && rkvm_ept_is_leaf(*pte, level)) {
			rkvm_ept_drop_leaf(pte);
			kvm->pages_2m--;
			*flush = true;
		}
		if (!rkvm_ept_present(*pte)) {
			u64 *child = vcpu->pt_cache[--vcpu->pt_cache_n];

			kvm->ept_pages++;
			*pte = rkvm_ept_table(__pa(child));
		}
		table = __va(*pte & EPTE_ADDR_MASK);
	}
	return &table[rkvm_ept_index(gfn, target)];
}

/*
 * Can @gfn be mapped with a 2 MiB entry? The CPU must support it, the
 * slot must cover the whole aligned 2 MiB with the host address congruent,
 * no dirty logging, and the host must map that memory with a PMD (a
 * transparent or hugetlbfs huge page). Called under mmu_lock after the
 * invalidation check, so the host mapping read here is current.
 */
static bool rkvm_can_map_2m(struct rkvm *kvm, const struct rkvm_memslot *slot,
			    u64 gfn, unsigned long hva)
{
	u64 base = gfn & ~511ull;
	unsigned long flags;
	pgd_t *pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;
	bool huge = false;

	if (!(rkvm_vmx.ept_vpid_cap & VMX_EPT_2MB_PAGE_BIT) || slot->dirty_bitmap)
		return false;
	if (base < slot->base_gfn || base + 512 > slot->base_gfn + slot->npages)
		return false;
	if (((slot->userspace_addr >> PAGE_SHIFT) - slot->base_gfn) & 511)
		return false;

	/* a lockless look at the host's tables, as get_user_pages_fast does */
	local_irq_save(flags);
	pgd = pgd_offset(kvm->mm, hva);
	p4d = READ_ONCE(*p4d_offset(pgd, hva));
	if (p4d_present(p4d)) {
		pud = READ_ONCE(*pud_offset(&p4d, hva));
		if (pud_present(pud) && !pud_large(pud)) {
			pmd = READ_ONCE(*pmd_offset(&pud, hva));
			huge = pmd_present(pmd) && pmd_large(pmd);
		}
	}
	local_irq_restore(flags);
	return huge;
}

/*
 * Remember that @gfn is outside every slot, so the next access goes
 * straight to the emulator (EPT_MISCONFIG). Slot changes zap the range
 * they cover, cached MMIO entries included.
 */
static void rkvm_ept_cache_mmio(struct rkvm_vcpu *vcpu, u64 gfn)
{
	struct rkvm *kvm = vcpu->kvm;
	bool flush = false;
	u64 *pte;

	if (gfn > (1ull << (48 - PAGE_SHIFT)) - 1)
		return;		/* beyond what a 4-level EPT maps */
	mutex_lock(&kvm->mmu_lock);
	pte = rkvm_ept_walk_alloc(vcpu, gfn, 1, &flush);
	if (!rkvm_ept_present(*pte))
		*pte = EPTE_MMIO;
	mutex_unlock(&kvm->mmu_lock);
	if (flush)
		rkvm_flush_remote_tlbs(kvm);
}

/*
 * Get the host page behind @hva. A page that is already writable in the
 * host's tables is mapped writable at once; otherwise a read maps it
 * read-only, so that copy-on-write sharing survives reads.
 */
static struct page *rkvm_get_host_page(unsigned long hva, bool write_fault,
				       bool slot_writable, bool *writable)
{
	struct page *page;

	*writable = false;
	if (slot_writable &&
	    get_user_pages_fast_only(hva, 1, FOLL_WRITE, &page) == 1) {
		*writable = true;
		return page;
	}
	if (write_fault) {
		if (get_user_pages_fast(hva, 1, FOLL_WRITE, &page) != 1)
			return NULL;
		*writable = true;
		return page;
	}
	if (get_user_pages_fast(hva, 1, 0, &page) != 1)
		return NULL;
	return page;
}

int rkvm_ept_fault(struct rkvm_vcpu *vcpu, u64 gpa, u64 qual)
{
	struct rkvm *kvm = vcpu->kvm;
	bool write = qual & EPTQ_WRITE, writable;
	struct rkvm_memslots *slots;
	struct rkvm_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	unsigned long hva, seq;
	struct page *page;
	bool flush = false;
	u64 *pte;
	int idx;

	if (rkvm_topup_table_cache(vcpu))
		return -ENOMEM;
	seq = atomic_long_read(&kvm->mmu_invalidate_seq);
	smp_rmb();	/* read the sequence before looking at the host's page */
	idx = srcu_read_lock(&kvm->srcu);
	slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	/*
	 * A VM with no memory at all: KVM's MMU has no page budget either,
	 * and KVM_RUN fails with ENOSPC, unless userspace gave it one with
	 * KVM_SET_NR_MMU_PAGES (then the fetch fails: an emulation error).
	 */
	if (!slots->nr && !READ_ONCE(kvm->nr_mmu_pages_set)) {
		srcu_read_unlock(&kvm->srcu, idx);
		return -ENOSPC;
	}
	slot = rkvm_gfn_to_slot(slots, gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		/* under srcu: a slot created now zaps it after we are done */
		if (!slot)
			rkvm_ept_cache_mmio(vcpu, gfn);
		srcu_read_unlock(&kvm->srcu, idx);
		return rkvm_emulate_mmio(vcpu, gpa, write ? 1 : 0);
	}
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	/*
	 * A page the host already maps writable is mapped writable even on a
	 * read, and then logged as dirty at once in a dirty-logged slot: what
	 * KVM does (and it saves the write fault). Others fault on the write.
	 */
	page = rkvm_get_host_page(hva, write, !(slot->flags & KVM_MEM_READONLY),
				  &writable);
	if (!page) {
		/* KVM_RUN fails with -EFAULT when a slot's memory is gone */
		srcu_read_unlock(&kvm->srcu, idx);
		return -EFAULT;
	}

	mutex_lock(&kvm->mmu_lock);
	/* the host may have unmapped the page since we looked it up: retry */
	if (atomic_read(&kvm->mmu_invalidate_in_progress))
		goto unlock;
	/* the count before the sequence: pairs with invalidate_range_end */
	smp_rmb();
	if (seq != atomic_long_read(&kvm->mmu_invalidate_seq))
		goto unlock;
	if (rkvm_can_map_2m(kvm, slot, gfn, hva)) {
		u64 *l2 = rkvm_ept_walk_alloc(vcpu, gfn, 2, &flush);

		/* only into an empty slot: 4 KiB tables below stay as they are */
		if (!rkvm_ept_present(*l2)) {
			*l2 = rkvm_ept_leaf(PFN_PHYS(page_to_pfn(page) & ~511ul),
					    writable, 2);
			kvm->pages_2m++;
			goto unlock;
		}
	}
	pte = rkvm_ept_walk_alloc(vcpu, gfn, 1, &flush);
	if (rkvm_ept_is_mmio(*pte)) {
		*pte = 0;	/* a slot appeared where MMIO was cached */
	} else if (rkvm_ept_present(*pte)) {
		flush |= (*pte & EPTE_ADDR_MASK) != page_to_phys(page);
		rkvm_ept_drop_leaf(pte);
		kvm->pages_4k--;
	}
	*pte = rkvm_ept_leaf(page_to_phys(page), writable, 1);
	kvm->pages_4k++;
	if (writable && slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
unlock:
	mutex_unlock(&kvm->mmu_lock);
	srcu_read_unlock(&kvm->srcu, idx);
	put_page(page);
	/*
	 * The faulting CPU dropped its own translation of this address; when
	 * the page itself changed (copy-on-write broken), other CPUs may still
	 * hold the old one.
	 */
	if (flush)
		rkvm_flush_remote_tlbs(kvm);
	return RKVM_REENTER;
}
