/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common code for the rkvm selftests: TAP output, a per-case runner,
 * device/VM/vCPU helpers and guest mode setup (real, 16/32-bit protected,
 * 32-bit paged, long mode).
 */
#ifndef SELFTEST_KVM_UTIL_H
#define SELFTEST_KVM_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/kvm.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE	4096UL

/* ---- test cases and TAP ------------------------------------------------ */

struct kvm_test {
	const char *name;
	void (*fn)(void);
};

/*
 * Runs every case of @tests in its own child process (so a crash or a
 * timeout in one case cannot take the others down) and prints TAP 13.
 * Options: -d PATH (device, else $KVM_DEVICE, else /dev/rust_kvm),
 * -l (list case names), -t N (run case N only).  Returns the exit status.
 */
int ksft_main(int argc, char **argv, const struct kvm_test *tests, int n);

/* The device under test and whether it is rkvm (/dev/rust_kvm). */
extern const char *kvm_device;
bool is_rkvm(void);

/*
 * True when testing a stock KVM (not rkvm) on a host whose kernel is not
 * 6.1: that KVM may legitimately differ from 6.1, the reference.
 */
bool host_kvm_not_6_1(void);
/*
 * For an assertion that encodes KVM 6.1's behaviour where newer KVMs
 * differ: when @cond is false on a non-6.1 stock KVM, skip the case with
 * an explanation instead of failing it.
 */
#define EXPECT_6_1(cond, fmt, ...)					\
	do {								\
		if (!(cond) && host_kvm_not_6_1())			\
			test_skip("KVM 6.1 behaviour, this host's KVM differs: " \
				  fmt, ##__VA_ARGS__);			\
		TEST_ASSERT(cond, fmt, ##__VA_ARGS__);			\
	} while (0)

/* Inside a case: print a TAP diagnostic line ("# ..."). */
void test_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Inside a case: fail or skip the case and leave it. */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void test_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			test_fail(__FILE__, __LINE__, fmt, ##__VA_ARGS__); \
	} while (0)

/* @expr must fail with -1 and errno @err. */
#define EXPECT_ERRNO(expr, err)						\
	do {								\
		long __r;						\
		errno = 0;						\
		__r = (long)(expr);					\
		TEST_ASSERT(__r == -1 && errno == (err),		\
			    "%s: expected -1 errno %s, got %ld errno %s", \
			    #expr, errno_name(err), __r, errno_name(errno)); \
	} while (0)

/* @expr must succeed (>= 0); evaluates to its value. */
#define EXPECT_OK(expr)							\
	({								\
		long __r;						\
		errno = 0;						\
		__r = (long)(expr);					\
		TEST_ASSERT(__r >= 0, "%s: expected success, got %ld errno %s", \
			    #expr, __r, errno_name(errno));		\
		__r;							\
	})

const char *errno_name(int err);
const char *exit_reason_name(uint32_t reason);

/* ---- guest code --------------------------------------------------------- */

/*
 * Assemble a guest code blob into .rodata with gas.  @mode is one of
 * ".code16", ".code32", ".code64".  Code must be position independent
 * (relative jumps only) because it is copied to a guest address.
 */
#define GUEST_CODE(name, mode, text)					\
	extern const unsigned char name[], name##_end[];		\
	asm(".pushsection .rodata\n" mode "\n" #name ":\n" text "\n"	\
	    #name "_end:\n.code64\n.popsection\n")
#define GUEST_CODE_SIZE(name)	((size_t)(name##_end - name))

/* ---- guest memory layout used by the mode helpers ------------------------- */

#define GUEST_MEM_SIZE	0x100000UL	/* slot 0: 1 MiB at GPA 0 */
#define IVT_GPA		0x0000UL	/* real-mode interrupt vector table */
#define GDT_GPA		0x1000UL
#define IDT_GPA		0x1800UL
#define PGTABLE_GPA	0x3000UL	/* 0x3000..0x5fff: page tables */
#define STACK_TOP	0x7000UL
#define CODE_GPA	0x8000UL
#define DATA_GPA	0xa000UL

/* GDT selectors written by the protected/long mode helpers. */
#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18
#define SEL_CODE16	0x20
#define SEL_DATA16	0x28

/* ---- device, VM and vCPU ------------------------------------------------ */

struct kvm_vm {
	int kvm_fd;		/* system fd */
	int fd;			/* VM fd */
	uint8_t *mem;		/* host mapping of slot 0 (GPA 0) */
	uint64_t mem_size;
	int run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	int fd;
	int id;
	struct kvm_run *run;
};

/* Open the device under test (asserts). */
int kvm_open(void);
/* KVM_CHECK_EXTENSION on the system fd; returns the value (asserts >= 0). */
int kvm_check_cap(int kvm_fd, long cap);

/*
 * KVM_GET_MSR_INDEX_LIST or KVM_GET_MSR_FEATURE_INDEX_LIST (@req), sized by
 * its E2BIG answer first (asserts; free() the result).
 */
struct kvm_msr_list *kvm_get_msr_list(int kvm_fd, unsigned long req);
/* Assert that each of @want[@n] is in @l. */
void assert_msrs_listed(const struct kvm_msr_list *l, const uint32_t *want,
			size_t n);

/* Anonymous, page-aligned host memory (asserts). */
void *alloc_host_mem(size_t size);

/*
 * New VM; when @mem_size != 0, slot 0 maps @mem_size bytes at GPA 0,
 * filled with HLT (0xf4) bytes.
 */
struct kvm_vm *vm_create(uint64_t mem_size);
void vm_free(struct kvm_vm *vm);
/* KVM_SET_USER_MEMORY_REGION; returns ioctl's result (no assert). */
int vm_set_region(struct kvm_vm *vm, uint32_t slot, uint32_t flags,
		  uint64_t gpa, uint64_t size, void *hva);
void *gpa_to_hva(struct kvm_vm *vm, uint64_t gpa);
/*
 * A counter of @vm in debugfs (mounting debugfs if needed), or -1: a
 * "name value" line of rkvm's file /sys/kernel/debug/rkvm/<pid>-<n> (this
 * process's newest VM), or the file @name in KVM's directory
 * /sys/kernel/debug/kvm/<pid>-<vm fd>/.
 */
long vm_debugfs_stat(struct kvm_vm *vm, const char *name);
void vm_load(struct kvm_vm *vm, uint64_t gpa, const void *bytes, size_t len);
#define vm_load_code(vm, gpa, name)	\
	vm_load(vm, gpa, name, GUEST_CODE_SIZE(name))

/* New vCPU @id with its kvm_run mapped (asserts). */
struct kvm_vcpu *vcpu_create(struct kvm_vm *vm, int id);
void vcpu_free(struct kvm_vcpu *vcpu);

void vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_set_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
void vcpu_set_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);

/* KVM_SET_CPUID2 with everything from KVM_GET_SUPPORTED_CPUID. */
void vcpu_set_supported_cpuid(struct kvm_vcpu *vcpu);
/* KVM_GET_SUPPORTED_CPUID into a malloc'ed buffer (asserts). */
struct kvm_cpuid2 *kvm_get_supported_cpuid(int kvm_fd);

/* KVM_RUN, asserting that the ioctl itself succeeded. */
void vcpu_run(struct kvm_vcpu *vcpu);
/* KVM_RUN and assert the exit reason. */
void vcpu_run_expect(struct kvm_vcpu *vcpu, uint32_t reason);
/*
 * KVM_RUN and assert a KVM_EXIT_IO OUT of @size bytes, count 1, to @port;
 * returns the value written by the guest.
 */
uint32_t vcpu_run_out(struct kvm_vcpu *vcpu, uint16_t port, int size);
/* Pointer to the data of the current KVM_EXIT_IO. */
void *vcpu_io_data(struct kvm_vcpu *vcpu);
/* Describe the last exit for diagnostics. */
void vcpu_dump_exit(struct kvm_vcpu *vcpu);

/* ---- guest mode setup --------------------------------------------------- */

/*
 * All helpers set rip = @rip (CODE_GPA usually), rsp = STACK_TOP,
 * rflags = 2 and the other GPRs to 0.
 */
void vcpu_setup_real(struct kvm_vcpu *vcpu, uint64_t rip);
void vcpu_setup_pm16(struct kvm_vcpu *vcpu, uint64_t rip);
void vcpu_setup_pm32(struct kvm_vcpu *vcpu, uint64_t rip, bool paging);
/* Also sets the supported CPUID (PAE/LM must be in the guest's CPUID). */
void vcpu_setup_long(struct kvm_vcpu *vcpu, uint64_t rip);

/* Writes the flat GDT used by the helpers into guest memory. */
void vm_write_gdt(struct kvm_vm *vm);
/*
 * A 32-bit IDT at IDT_GPA (loaded into the vCPU's IDTR) whose 256 interrupt
 * gates point at handler_gpa + vector * stride.
 */
void vcpu_write_idt32(struct kvm_vcpu *vcpu, uint32_t handler_gpa,
		      uint32_t stride);

/* ---- counting interrupts in 32-bit guests -------------------------------- */

/*
 * vcpu_setup_irq_counting() points the vCPU's 32-bit IDT (IDT_GPA) at 256
 * stubs. A stub for vectors 0-31 (exceptions) reports the vector on
 * IRQ_EXCEPTION_PORT and halts. Every other stub pushes its vector and runs
 * one common handler, which (with the APIC ID read from the xAPIC page, IDs
 * 0-3) increments count[vector][id] and total[id] (locked), keeps the TSC in
 * tsc[id], reports the vector with an OUT to IRQ_NOTIFY_PORT if its bit is
 * set in notify[], writes the local APIC's EOI register and returns with
 * IRET. The code uses the guest memory from IRQ_STUBS_GPA to 0xefff.
 */
#define IRQ_STUBS_GPA		0xb000UL	/* 256 stubs, 16 bytes each */
#define IRQ_HANDLER_GPA		0xc000UL	/* the common handler */
#define IRQ_DATA_GPA		0xd000UL	/* struct irq_counters */
#define IRQ_NOTIFY_PORT		0x11
#define IRQ_EXCEPTION_PORT	0x13

struct irq_counters {
	uint32_t count[256][4];	/* 0xd000 */
	uint32_t total[4];	/* 0xe000 */
	uint32_t pad[4];
	uint64_t tsc[4];	/* 0xe020 */
	uint32_t notify[8];	/* 0xe040: bitmap of vectors reported */
};

void vcpu_setup_irq_counting(struct kvm_vcpu *vcpu);
/*
 * A VM with an in-kernel irqchip and a 32-bit flat vCPU 0 running @code at
 * CODE_GPA, with the supported CPUID (KVM 6.1 takes the LVT timer's modes
 * from it), DATA_GPA's page zeroed and its interrupts counted.
 */
struct kvm_vcpu *irqchip_counting_guest(const void *code, size_t len);
/*
 * Guest text for those guests: STI;HLT until the interrupt total (IRQ
 * counters, vCPU 0) reaches the dword at @addr, at most @loops halts, IF
 * clear after; and report that total on port 0x10 (4 bytes).
 */
#define IRQ_WAIT_TOTAL(addr, loops)				\
	"mov $" loops ", %ecx\n"					\
	"1: cli\n"						\
	"mov 0xe000, %eax\n"					\
	"cmp " addr ", %eax\n"					\
	"jae 2f\n"						\
	"sti\n"							\
	"hlt\n"							\
	"loop 1b\n"						\
	"2:\n"
#define IRQ_REPORT_TOTAL	"mov 0xe000, %eax\nout %eax, $0x10\n"
struct irq_counters *irq_counters(struct kvm_vm *vm);
/* A counter another thread's guest may be changing. */
#define READ_COUNTER(x)	__atomic_load_n(&(x), __ATOMIC_SEQ_CST)

/* ---- running with a time limit ------------------------------------------- */

/*
 * KVM_RUN until an exit, retrying EAGAIN (KVM returns it once an AP in
 * wait-for-SIPI is woken). Returns false when @ms passed first: a timer
 * signal to this thread made KVM_RUN return EINTR (KVM_EXIT_INTR), which
 * leaves the vCPU in a consistent state (a halted vCPU stays halted).
 */
bool vcpu_run_timeout(struct kvm_vcpu *vcpu, unsigned int ms);
/*
 * Complete the exit KVM_RUN last returned (an OUT, say) without running
 * the guest any further: KVM_RUN with immediate_exit, as api.rst asks
 * before userspace saves the vCPU's state.
 */
void vcpu_complete_io(struct kvm_vcpu *vcpu);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mono_ns(void);
/* Host TSC ticks per millisecond over 100 ms (a guest's TSC runs so). */
uint64_t tsc_per_ms(void);

/* Shorthand: VM with GUEST_MEM_SIZE of memory, vCPU 0, @code at CODE_GPA. */
struct kvm_vcpu *vm_with_real_guest(const void *code, size_t len);
#define real_guest(name)	vm_with_real_guest(name, GUEST_CODE_SIZE(name))

#endif
