/* SPDX-License-Identifier: GPL-2.0 */
/* vm.h - one microVM: KVM VM + one vCPU + guest RAM, and running it. */
#ifndef MVM_VM_H
#define MVM_VM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include "elf.h"

struct mvm_snap;

/* How an invocation (or the run up to INIT_DONE) ended. */
enum mvm_outcome {
	MVM_OK,			/* EXIT doorbell rung: status and output valid */
	MVM_INIT_DONE,		/* INIT_DONE doorbell: input may be written */
	MVM_FAULT,		/* guest exception, reported by the IDT stubs */
	MVM_TRIPLE_FAULT,	/* KVM_EXIT_SHUTDOWN */
	MVM_TIMEOUT,		/* --timeout expired */
	MVM_WILD_ACCESS,	/* MMIO exit: access outside RAM */
	MVM_EXIT_FLOOD,		/* more VM exits than the budget */
	MVM_BAD_IO,		/* I/O to an unknown port or a bad doorbell */
	MVM_HALT,		/* HLT without EXIT doorbell */
	MVM_VMM_ERROR,		/* KVM error, entry failure, internal error */
};

struct mvm_result {
	enum mvm_outcome outcome;
	int status;		/* guest exit status (MVM_OK) */
	const uint8_t *out;	/* output, in guest memory (MVM_OK) */
	size_t out_len;
	unsigned long exits;	/* VM exits taken by this run */
	char msg[256];		/* the reason, for everything but MVM_OK */
};

struct mvm_layout {
	uint64_t mem_size, in_addr, in_cap, out_addr, out_cap;
	uint64_t heap_start, heap_end, entry;
};

struct mvm_vm {
	int vmfd, vcpufd;
	struct kvm_run *run;
	uint8_t *mem;
	struct mvm_layout lay;
	uint64_t invocation;
	int quiet;		/* drop guest log lines */
	int ring0;		/* run the function in kernel mode (CPL0) */
};

/* Open the KVM device once per process (path e.g. /dev/kvm). */
int mvm_kvm_open(const char *dev);
int mvm_kvm_fd(void);
int mvm_kvm_run_size(void);	/* KVM_GET_VCPU_MMAP_SIZE */
/* KVM_GET_SUPPORTED_CPUID's table (NULL if the device refused it) */
const struct kvm_cpuid2 *mvm_kvm_cpuid(void);

/* Create VM + vCPU with RAM: anonymous (memfd < 0) or a private,
 * copy-on-write mapping of memfd. Returns 0 or -errno (message printed). */
int mvm_vm_create(struct mvm_vm *vm, uint64_t mem_size, int memfd);
void mvm_vm_destroy(struct mvm_vm *vm);

/* Compute the layout for the ELF, build page tables, descriptors, info
 * page, load the ELF and set the entry registers. */
int mvm_layout(struct mvm_layout *l, uint64_t mem_size, uint64_t in_cap,
	       uint64_t out_cap, const void *elf, size_t elf_len,
	       struct mvm_elf *e, char *err, size_t errlen);
int mvm_vm_setup(struct mvm_vm *vm, const struct mvm_layout *l,
		 const struct mvm_elf *e, const void *elf);

/* Copy the input in (after INIT_DONE). */
int mvm_vm_set_input(struct mvm_vm *vm, const void *in, size_t len);

/* Run until a doorbell ends it, or timeout_ms (0: none) or max_exits. */
void mvm_vm_run(struct mvm_vm *vm, unsigned int timeout_ms,
		unsigned long max_exits, struct mvm_result *r);

/* Run init, write the input and run the invocation. */
void mvm_vm_invoke(struct mvm_vm *vm, const void *in, size_t len,
		   unsigned int timeout_ms, unsigned long max_exits,
		   struct mvm_result *r);

const char *mvm_outcome_name(enum mvm_outcome o);

/* Process-wide set-up for the timeout signal (call once, before threads). */
void mvm_signals_init(void);

#endif
