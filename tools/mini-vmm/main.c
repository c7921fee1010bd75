// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the mini-vmm command line: "run" one function, "runmany" several
 * functions side by side (one microVM and thread each), "bench", and
 * "boot" a Linux bzImage (boot.c, its own options and exit statuses).
 *
 * Exit status of run: the function's status (0..255) when it rang the exit
 * doorbell; 125 when the invocation failed (fault, triple fault, timeout,
 * wild access, exit flood, ...), with the reason on stderr; 126 when the
 * VM could not be set up (bad ELF, no device, bad options).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"
#include "bench.h"
#include "boot.h"
#include "util.h"
#include "vm.h"

#define EXIT_FAILED	125
#define EXIT_SETUP	126

struct run_opts {
	const char *device, *input;
	uint64_t mem, out_cap;
	unsigned int timeout_ms;
	unsigned long max_exits;
	int quiet, ring0;
};

static void usage(void)
{
	fprintf(stderr,
"usage: mini-vmm run FUNC.elf [--input FILE|-] [--mem SIZE] [--timeout MS]\n"
"                 [--device PATH] [--max-exits N] [--quiet] [--ring0]\n"
"       mini-vmm runmany [same options] [ring0:]FUNC.elf...\n"
"                 (one microVM and thread each, side by side)\n"
"       mini-vmm bench [--help for options]\n"
"       mini-vmm boot --kernel BZIMAGE [--initrd FILE] [--cmdline STR]\n"
"                 [--mem MiB] [--cpus N] [--device PATH] [--timeout S]\n"
"                 (--help for all options)\n");
}

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {
		{ "input", 1, 0, 'i' }, { "mem", 1, 0, 'm' },
		{ "timeout", 1, 0, 't' }, { "device", 1, 0, 'd' },
		{ "max-exits", 1, 0, 'x' }, { "quiet", 0, 0, 'q' },
		{ "ring0", 0, 0, 'r' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	o->device = "/dev/kvm";
	o->input = NULL;
	o->mem = 4 << 20;
	o->out_cap = MVM_OUT_CAP_DEFAULT;
	o->timeout_ms = 10000;
	o->max_exits = 10000;
	o->quiet = 0;
	o->ring0 = 0;
	while ((c = getopt_long(argc, argv, "i:m:t:d:x:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->input = optarg; break;
		case 'm':
			o->mem = mvm_parse_size(optarg);
			if (!o->mem) {
				fprintf(stderr, "mini-vmm: bad --mem %s\n", optarg);
				return -1;
			}
			break;
		case 't': o->timeout_ms = strtoul(optarg, NULL, 0); break;
		case 'd': o->device = optarg; break;
		case 'x': o->max_exits = strtoul(optarg, NULL, 0); break;
		case 'q': o->quiet = 1; break;
		case 'r': o->ring0 = 1; break;
		default: usage(); return -1;
		}
	}
	return 0;
}

struct job {
	const struct run_opts *o;
	const char *path;
	int ring0;
	const void *in;
	size_t in_len;
	int setup_failed;
	char err[256];
	struct mvm_result r;
	uint8_t *out;		/* copy of the output, the VM being gone */
	pthread_t th;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct mvm_layout lay;
	struct mvm_elf e;
	struct mvm_vm vm;
	uint64_t in_cap;
	size_t elf_len;
	void *elf;

	j->setup_failed = 1;
	elf = mvm_read_file(j->path, &elf_len, 64 << 20);
	if (!elf) {
		snprintf(j->err, sizeof(j->err), "cannot read the ELF");
		return NULL;
	}
	in_cap = j->in_len > MVM_IN_CAP_DEFAULT ? j->in_len : MVM_IN_CAP_DEFAULT;
	if (mvm_layout(&lay, j->o->mem, in_cap, j->o->out_cap, elf, elf_len,
		       &e, j->err, sizeof(j->err)))
		goto out;
	if (mvm_vm_create(&vm, j->o->mem, -1)) {
		snprintf(j->err, sizeof(j->err), "cannot create the microVM");
		goto out;
	}
	vm.quiet = j->o->quiet;
	vm.ring0 = j->o->ring0 || j->ring0;
	if (mvm_vm_setup(&vm, &lay, &e, elf)) {
		snprintf(j->err, sizeof(j->err), "cannot set up the vCPU");
		goto destroy;
	}
	j->setup_failed = 0;
	mvm_vm_invoke(&vm, j->in, j->in_len, j->o->timeout_ms,
		      j->o->max_exits, &j->r);
	if (j->r.outcome == MVM_OK) {
		j->out = malloc(j->r.out_len + 1);
		if (j->out)
			memcpy(j->out, j->r.out, j->r.out_len);
		else
			j->r.out_len = 0;
	}
destroy:
	mvm_vm_destroy(&vm);
out:
	free(elf);
	return NULL;
}

static void *load_input(const struct run_opts *o, size_t *len)
{
	*len = 0;
	if (!o->input)
		return calloc(1, 1);
	return mvm_read_file(o->input, len, 512 << 20);
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct job j;

	if (parse_run_opts(argc, argv, &o))
		return EXIT_SETUP;
	if (optind != argc - 1) {
		usage();
		return EXIT_SETUP;
	}
	memset(&j, 0, sizeof(j));
	j.o = &o;
	j.path = argv[optind];
	j.in = load_input(&o, &j.in_len);
	if (!j.in || mvm_kvm_open(o.device))
		return EXIT_SETUP;
	run_job(&j);
	if (j.setup_failed) {
		fprintf(stderr, "mini-vmm: %s: %s\n", j.path, j.err);
		return EXIT_SETUP;
	}
	if (j.r.outcome != MVM_OK) {
		fprintf(stderr, "mini-vmm: %s: %s: %s\n", j.path,
			mvm_outcome_name(j.r.outcome), j.r.msg);
		return EXIT_FAILED;
	}
	fwrite(j.out, 1, j.r.out_len, stdout);
	fflush(stdout);
	return j.r.status & 0xff;
}

/* One line per function: "FUNC: ok status=N output-bytes=N" or
 * "FUNC: failed OUTCOME: reason"; exit 0 if every microVM was set up. */
static int cmd_runmany(int argc, char **argv)
{
	struct run_opts o;
	struct job *jobs;
	size_t in_len;
	void *in;
	int i, n, rc = 0;

	if (parse_run_opts(argc, argv, &o))
		return EXIT_SETUP;
	n = argc - optind;
	if (n < 1) {
		usage();
		return EXIT_SETUP;
	}
	in = load_input(&o, &in_len);
	if (!in || mvm_kvm_open(o.device))
		return EXIT_SETUP;
	o.quiet = 1;
	jobs = calloc(n, sizeof(*jobs));
	for (i = 0; i < n; i++) {
		jobs[i].o = &o;
		jobs[i].path = argv[optind + i];
		if (!strncmp(jobs[i].path, "ring0:", 6)) {
			jobs[i].path += 6;
			jobs[i].ring0 = 1;
		}
		jobs[i].in = in;
		jobs[i].in_len = in_len;
		if (pthread_create(&jobs[i].th, NULL, run_job, &jobs[i])) {
			fprintf(stderr, "mini-vmm: pthread_create failed\n");
			return EXIT_SETUP;
		}
	}
	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		pthread_join(j->th, NULL);
		if (j->setup_failed) {
			printf("%s: setup-failed: %s\n", j->path, j->err);
			rc = EXIT_SETUP;
		} else if (j->r.outcome == MVM_OK) {
			printf("%s: ok status=%d output-bytes=%zu output=",
			       j->path, j->r.status, j->r.out_len);
			for (size_t k = 0; k < j->r.out_len && k < 80; k++)
				putchar(j->out[k] >= 32 && j->out[k] < 127 ?
					j->out[k] : '.');
			putchar('\n');
		} else {
			printf("%s: failed %s: %s\n", j->path,
			       mvm_outcome_name(j->r.outcome), j->r.msg);
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return EXIT_SETUP;
	}
	mvm_raise_nofile();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "runmany"))
		return cmd_runmany(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return mvm_bench_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "boot"))
		return mvm_boot_main(argc - 1, argv + 1);
	usage();
	return EXIT_SETUP;
}
