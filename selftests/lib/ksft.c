// SPDX-License-Identifier: GPL-2.0
/*
 * TAP 13 output and the per-case runner.  Each case runs in a forked child
 * with an alarm, so that a crash, an assertion or a hang in one case is
 * reported as "not ok" for that case only.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"

#define DEFAULT_DEVICE		"/dev/rust_kvm"
#define DEFAULT_CASE_TIMEOUT	60
#define REASON_LEN		200

const char *kvm_device = DEFAULT_DEVICE;

/* Shared with the case's child: why it skipped. */
static char *skip_reason;

bool is_rkvm(void)
{
	return strcmp(kvm_device, DEFAULT_DEVICE) == 0;
}

bool host_kvm_not_6_1(void)
{
	struct utsname u;

	if (is_rkvm() || uname(&u) < 0)
		return false;
	return strncmp(u.release, "6.1.", 4) != 0;
}

const char *errno_name(int err)
{
	static char buf[32];

	switch (err) {
	case 0:		return "0";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EINTR:	return "EINTR";
	case EIO:	return "EIO";
	case ENXIO:	return "ENXIO";
	case E2BIG:	return "E2BIG";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENFILE:	return "ENFILE";
	case EMFILE:	return "EMFILE";
	case ENOTTY:	return "ENOTTY";
	case ENOSPC:	return "ENOSPC";
	case ERANGE:	return "ERANGE";
	case ENOSYS:	return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

const char *exit_reason_name(uint32_t reason)
{
	static char buf[32];

	switch (reason) {
	case KVM_EXIT_UNKNOWN:		return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_EXCEPTION:	return "KVM_EXIT_EXCEPTION";
	case KVM_EXIT_IO:		return "KVM_EXIT_IO";
	case KVM_EXIT_HYPERCALL:	return "KVM_EXIT_HYPERCALL";
	case KVM_EXIT_DEBUG:		return "KVM_EXIT_DEBUG";
	case KVM_EXIT_HLT:		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:		return "KVM_EXIT_MMIO";
	case KVM_EXIT_IRQ_WINDOW_OPEN:	return "KVM_EXIT_IRQ_WINDOW_OPEN";
	case KVM_EXIT_SHUTDOWN:		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTR:		return "KVM_EXIT_INTR";
	case KVM_EXIT_INTERNAL_ERROR:	return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_X86_RDMSR:	return "KVM_EXIT_X86_RDMSR";
	case KVM_EXIT_X86_WRMSR:	return "KVM_EXIT_X86_WRMSR";
	}
	snprintf(buf, sizeof(buf), "exit reason %u", reason);
	return buf;
}

void test_log(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(KSFT_FAIL);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (skip_reason)
		vsnprintf(skip_reason, REASON_LEN, fmt, ap);
	va_end(ap);
	fflush(stdout);
	_exit(KSFT_SKIP);
}

static int case_timeout(void)
{
	const char *s = getenv("KSFT_CASE_TIMEOUT");
	int t = s ? atoi(s) : 0;

	return t > 0 ? t : DEFAULT_CASE_TIMEOUT;
}

/* Returns KSFT_PASS, KSFT_FAIL or KSFT_SKIP. */
static int run_case(const struct kvm_test *t)
{
	int status, timeout = case_timeout();
	pid_t pid;

	skip_reason[0] = 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	if (pid == 0) {
		alarm(timeout);
		t->fn();
		fflush(stdout);
		_exit(KSFT_PASS);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("# waitpid: %s\n", strerror(errno));
			return KSFT_FAIL;
		}
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGALRM)
			printf("# case timed out after %d s\n", timeout);
		else
			printf("# case killed by signal %d (%s)\n", sig,
			       strsignal(sig));
		return KSFT_FAIL;
	}
	if (!WIFEXITED(status))
		return KSFT_FAIL;
	switch (WEXITSTATUS(status)) {
	case KSFT_PASS:
		return KSFT_PASS;
	case KSFT_SKIP:
		return KSFT_SKIP;
	default:
		return KSFT_FAIL;
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-d DEVICE] [-l] [-t N]\n"
		"  -d DEVICE  KVM device (default $KVM_DEVICE or %s)\n"
		"  -l         list the test cases, one per line\n"
		"  -t N       run only case N (1-based)\n",
		prog, DEFAULT_DEVICE);
	exit(KSFT_FAIL);
}

int ksft_main(int argc, char **argv, const struct kvm_test *tests, int n)
{
	int i, opt, only = 0, pass = 0, fail = 0, skip = 0, fd;
	const char *env = getenv("KVM_DEVICE");
	bool list = false;

	if (env && *env)
		kvm_device = env;
	while ((opt = getopt(argc, argv, "d:lt:h")) != -1) {
		switch (opt) {
		case 'd':
			kvm_device = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 't':
			only = atoi(optarg);
			if (only < 1 || only > n)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (list) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return KSFT_PASS;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");

	fd = open(kvm_device, O_RDWR);
	if (fd < 0) {
		printf("1..0 # SKIP cannot open %s: %s\n", kvm_device,
		       strerror(errno));
		return KSFT_SKIP;
	}
	close(fd);

	skip_reason = mmap(NULL, REASON_LEN, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return KSFT_FAIL;
	}

	printf("1..%d\n", only ? 1 : n);
	printf("# device %s%s\n", kvm_device, is_rkvm() ? " (rkvm)" : "");
	for (i = 0; i < n; i++) {
		int num = only ? 1 : i + 1;

		if (only && i + 1 != only)
			continue;
		switch (run_case(&tests[i])) {
		case KSFT_PASS:
			printf("ok %d %s\n", num, tests[i].name);
			pass++;
			break;
		case KSFT_SKIP:
			printf("ok %d %s # SKIP %s\n", num, tests[i].name,
			       skip_reason[0] ? skip_reason : "");
			skip++;
			break;
		default:
			printf("not ok %d %s\n", num, tests[i].name);
			fail++;
			break;
		}
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       pass, fail, skip);
	return fail ? KSFT_FAIL : KSFT_PASS;
}
