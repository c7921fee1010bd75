// SPDX-License-Identifier: GPL-2.0
/* util.c - small helpers: file reading, size parsing, clocks, rlimits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "util.h"

void *mvm_read_file(const char *path, size_t *len, size_t max)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 65536, n = 0, got;
	char *buf = NULL, *nb;

	if (!f) {
		fprintf(stderr, "mini-vmm: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		nb = realloc(buf, cap);
		if (!nb)
			goto fail;
		buf = nb;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			fprintf(stderr, "mini-vmm: %s: larger than %zu bytes\n",
				path, max);
			goto fail;
		}
		if (n < cap) {
			if (ferror(f)) {
				fprintf(stderr, "mini-vmm: %s: read error\n", path);
				goto fail;
			}
			break;
		}
		cap *= 2;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	return NULL;
}

uint64_t mvm_parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	return *end || end == s ? 0 : v;
}

double mvm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void mvm_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
