/* SPDX-License-Identifier: GPL-2.0 */
/* memstat.h - process and kernel memory counters for the bench. */
#ifndef MVM_MEMSTAT_H
#define MVM_MEMSTAT_H

#define MVM_SLAB_MAX	1024

struct mvm_memstat {
	long rss_kib, pss_kib;			/* /proc/self/smaps_rollup */
	long avail_kib, kernel_kib;		/* /proc/meminfo */
	int nslab;				/* /proc/slabinfo, if readable */
	struct { char name[64]; long kib; } slab[MVM_SLAB_MAX];
};

void mvm_memstat_read(struct mvm_memstat *m);
/* The slab caches that grew most from a to b: "kvm_vcpu +12.0, ..." per VM. */
void mvm_memstat_top_slabs(const struct mvm_memstat *a,
			   const struct mvm_memstat *b, int n, char *buf,
			   int len);

#endif
