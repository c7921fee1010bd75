// SPDX-License-Identifier: GPL-2.0
/*
 * memstat.c - memory counters for the bench: the VMM's RSS and PSS (PSS
 * splits shared snapshot pages fairly), MemAvailable, and kernel memory:
 * Slab + KernelStack + PageTables + SecPageTables + VmallocUsed + Percpu
 * from /proc/meminfo, plus per-cache sizes from /proc/slabinfo (root only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memstat.h"

static long field(const char *path, const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

void mvm_memstat_read(struct mvm_memstat *m)
{
	static const char *const kern[] = { "Slab", "KernelStack", "PageTables",
		"SecPageTables", "VmallocUsed", "Percpu" };
	char line[512];
	unsigned int i;
	FILE *f;

	memset(m, 0, sizeof(*m));
	m->rss_kib = field("/proc/self/smaps_rollup", "Rss");
	m->pss_kib = field("/proc/self/smaps_rollup", "Pss");
	m->avail_kib = field("/proc/meminfo", "MemAvailable");
	for (i = 0; i < sizeof(kern) / sizeof(kern[0]); i++) {
		long v = field("/proc/meminfo", kern[i]);

		if (v > 0)
			m->kernel_kib += v;
	}
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && m->nslab < MVM_SLAB_MAX) {
		char name[64];
		long active, num, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num,
			   &size) != 4)
			continue;
		snprintf(m->slab[m->nslab].name, sizeof(m->slab[0].name), "%s",
			 name);
		m->slab[m->nslab++].kib = num * size / 1024;
	}
	fclose(f);
}

void mvm_memstat_top_slabs(const struct mvm_memstat *a,
			   const struct mvm_memstat *b, int n, char *buf,
			   int len)
{
	long best[3] = { 0, 0, 0 };
	int who[3] = { -1, -1, -1 }, i, j, k, used = 0;

	buf[0] = 0;
	for (i = 0; i < b->nslab; i++) {
		long d = b->slab[i].kib;

		for (j = 0; j < a->nslab; j++)
			if (!strcmp(a->slab[j].name, b->slab[i].name)) {
				d -= a->slab[j].kib;
				break;
			}
		for (k = 0; k < 3; k++)
			if (d > best[k]) {
				memmove(best + k + 1, best + k, (2 - k) * sizeof(long));
				memmove(who + k + 1, who + k, (2 - k) * sizeof(int));
				best[k] = d;
				who[k] = i;
				break;
			}
	}
	for (k = 0; k < 3 && who[k] >= 0 && n > 0; k++)
		used += snprintf(buf + used, len > used ? len - used : 0,
				 "%s%s +%.1f", k ? ", " : "", b->slab[who[k]].name,
				 (double)best[k] / n);
}
