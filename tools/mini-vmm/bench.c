// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - "mini-vmm bench": start N microVMs at once (a bounded pool of
 * worker threads runs their vCPUs), each serving K invocations, in three
 * modes side by side:
 *   cold      every invocation gets a new VM: create, build tables, load
 *             the ELF, run the function's init, then the invocation;
 *   pool      N VMs are made (from the snapshot) before the clock starts;
 *             an invocation resets one (pristine memory + registers) and
 *             runs it;
 *   snapshot  every invocation gets a new VM started from the snapshot
 *             taken at INIT_DONE, its memory a copy-on-write mapping.
 * Reports the start latency (first invocation of each VM), the latency of
 * all invocations (p50, p99), the rate at which VMs are made, and the
 * memory per VM with all N alive (PSS + kernel memory deltas). Every
 * output is checked against a reference cold run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"
#include "bench.h"
#include "memstat.h"
#include "snapshot.h"
#include "util.h"
#include "vm.h"

enum { M_COLD, M_POOL, M_SNAP, M_NR };
static const char *const mode_name[M_NR] = { "cold", "pool", "snapshot" };

struct bopts {
	const char *dev, *func, *input, *out, *plot;
	uint64_t mem;
	int k, threads, modes, ns[32], nn;
	unsigned int timeout;
};

struct brow {			/* one mode at one N */
	int mode, n, k, failed;
	double make_rate;	/* VMs made per second (phase A or pool fill) */
	double start_p50, start_p99, inv_p50, inv_p99;	/* microseconds */
	double pss_kib, kern_kib, avail_kib;		/* per VM */
	char slabs[160];
};

struct bctx {
	const struct bopts *o;
	int mode, n, round;
	const void *elf;
	size_t elf_len;
	const void *in;
	size_t in_len;
	struct mvm_elf e;
	struct mvm_layout lay;
	struct mvm_snap snap;
	struct mvm_vm *vms;
	double *lat;		/* n * k */
	const uint8_t *expect;
	size_t expect_len;
	atomic_int next, failed;
	pthread_mutex_t lock;
	char err[300];
};

static void fail(struct bctx *c, int i, const char *what)
{
	pthread_mutex_lock(&c->lock);
	if (!c->err[0])
		snprintf(c->err, sizeof(c->err), "VM %d: %s", i, what);
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->failed, 1);
}

static int new_cold(struct bctx *c, struct mvm_vm *vm, struct mvm_result *r)
{
	if (mvm_vm_create(vm, c->lay.mem_size, -1))
		return -1;
	vm->quiet = 1;
	if (mvm_vm_setup(vm, &c->lay, &c->e, c->elf))
		return -1;
	mvm_vm_run(vm, c->o->timeout, 10000, r);
	return r->outcome == MVM_INIT_DONE ? 0 : -1;
}

/* One invocation of VM i; first: the VM's first (its start). */
static void invoke(struct bctx *c, int i, int first)
{
	struct mvm_vm *vm = &c->vms[i];
	struct mvm_result r;
	double t0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	if (!first && c->mode != M_POOL)
		mvm_vm_destroy(vm);	/* the previous VM: not timed */
	t0 = mvm_now();
	switch (c->mode) {
	case M_COLD:
		rc = new_cold(c, vm, &r);
		break;
	case M_SNAP:
		rc = mvm_vm_from_snap(vm, &c->snap);
		vm->quiet = 1;
		break;
	case M_POOL:
		rc = mvm_vm_reset(vm, &c->snap);
		break;
	}
	if (rc) {
		fail(c, i, r.msg[0] ? r.msg : "could not start the microVM");
		return;
	}
	if (mvm_vm_set_input(vm, c->in, c->in_len)) {
		fail(c, i, "input does not fit");
		return;
	}
	mvm_vm_run(vm, c->o->timeout, 10000, &r);
	c->lat[c->round * c->n + i] = (mvm_now() - t0) * 1e6;
	if (r.outcome != MVM_OK)
		fail(c, i, r.msg);
	else if (r.status || r.out_len != c->expect_len ||
		 memcmp(r.out, c->expect, r.out_len)) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "output differs from the reference cold run (status %d, %zu bytes, expected %zu: \"%.40s\")",
			 (int)r.status, (size_t)r.out_len, (size_t)c->expect_len,
			 r.out ? (const char *)r.out : "");
		fail(c, i, msg);
	}
}

static void *worker(void *arg)
{
	struct bctx *c = arg;
	int i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->n) {
		if (c->round < 0) {	/* pool fill */
			if (mvm_vm_from_snap(&c->vms[i], &c->snap))
				fail(c, i, "could not create a pool VM");
			c->vms[i].quiet = 1;
		} else {
			invoke(c, i, c->round == 0);
		}
	}
	return NULL;
}

/* Run one phase over all n VMs on the worker threads; returns seconds. */
static double phase(struct bctx *c, int round)
{
	int t, nt = c->o->threads < c->n ? c->o->threads : c->n;
	pthread_t *th = calloc(nt, sizeof(*th));
	double t0 = mvm_now();

	c->round = round;
	atomic_store(&c->next, 0);
	for (t = 0; t < nt; t++)
		if (pthread_create(&th[t], NULL, worker, c)) {
			nt = t;
			break;
		}
	for (t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	free(th);
	return mvm_now() - t0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

static int run_mode(struct bctx *c, int mode, int n, struct brow *row)
{
	struct mvm_memstat *before = malloc(sizeof(*before));
	struct mvm_memstat *after = malloc(sizeof(*after));
	const struct bopts *o = c->o;
	double secs;
	int i, r;

	memset(row, 0, sizeof(*row));
	row->mode = mode;
	row->n = n;
	row->k = o->k;
	c->mode = mode;
	c->n = n;
	c->err[0] = 0;
	atomic_store(&c->failed, 0);
	c->vms = calloc(n, sizeof(*c->vms));
	c->lat = calloc((size_t)n * o->k, sizeof(double));
	for (i = 0; i < n; i++)
		c->vms[i].vmfd = c->vms[i].vcpufd = -1;
	mvm_memstat_read(before);
	if (mode == M_POOL) {
		secs = phase(c, -1);
		row->make_rate = n / secs;
	}
	secs = phase(c, 0);
	if (mode != M_POOL)
		row->make_rate = n / secs;
	mvm_memstat_read(after);
	row->pss_kib = (double)(after->pss_kib - before->pss_kib) / n;
	row->kern_kib = (double)(after->kernel_kib - before->kernel_kib) / n;
	row->avail_kib = (double)(before->avail_kib - after->avail_kib) / n;
	mvm_memstat_top_slabs(before, after, n, row->slabs, sizeof(row->slabs));
	row->start_p50 = pct(c->lat, n, 0.50);
	row->start_p99 = pct(c->lat, n, 0.99);
	for (r = 1; r < o->k; r++)
		phase(c, r);
	row->inv_p50 = pct(c->lat, n * o->k, 0.50);
	row->inv_p99 = pct(c->lat, n * o->k, 0.99);
	for (i = 0; i < n; i++)
		mvm_vm_destroy(&c->vms[i]);
	row->failed = atomic_load(&c->failed);
	if (row->failed)
		fprintf(stderr, "bench: %s: %d invocation(s) failed; first: %s\n",
			mode_name[mode], row->failed, c->err);
	free(c->vms);
	free(c->lat);
	free(before);
	free(after);
	return row->failed ? -1 : 0;
}

/* A reference cold run (expected output) and the snapshot at INIT_DONE. */
static int prepare(struct bctx *c)
{
	struct mvm_vm vm;
	struct mvm_result r;
	static uint8_t *copy;

	if (new_cold(c, &vm, &r)) {
		fprintf(stderr, "bench: %s: init failed: %s\n", c->o->func,
			r.msg[0] ? r.msg : "cannot create a VM");
		return -1;
	}
	if (mvm_snap_take(&vm, &c->snap))
		return -1;
	if (mvm_vm_set_input(&vm, c->in, c->in_len)) {
		fprintf(stderr, "bench: input too large\n");
		return -1;
	}
	mvm_vm_run(&vm, c->o->timeout, 10000, &r);
	if (r.outcome != MVM_OK || r.status) {
		fprintf(stderr, "bench: %s: reference run failed: %s%s\n",
			c->o->func, mvm_outcome_name(r.outcome),
			r.outcome == MVM_OK ? " (non-zero status)" : r.msg);
		return -1;
	}
	copy = malloc(r.out_len + 1);
	memcpy(copy, r.out, r.out_len);
	c->expect = copy;
	c->expect_len = r.out_len;
	mvm_vm_destroy(&vm);
	return 0;
}

static const char *default_func(void)
{
	static char path[4096 + 64];
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return "examples/hello.elf";
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof(path), "%s/examples/hello.elf", exe);
	if (access(path, R_OK))
		snprintf(path, sizeof(path), "%s/mini-vmm-examples/hello.elf",
			 exe);
	return path;
}

static void usage(void)
{
	fprintf(stderr,
"usage: mini-vmm bench [-n N[,N...]] [-k K] [--mode cold|pool|snapshot|all]\n"
"         [--func FUNC.elf] [--input FILE] [--mem SIZE] [--threads T]\n"
"         [--timeout MS] [--device PATH] [-o FILE.tsv] [--plot FILE.png]\n"
"  -n    microVMs alive at once (a list sweeps N)      default 100\n"
"  -k    invocations per microVM                       default 2\n"
"  --func  the function (default: hello.elf beside mini-vmm)\n");
}

static int parse(int argc, char **argv, struct bopts *o)
{
	static const struct option lo[] = {
		{ "mode", 1, 0, 'M' }, { "func", 1, 0, 'f' },
		{ "input", 1, 0, 'i' }, { "mem", 1, 0, 'm' },
		{ "threads", 1, 0, 'T' }, { "timeout", 1, 0, 't' },
		{ "device", 1, 0, 'd' }, { "plot", 1, 0, 'P' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *s, *tok;
	int c;

	memset(o, 0, sizeof(*o));
	o->dev = "/dev/kvm";
	o->mem = 2 << 20;
	o->k = 2;
	o->threads = cpus > 0 ? 2 * cpus : 4;
	o->timeout = 10000;
	o->modes = 7;
	o->ns[0] = 100;
	o->nn = 1;
	while ((c = getopt_long(argc, argv, "n:k:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->nn = 0;
			s = strdup(optarg);
			for (tok = strtok(s, ","); tok && o->nn < 32;
			     tok = strtok(NULL, ","))
				o->ns[o->nn++] = atoi(tok);
			break;
		case 'k': o->k = atoi(optarg); break;
		case 'o': o->out = optarg; break;
		case 'M':
			if (!strcmp(optarg, "all"))
				o->modes = 7;
			else if (!strcmp(optarg, "cold"))
				o->modes = 1 << M_COLD;
			else if (!strcmp(optarg, "pool"))
				o->modes = 1 << M_POOL;
			else if (!strcmp(optarg, "snapshot"))
				o->modes = 1 << M_SNAP;
			else {
				fprintf(stderr, "bench: bad --mode %s\n", optarg);
				return -1;
			}
			break;
		case 'f': o->func = optarg; break;
		case 'i': o->input = optarg; break;
		case 'm': o->mem = mvm_parse_size(optarg); break;
		case 'T': o->threads = atoi(optarg); break;
		case 't': o->timeout = strtoul(optarg, NULL, 0); break;
		case 'd': o->dev = optarg; break;
		case 'P': o->plot = optarg; break;
		default: usage(); return -1;
		}
	}
	for (c = 0; c < o->nn; c++)
		if (o->ns[c] < 1) {
			fprintf(stderr, "bench: bad -n\n");
			return -1;
		}
	if (o->k < 1 || o->threads < 1 || !o->mem || optind != argc) {
		usage();
		return -1;
	}
	if (!o->func)
		o->func = default_func();
	return 0;
}

static void print_row(const struct brow *r)
{
	printf("%-9s %6d %3d %9.0f %9.0f %9.0f %9.0f %9.0f %9.1f %9.1f %9.1f %6d\n",
	       mode_name[r->mode], r->n, r->k, r->make_rate, r->start_p50,
	       r->start_p99, r->inv_p50, r->inv_p99, r->pss_kib, r->kern_kib,
	       r->pss_kib + r->kern_kib, r->failed);
	if (r->slabs[0])
		printf("%-9s   slab growth per VM (KiB): %s\n", "", r->slabs);
}

static int write_tsv(const char *path, const struct brow *rows, int nr)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "mode\tn\tk\tvms_per_s\tstart_p50_us\tstart_p99_us\t"
		"inv_p50_us\tinv_p99_us\tpss_kib_per_vm\tkernel_kib_per_vm\t"
		"total_kib_per_vm\tmemavail_drop_kib_per_vm\tfailed\n");
	for (i = 0; i < nr; i++) {
		const struct brow *r = &rows[i];

		fprintf(f, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t"
			"%.1f\t%.1f\t%.1f\t%d\n", mode_name[r->mode], r->n, r->k,
			r->make_rate, r->start_p50, r->start_p99, r->inv_p50,
			r->inv_p99, r->pss_kib, r->kern_kib,
			r->pss_kib + r->kern_kib, r->avail_kib, r->failed);
	}
	fclose(f);
	return 0;
}

/* Latency and memory against N, one line per mode, via gnuplot. */
static int plot(const char *png, const char *tsv, const struct brow *rows,
		int nr)
{
	char gp[4200], cmd[4400];
	FILE *f;
	int i, m, rc;

	if (system("command -v gnuplot >/dev/null 2>&1")) {
		fprintf(stderr, "bench: --plot: gnuplot is not installed (Debian: "
			"apt-get install gnuplot-nox); no plot drawn, the data "
			"is in %s\n", tsv);
		return -1;
	}
	snprintf(gp, sizeof(gp), "%s.gp", png);
	f = fopen(gp, "w");
	if (!f)
		return -1;
	/* one data block per mode: N, inv p50, inv p99, memory per VM */
	for (m = 0; m < M_NR; m++) {
		fprintf(f, "$%s << EOD\n", mode_name[m]);
		for (i = 0; i < nr; i++)
			if (rows[i].mode == m)
				fprintf(f, "%d %.1f %.1f %.1f\n", rows[i].n,
					rows[i].inv_p50, rows[i].inv_p99,
					rows[i].pss_kib + rows[i].kern_kib);
		fprintf(f, "EOD\n");
	}
	fprintf(f, "set terminal pngcairo size 1200,500 noenhanced\n"
		"set output '%s'\nset multiplot layout 1,2 title "
		"'mini-vmm bench (data: %s)'\nset logscale x\nset key top left\n"
		"set xlabel 'microVMs alive at once (N)'\nset grid\n", png, tsv);
	fprintf(f, "set ylabel 'invocation latency (us)'\nset logscale y\n"
		"plot ");
	for (m = 0; m < M_NR; m++)
		fprintf(f, "%s$%s using 1:2 with linespoints lc %d title "
			"'%s p50', $%s using 1:3 with linespoints lc %d dt 2 "
			"title '%s p99'", m ? ", " : "", mode_name[m], m + 1,
			mode_name[m], mode_name[m], m + 1, mode_name[m]);
	fprintf(f, "\nunset logscale y\nset yrange [0:*]\nset ylabel "
		"'memory per microVM (KiB, PSS + kernel)'\nplot ");
	for (m = 0; m < M_NR; m++)
		fprintf(f, "%s$%s using 1:4 with linespoints lc %d title '%s'",
			m ? ", " : "", mode_name[m], m + 1, mode_name[m]);
	fprintf(f, "\nunset multiplot\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gnuplot '%s'", gp);
	rc = system(cmd);
	if (rc) {
		fprintf(stderr, "bench: gnuplot failed (script %s)\n", gp);
		return -1;
	}
	printf("plot: %s (script %s)\n", png, gp);
	return 0;
}

int mvm_bench_main(int argc, char **argv)
{
	static const char def_in[] = "hello, bench\n";
	struct brow rows[32 * M_NR], *cold, *snap;
	char tsv[4200];
	struct bctx c;
	struct bopts o;
	int i, m, nr = 0, bad = 0;

	if (parse(argc, argv, &o))
		return 2;
	memset(&c, 0, sizeof(c));
	c.o = &o;
	pthread_mutex_init(&c.lock, NULL);
	c.elf = mvm_read_file(o.func, &c.elf_len, 64 << 20);
	if (!c.elf)
		return 2;
	if (o.input) {
		c.in = mvm_read_file(o.input, &c.in_len, 256 << 10);
		if (!c.in)
			return 2;
	} else {
		c.in = def_in;
		c.in_len = sizeof(def_in) - 1;
	}
	if (mvm_layout(&c.lay, o.mem, MVM_IN_CAP_DEFAULT, MVM_OUT_CAP_DEFAULT,
		       c.elf, c.elf_len, &c.e, c.err, sizeof(c.err))) {
		fprintf(stderr, "bench: %s: %s\n", o.func, c.err);
		return 2;
	}
	if (mvm_kvm_open(o.dev) || prepare(&c))
		return 2;
	printf("mini-vmm bench: %s, device %s, %llu KiB RAM per VM, K=%d, "
	       "%d worker threads, snapshot %zu pages\n", o.func, o.dev,
	       (unsigned long long)o.mem >> 10, o.k, o.threads, c.snap.pages);
	printf("%-9s %6s %3s %9s %9s %9s %9s %9s %9s %9s %9s %6s\n", "mode", "N",
	       "K", "VMs/s", "start p50", "start p99", "inv p50", "inv p99",
	       "PSS/VM", "kern/VM", "mem/VM", "failed");
	printf("%-9s %6s %3s %9s %9s %9s %9s %9s %9s %9s %9s %6s\n", "", "", "",
	       "", "us", "us", "us", "us", "KiB", "KiB", "KiB", "");
	for (i = 0; i < o.nn; i++) {
		cold = snap = NULL;
		for (m = 0; m < M_NR; m++) {
			if (!(o.modes & (1 << m)))
				continue;
			if (run_mode(&c, m, o.ns[i], &rows[nr]))
				bad = 1;
			print_row(&rows[nr]);
			fflush(stdout);
			if (m == M_COLD)
				cold = &rows[nr];
			if (m == M_SNAP)
				snap = &rows[nr];
			nr++;
		}
		if (cold && snap && snap->start_p50 > 0)
			printf("N=%d: cold/snapshot start ratio %.1fx (start p50: "
			       "snapshot %.0f us, cold %.0f us)\n", o.ns[i],
			       cold->start_p50 / snap->start_p50,
			       snap->start_p50, cold->start_p50);
	}
	if (o.plot && !o.out) {
		snprintf(tsv, sizeof(tsv), "%s.tsv", o.plot);
		o.out = tsv;
	}
	if (o.out && !write_tsv(o.out, rows, nr))
		printf("results: %s\n", o.out);
	if (o.plot && plot(o.plot, o.out, rows, nr))
		bad = 1;
	mvm_snap_free(&c.snap);
	return bad;
}
