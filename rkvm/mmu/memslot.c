// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots: KVM_SET_USER_MEMORY_REGION with KVM's
 * rules (create, delete, move, flags), lookup of a guest frame by binary
 * search over the slots sorted by base, dirty logging (KVM_GET_DIRTY_LOG,
 * by EPT write protection), and guest-physical reads/writes.
 *
 * A slot set is immutable once published: an update copies it, changes the
 * copy under kvm->slots_lock, publishes it with rcu_assign_pointer() and
 * waits (synchronize_srcu) for every reader of the old set before zapping
 * the EPT entries of the old range and freeing the old set.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/kvm.h>
#include <asm/processor.h>

#include "rkvm.h"
#include "mmu/memslot_lookup.h"

struct rkvm_memslot *rkvm_gfn_to_slot(struct rkvm_memslots *slots, u64 gfn)
{
	int i = rkvm_slot_search(slots->slots, slots->nr, gfn);

	return i < 0 ? NULL : &slots->slots[i];
}

static struct rkvm_memslot *rkvm_id_to_slot(struct rkvm_memslots *slots,
					    u16 id)
{
	int i;

	for (i = 0; i < slots->nr; i++)
		if (slots->slots[i].id == id)
			return &slots->slots[i];
	return NULL;
}

static struct rkvm_memslots *rkvm_alloc_slots(int nr)
{
	return kvzalloc(struct_size((struct rkvm_memslots *)NULL, slots, nr),
			GFP_KERNEL_ACCOUNT);
}

static unsigned long rkvm_dirty_bitmap_bytes(u64 npages)
{
	return ALIGN(npages, BITS_PER_LONG) / 8;
}

/* the largest guest frame EPT may map: the host's MAXPHYADDR */
static u64 rkvm_max_gfn(void)
{
	return (1ull << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;
}

int rkvm_set_memory_region(struct rkvm *kvm,
			   const struct kvm_userspace_memory_region *mem)
{
	struct rkvm_memslots *old_set, *new_set;
	struct rkvm_memslot *old, new;
	unsigned long *free_bitmap = NULL;
	bool wrprot = false;
	u64 base_gfn, npages;
	bool zap_old = false;
	u64 zap_start = 0, zap_end = 0;
	u16 id = mem->slot & 0xffff;
	int i, r;

	if (mem->flags & ~(u32)(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return -EINVAL;
	if ((mem->slot >> 16) || id >= RKVM_USER_MEM_SLOTS)
		return -EINVAL;
	if ((mem->memory_size & (PAGE_SIZE - 1)) ||
	    (mem->guest_phys_addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	npages = mem->memory_size >> PAGE_SHIFT;
	if (npages > (1ul << 31) - 1)
		return -EINVAL;
	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;

	mutex_lock(&kvm->slots_lock);
	old_set = rcu_dereference_protected(kvm->memslots,
					    lockdep_is_held(&kvm->slots_lock));
	old = rkvm_id_to_slot(old_set, id);

	r = -EINVAL;
	if (!npages) {
		if (!old)
			goto out;
	} else if (old) {
		/* an existing slot may move or change flags, nothing else */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			goto out;
		r = 0;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			goto out;
	}
	if (npages && (!old || base_gfn != old->base_gfn)) {
		r = -EINVAL;
		if (base_gfn + npages - 1 > rkvm_max_gfn())
			goto out;
		r = -EEXIST;
		for (i = 0; i < old_set->nr; i++) {
			const struct rkvm_memslot *s = &old_set->slots[i];

			if (s->id != id && base_gfn < s->base_gfn + s->npages &&
			    s->base_gfn < base_gfn + npages)
				goto out;
		}
	}

	r = -ENOMEM;
	new_set = rkvm_alloc_slots(old_set->nr + 1);
	if (!new_set)
		goto out;
	new_set->nr = 0;
	for (i = 0; i < old_set->nr; i++)
		if (old_set->slots[i].id != id)
			new_set->slots[new_set->nr++] = old_set->slots[i];
	if (npages) {
		new.base_gfn = base_gfn;
		new.npages = npages;
		new.userspace_addr = mem->userspace_addr;
		new.flags = mem->flags;
		new.id = id;
		new.dirty_bitmap = old ? old->dirty_bitmap : NULL;
		if ((mem->flags & KVM_MEM_LOG_DIRTY_PAGES) && !new.dirty_bitmap) {
			new.dirty_bitmap = kvzalloc(rkvm_dirty_bitmap_bytes(npages),
						    GFP_KERNEL_ACCOUNT);
			if (!new.dirty_bitmap) {
				kvfree(new_set);
				goto out;
			}
			if (kvm->manual_dirty_log & KVM_DIRTY_LOG_INITIALLY_SET) {
				/* all dirty; KVM_CLEAR_DIRTY_LOG protects as it goes */
				bitmap_set(new.dirty_bitmap, 0, npages);
			} else {
				/* pages mapped writable so far must fault on the next write */
				wrprot = old && base_gfn == old->base_gfn;
			}
		} else if (!(mem->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
			free_bitmap = new.dirty_bitmap;
			new.dirty_bitmap = NULL;
		}
		rkvm_slot_insert_sorted(new_set->slots, &new_set->nr, &new);
	} else {
		free_bitmap = old->dirty_bitmap;
	}
	if (old && (!npages || base_gfn != old->base_gfn)) {
		zap_old = true;
		zap_start = old->base_gfn;
		zap_end = old->base_gfn + old->npages;
	}

	rcu_assign_pointer(kvm->memslots, new_set);
	synchronize_srcu(&kvm->srcu);
	if (zap_old)
		rkvm_ept_zap_range(kvm, zap_start, zap_end);
	/* frames cached as MMIO where the new slot now is */
	if (npages && (!old || base_gfn != old->base_gfn))
		rkvm_ept_zap_range(kvm, base_gfn, base_gfn + npages);
	if (wrprot) {
		mutex_lock(&kvm->mmu_lock);
		wrprot = rkvm_ept_wrprot_range_locked(kvm, base_gfn,
						      base_gfn + npages);
		mutex_unlock(&kvm->mmu_lock);
		if (wrprot)
			rkvm_flush_remote_tlbs(kvm);
	}
	kvfree(free_bitmap);
	kvfree(old_set);
	r = 0;
out:
	mutex_unlock(&kvm->slots_lock);
	return r;
}

int rkvm_init_memslots(struct rkvm *kvm)
{
	struct rkvm_memslots *s = rkvm_alloc_slots(0);

	if (!s)
		return -ENOMEM;
	RCU_INIT_POINTER(kvm->memslots, s);
	return 0;
}

void rkvm_free_memslots(struct rkvm *kvm)
{
	struct rkvm_memslots *slots = rcu_dereference_protected(kvm->memslots, 1);
	int i;

	for (i = 0; i < slots->nr; i++)
		kvfree(slots->slots[i].dirty_bitmap);
	kvfree(slots);
}

/*
 * The slot a dirty-log ioctl names, under slots_lock: -EINVAL for an
 * impossible id, -ENOENT for one without a dirty bitmap (address space 1,
 * SMM's, exists for KVM but is always empty here).
 */
static int rkvm_dirty_log_slot(struct rkvm *kvm, u32 slot_id,
			       struct rkvm_memslot **slot)
{
	struct rkvm_memslots *slots;

	if ((slot_id >> 16) > 1 || (slot_id & 0xffff) >= RKVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (slot_id >> 16)
		return -ENOENT;
	slots = rcu_dereference_protected(kvm->memslots,
					  lockdep_is_held(&kvm->slots_lock));
	*slot = rkvm_id_to_slot(slots, slot_id & 0xffff);
	if (!*slot || !(*slot)->dirty_bitmap)
		return -ENOENT;
	return 0;
}

/*
 * Write-protect the pages of word @i of a slot's bitmap when any is set in
 * @mask: one walk over the word's 64 pages. The clean ones among them are
 * read-only already (or become so harmlessly: their next write is logged).
 */
static bool rkvm_wrprot_mask_locked(struct rkvm *kvm,
				    const struct rkvm_memslot *slot,
				    unsigned long i, unsigned long mask)
{
	u64 g = slot->base_gfn + i * BITS_PER_LONG;

	if (!mask)
		return false;
	return rkvm_ept_wrprot_range_locked(kvm, g,
		min_t(u64, g + BITS_PER_LONG, slot->base_gfn + slot->npages));
}

/* A long bitmap walk lets others in now and then (mmu_lock held). */
static void rkvm_dirty_log_breathe(struct rkvm *kvm, unsigned long i)
{
	if ((i & 63) == 63 && need_resched()) {
		mutex_unlock(&kvm->mmu_lock);
		cond_resched();
		mutex_lock(&kvm->mmu_lock);
	}
}

/*
 * KVM_CLEAR_DIRTY_LOG (manual protection): clear the given bits and
 * write-protect those pages again, so their next write is logged.
 */
int rkvm_clear_dirty_log(struct rkvm *kvm, const struct kvm_clear_dirty_log *log)
{
	struct rkvm_memslot *slot;
	unsigned long *buf, n, i, first;
	bool flush = false;
	int r;

	if (log->first_page & 63)
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	r = rkvm_dirty_log_slot(kvm, log->slot, &slot);
	if (r)
		goto out;
	r = -EINVAL;
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page &&
	     (log->num_pages & 63)))
		goto out;
	n = ALIGN(log->num_pages, BITS_PER_LONG) / 8;
	r = -ENOMEM;
	buf = kvzalloc(n ? n : sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto out;
	r = -EFAULT;
	if (copy_from_user(buf, u64_to_user_ptr(log->padding2), n))
		goto free;

	first = log->first_page / BITS_PER_LONG;
	mutex_lock(&kvm->mmu_lock);
	for (i = 0; i < n / sizeof(long); i++) {
		unsigned long mask = buf[i];

		/* the last word may reach past num_pages: those bits stay */
		if ((i + 1) * BITS_PER_LONG > log->num_pages &&
		    log->num_pages % BITS_PER_LONG)
			mask &= BIT(log->num_pages % BITS_PER_LONG) - 1;
		if (!mask)
			continue;
		mask &= atomic_long_fetch_andnot(mask,
				(atomic_long_t *)&slot->dirty_bitmap[first + i]);
		flush |= rkvm_wrprot_mask_locked(kvm, slot, first + i, mask);
		rkvm_dirty_log_breathe(kvm, i);
	}
	mutex_unlock(&kvm->mmu_lock);
	if (flush)
		rkvm_flush_remote_tlbs(kvm);
	r = 0;
free:
	kvfree(buf);
out:
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/*
 * KVM_GET_DIRTY_LOG: hand out the pages written since the last call and
 * write-protect them again, so a write after this call is in the next one.
 */
int rkvm_get_dirty_log(struct rkvm *kvm, const struct kvm_dirty_log *log)
{
	struct rkvm_memslot *slot;
	unsigned long *snap, n, i;
	bool flush = false;
	int r;

	mutex_lock(&kvm->slots_lock);
	r = rkvm_dirty_log_slot(kvm, log->slot, &slot);
	if (r)
		goto out;
	n = rkvm_dirty_bitmap_bytes(slot->npages);
	r = -ENOMEM;
	snap = kvzalloc(n, GFP_KERNEL_ACCOUNT);
	if (!snap)
		goto out;

	if (kvm->manual_dirty_log & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		/* manual protection: report only; KVM_CLEAR_DIRTY_LOG re-arms */
		for (i = 0; i < n / sizeof(long); i++)
			snap[i] = READ_ONCE(slot->dirty_bitmap[i]);
	} else {
		mutex_lock(&kvm->mmu_lock);
		for (i = 0; i < n / sizeof(long); i++) {
			snap[i] = xchg(&slot->dirty_bitmap[i], 0);
			flush |= rkvm_wrprot_mask_locked(kvm, slot, i, snap[i]);
			rkvm_dirty_log_breathe(kvm, i);
		}
		mutex_unlock(&kvm->mmu_lock);
		if (flush)
			rkvm_flush_remote_tlbs(kvm);
	}
	r = copy_to_user(u64_to_user_ptr(log->padding2), snap, n) ? -EFAULT : 0;
	kvfree(snap);
out:
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/* Copy to or from guest-physical memory through the slots' user mappings. */
static int rkvm_guest_copy(struct rkvm *kvm, u64 gpa, void *data,
			   unsigned long len, bool write)
{
	struct rkvm_memslots *slots;
	struct rkvm_memslot *slot;
	int idx, r = 0;

	idx = srcu_read_lock(&kvm->srcu);
	slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	while (len) {
		u64 gfn = gpa >> PAGE_SHIFT;
		unsigned long off = offset_in_page(gpa);
		unsigned long n = min(len, PAGE_SIZE - off);
		void __user *hva;

		slot = rkvm_gfn_to_slot(slots, gfn);
		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			r = -EFAULT;
			break;
		}
		hva = (void __user *)(slot->userspace_addr +
				      ((gfn - slot->base_gfn) << PAGE_SHIFT) + off);
		if (write ? copy_to_user(hva, data, n) :
			    copy_from_user(data, hva, n)) {
			r = -EFAULT;
			break;
		}
		if (write && slot->dirty_bitmap)
			set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
		gpa += n;
		data += n;
		len -= n;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

int rkvm_read_guest(struct rkvm *kvm, u64 gpa, void *data, unsigned long len)
{
	return rkvm_guest_copy(kvm, gpa, data, len, false);
}

int rkvm_write_guest(struct rkvm *kvm, u64 gpa, const void *data,
		     unsigned long len)
{
	return rkvm_guest_copy(kvm, gpa, (void *)data, len, true);
}
