// SPDX-License-Identifier: GPL-2.0
/*
 * Device, VM, vCPU and guest-mode helpers.  Every helper that is not
 * documented as returning an ioctl result asserts success, so tests only
 * spell out the calls whose failure is the point of the test.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "kvm_util.h"

#define X86_CR0_PE	(1UL << 0)
#define X86_CR0_ET	(1UL << 4)
#define X86_CR0_NE	(1UL << 5)
#define X86_CR0_WP	(1UL << 16)
#define X86_CR0_PG	(1UL << 31)
#define X86_CR4_PAE	(1UL << 5)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)

int kvm_open(void)
{
	int fd = open(kvm_device, O_RDWR | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open %s: %s", kvm_device, strerror(errno));
	return fd;
}

int kvm_check_cap(int kvm_fd, long cap)
{
	int r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap);

	TEST_ASSERT(r >= 0, "KVM_CHECK_EXTENSION(%ld): %s", cap,
		    errno_name(errno));
	return r;
}

void *alloc_host_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap %zu bytes: %s", size,
		    strerror(errno));
	return p;
}

int vm_set_region(struct kvm_vm *vm, uint32_t slot, uint32_t flags,
		  uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

struct kvm_vm *vm_create(uint64_t mem_size)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "out of memory");
	vm->kvm_fd = kvm_open();
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	TEST_ASSERT(vm->fd >= 0, "KVM_CREATE_VM: %s", errno_name(errno));
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(vm->run_size >= (int)sizeof(struct kvm_run),
		    "KVM_GET_VCPU_MMAP_SIZE: got %d (%s), need >= %zu",
		    vm->run_size, errno_name(errno), sizeof(struct kvm_run));
	if (mem_size) {
		vm->mem = alloc_host_mem(mem_size);
		vm->mem_size = mem_size;
		/*
		 * Fill with HLT: a guest that strays into memory nobody wrote
		 * stops at once with KVM_EXIT_HLT instead of spinning (under
		 * Bochs a spin with IF=0 would hang the whole machine).
		 */
		memset(vm->mem, 0xf4, mem_size);
		TEST_ASSERT(vm_set_region(vm, 0, 0, 0, mem_size, vm->mem) == 0,
			    "KVM_SET_USER_MEMORY_REGION slot 0 size 0x%llx: %s",
			    (unsigned long long)mem_size, errno_name(errno));
	}
	return vm;
}

void vm_free(struct kvm_vm *vm)
{
	close(vm->fd);
	close(vm->kvm_fd);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	free(vm);
}

void *gpa_to_hva(struct kvm_vm *vm, uint64_t gpa)
{
	TEST_ASSERT(gpa < vm->mem_size, "GPA 0x%llx outside slot 0",
		    (unsigned long long)gpa);
	return vm->mem + gpa;
}

void vm_load(struct kvm_vm *vm, uint64_t gpa, const void *bytes, size_t len)
{
	TEST_ASSERT(gpa + len <= vm->mem_size, "load 0x%llx+%zu outside slot 0",
		    (unsigned long long)gpa, len);
	memcpy(vm->mem + gpa, bytes, len);
}

struct kvm_vcpu *vcpu_create(struct kvm_vm *vm, int id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	TEST_ASSERT(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU(%d): %s", id,
		    errno_name(errno));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap vCPU %d kvm_run: %s", id,
		    strerror(errno));
	return vcpu;
}

void vcpu_free(struct kvm_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->vm->run_size);
	close(vcpu->fd);
	free(vcpu);
}

void vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	TEST_ASSERT(ioctl(vcpu->fd, KVM_GET_REGS, regs) == 0,
		    "KVM_GET_REGS: %s", errno_name(errno));
}

void vcpu_set_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_REGS, regs) == 0,
		    "KVM_SET_REGS: %s", errno_name(errno));
}

void vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	TEST_ASSERT(ioctl(vcpu->fd, KVM_GET_SREGS, sregs) == 0,
		    "KVM_GET_SREGS: %s", errno_name(errno));
}

void vcpu_set_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_SREGS, sregs) == 0,
		    "KVM_SET_SREGS: %s", errno_name(errno));
}

struct kvm_cpuid2 *kvm_get_supported_cpuid(int kvm_fd)
{
	int nent = 256;
	struct kvm_cpuid2 *c;

	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		TEST_ASSERT(c, "out of memory");
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		TEST_ASSERT(errno == E2BIG && nent < 4096,
			    "KVM_GET_SUPPORTED_CPUID nent %d: %s", nent,
			    errno_name(errno));
		free(c);
		nent *= 2;
	}
}

void vcpu_set_supported_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid(vcpu->vm->kvm_fd);

	TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_CPUID2, c) == 0,
		    "KVM_SET_CPUID2 (%u supported entries): %s", c->nent,
		    errno_name(errno));
	free(c);
}

void vcpu_dump_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;

	test_log("exit %s (%u)", exit_reason_name(run->exit_reason),
		 run->exit_reason);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		test_log("  io %s port 0x%x size %u count %u",
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size, run->io.count);
		break;
	case KVM_EXIT_MMIO:
		test_log("  mmio %s gpa 0x%llx len %u",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		test_log("  hardware_entry_failure_reason 0x%llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		test_log("  internal error suberror %u", run->internal.suberror);
		break;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0)
		test_log("  rip 0x%llx rax 0x%llx rflags 0x%llx",
			 (unsigned long long)regs.rip,
			 (unsigned long long)regs.rax,
			 (unsigned long long)regs.rflags);
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int r;

	do {
		r = ioctl(vcpu->fd, KVM_RUN, 0);
	} while (r < 0 && errno == EINTR && !vcpu->run->immediate_exit);
	TEST_ASSERT(r == 0, "KVM_RUN: expected success, got %s",
		    errno_name(errno));
}

void vcpu_run_expect(struct kvm_vcpu *vcpu, uint32_t reason)
{
	vcpu_run(vcpu);
	if (vcpu->run->exit_reason != reason) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "expected exit %s, got %s",
			    exit_reason_name(reason),
			    exit_reason_name(vcpu->run->exit_reason));
	}
}

void *vcpu_io_data(struct kvm_vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

uint32_t vcpu_run_out(struct kvm_vcpu *vcpu, uint16_t port, int size)
{
	struct kvm_run *run = vcpu->run;
	uint32_t v = 0;

	vcpu_run_expect(vcpu, KVM_EXIT_IO);
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != port ||
	    run->io.size != size || run->io.count != 1) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "expected OUT port 0x%x size %d count 1, got %s port 0x%x size %u count %u",
			    port, size,
			    run->io.direction == KVM_EXIT_IO_OUT ? "OUT" : "IN",
			    run->io.port, run->io.size, run->io.count);
	}
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset + size <=
		    (uint64_t)vcpu->vm->run_size,
		    "io.data_offset 0x%llx outside the kvm_run mapping",
		    (unsigned long long)run->io.data_offset);
	memcpy(&v, vcpu_io_data(vcpu), size);
	return v;
}

/* ---- modes -------------------------------------------------------------- */

static void seg(struct kvm_segment *s, uint16_t sel, uint32_t limit,
		uint8_t type, bool db, bool l, bool g)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = limit;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = db;
	s->l = l;
	s->g = g;
}

static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access,
			  uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) |
	       ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

void vm_write_gdt(struct kvm_vm *vm)
{
	uint64_t *gdt = gpa_to_hva(vm, GDT_GPA);

	gdt[0] = 0;
	/* 0x9b: present, code, exec/read, accessed; 0x93: data rw, accessed */
	gdt[SEL_CODE32 >> 3] = gdt_entry(0, 0xfffff, 0x9b, 0xc); /* G, D */
	gdt[SEL_DATA >> 3] = gdt_entry(0, 0xfffff, 0x93, 0xc);
	gdt[SEL_CODE64 >> 3] = gdt_entry(0, 0xfffff, 0x9b, 0xa); /* G, L */
	gdt[SEL_CODE16 >> 3] = gdt_entry(0, 0xffff, 0x9b, 0x0);
	gdt[SEL_DATA16 >> 3] = gdt_entry(0, 0xffff, 0x93, 0x0);
}

static void setup_regs(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = STACK_TOP;
	regs.rflags = 0x2;
	vcpu_set_regs(vcpu, &regs);
}

void vcpu_setup_real(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_sregs sregs;

	vcpu_get_sregs(vcpu, &sregs);
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	vcpu_set_sregs(vcpu, &sregs);
	setup_regs(vcpu, rip);
}

static void set_data_segs(struct kvm_sregs *sregs, struct kvm_segment *d)
{
	sregs->ds = *d;
	sregs->es = *d;
	sregs->fs = *d;
	sregs->gs = *d;
	sregs->ss = *d;
}

static void set_gdt(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	vm_write_gdt(vcpu->vm);
	sregs->gdt.base = GDT_GPA;
	sregs->gdt.limit = 6 * 8 - 1;
}

void vcpu_setup_pm16(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_sregs sregs;
	struct kvm_segment d;

	vcpu_get_sregs(vcpu, &sregs);
	set_gdt(vcpu, &sregs);
	seg(&sregs.cs, SEL_CODE16, 0xffff, 0xb, false, false, false);
	seg(&d, SEL_DATA16, 0xffff, 0x3, false, false, false);
	set_data_segs(&sregs, &d);
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	vcpu_set_sregs(vcpu, &sregs);
	setup_regs(vcpu, rip);
}

/*
 * 32-bit paging: page directory at PGTABLE_GPA, one page table at
 * PGTABLE_GPA + 0x1000 identity-mapping the first 4 MiB with 4 KiB pages
 * (no CR4.PSE, so nothing depends on the guest's CPUID).
 */
static void write_pt32(struct kvm_vm *vm)
{
	uint32_t *pd = gpa_to_hva(vm, PGTABLE_GPA);
	uint32_t *pt = gpa_to_hva(vm, PGTABLE_GPA + 0x1000);
	int i;

	memset(pd, 0, PAGE_SIZE);
	pd[0] = (PGTABLE_GPA + 0x1000) | 0x3;	/* present, writable */
	for (i = 0; i < 1024; i++)
		pt[i] = (i << 12) | 0x3;
}

void vcpu_setup_pm32(struct kvm_vcpu *vcpu, uint64_t rip, bool paging)
{
	struct kvm_sregs sregs;
	struct kvm_segment d;

	vcpu_get_sregs(vcpu, &sregs);
	set_gdt(vcpu, &sregs);
	seg(&sregs.cs, SEL_CODE32, 0xffffffff, 0xb, true, false, true);
	seg(&d, SEL_DATA, 0xffffffff, 0x3, true, false, true);
	set_data_segs(&sregs, &d);
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	if (paging) {
		write_pt32(vcpu->vm);
		sregs.cr3 = PGTABLE_GPA;
		sregs.cr0 |= X86_CR0_PG | X86_CR0_WP;
	}
	vcpu_set_sregs(vcpu, &sregs);
	setup_regs(vcpu, rip);
}

/*
 * 4-level paging: PML4 at PGTABLE_GPA, PDPT at +0x1000, PD at +0x2000
 * identity-mapping the first 1 GiB with 2 MiB pages.
 */
static void write_pt64(struct kvm_vm *vm)
{
	uint64_t *pml4 = gpa_to_hva(vm, PGTABLE_GPA);
	uint64_t *pdpt = gpa_to_hva(vm, PGTABLE_GPA + 0x1000);
	uint64_t *pd = gpa_to_hva(vm, PGTABLE_GPA + 0x2000);
	int i;

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	pml4[0] = (PGTABLE_GPA + 0x1000) | 0x3;
	pdpt[0] = (PGTABLE_GPA + 0x2000) | 0x3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* present, rw, 2M */
}

void vcpu_setup_long(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_sregs sregs;
	struct kvm_segment d;

	vcpu_set_supported_cpuid(vcpu);
	vcpu_get_sregs(vcpu, &sregs);
	set_gdt(vcpu, &sregs);
	seg(&sregs.cs, SEL_CODE64, 0xffffffff, 0xb, false, true, true);
	seg(&d, SEL_DATA, 0xffffffff, 0x3, true, false, true);
	set_data_segs(&sregs, &d);
	write_pt64(vcpu->vm);
	sregs.cr3 = PGTABLE_GPA;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		    X86_CR0_PG;
	vcpu_set_sregs(vcpu, &sregs);
	setup_regs(vcpu, rip);
}

struct kvm_vcpu *vm_with_real_guest(const void *code, size_t len)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load(vm, CODE_GPA, code, len);
	vcpu_setup_real(vcpu, CODE_GPA);
	return vcpu;
}

/* rkvm names its VMs' stats files <pid>-<n>: this process's newest one */
static bool rkvm_newest_vm_file(char *name, size_t size)
{
	DIR *dir = opendir("/sys/kernel/debug/rkvm");
	long best = -1, n;
	char prefix[32];
	struct dirent *d;
	size_t plen;

	if (!dir)
		return false;
	plen = snprintf(prefix, sizeof(prefix), "%d-", getpid());
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, prefix, plen))
			continue;
		n = strtol(d->d_name + plen, NULL, 10);
		if (n > best) {
			best = n;
			snprintf(name, size, "%s", d->d_name);
		}
	}
	closedir(dir);
	return best >= 0;
}

/* rkvm: the value on the "@name value" line of its VM's stats file */
static long rkvm_vm_stat(const char *name)
{
	char file[300], path[400], key[64];
	long v = -1, val;
	FILE *f;

	if (!rkvm_newest_vm_file(file, sizeof(file)))
		return -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/rkvm/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			v = val;
			break;
		}
	}
	fclose(f);
	return v;
}

long vm_debugfs_stat(struct kvm_vm *vm, const char *name)
{
	char path[300];
	long v = -1;
	FILE *f;

	if (access("/sys/kernel/debug/kvm", F_OK) &&
	    access("/sys/kernel/debug/rkvm", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (is_rkvm())
		return rkvm_vm_stat(name);
	/* KVM: one file per statistic in the VM's directory */
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void vcpu_write_idt32(struct kvm_vcpu *vcpu, uint32_t handler_gpa,
		      uint32_t stride)
{
	uint32_t *idt = gpa_to_hva(vcpu->vm, IDT_GPA);
	struct kvm_sregs s;
	int v;

	for (v = 0; v < 256; v++) {
		uint32_t off = handler_gpa + v * stride;

		idt[v * 2] = (SEL_CODE32 << 16) | (off & 0xffff);
		idt[v * 2 + 1] = (off & 0xffff0000) | 0x8e00;
	}
	vcpu_get_sregs(vcpu, &s);
	s.idt.base = IDT_GPA;
	s.idt.limit = 256 * 8 - 1;
	vcpu_set_sregs(vcpu, &s);
}

struct kvm_msr_list *kvm_get_msr_list(int kvm_fd, unsigned long req)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	EXPECT_ERRNO(ioctl(kvm_fd, req, &probe), E2BIG);
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	TEST_ASSERT(l, "out of memory");
	l->nmsrs = probe.nmsrs;
	EXPECT_OK(ioctl(kvm_fd, req, l));
	return l;
}

void assert_msrs_listed(const struct kvm_msr_list *l, const uint32_t *want,
			size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < l->nmsrs; j++)
			if (l->indices[j] == want[i])
				break;
		TEST_ASSERT(j < l->nmsrs, "MSR 0x%x is not in the list",
			    want[i]);
	}
}

/*
 * The common interrupt handler (see kvm_util.h); the absolute addresses
 * are IRQ_DATA_GPA's fields. Entered from a stub with the vector pushed.
 */
GUEST_CODE(g_irq_common, ".code32",
	"push %eax\n"
	"push %ebx\n"
	"push %ecx\n"
	"push %edx\n"
	"mov 0xfee00020, %ebx\n"	/* APIC ID */
	"shr $24, %ebx\n"
	"and $3, %ebx\n"
	"rdtsc\n"
	"mov %eax, 0xe020(,%ebx,8)\n"
	"mov %edx, 0xe024(,%ebx,8)\n"
	"mov 16(%esp), %eax\n"		/* the vector */
	"mov %eax, %ecx\n"
	"shl $4, %ecx\n"
	"lock incl 0xd000(%ecx,%ebx,4)\n"
	"lock incl 0xe000(,%ebx,4)\n"
	"bt %eax, 0xe040\n"
	"jnc 1f\n"
	"out %al, $0x11\n"
	"1: movl $0, 0xfee000b0\n"	/* EOI */
	"pop %edx\n"
	"pop %ecx\n"
	"pop %ebx\n"
	"pop %eax\n"
	"add $4, %esp\n"
	"iret\n");

void vcpu_setup_irq_counting(struct kvm_vcpu *vcpu)
{
	uint8_t *stubs = gpa_to_hva(vcpu->vm, IRQ_STUBS_GPA);
	int v;

	for (v = 0; v < 256; v++) {
		uint8_t *p = stubs + v * 16;
		int32_t rel = IRQ_HANDLER_GPA - (IRQ_STUBS_GPA + v * 16 + 10);

		memset(p, 0xf4, 16);
		if (v < 32) {
			p[0] = 0xb0;			/* mov $v, %al */
			p[1] = v;
			p[2] = 0xe6;			/* out %al, $port */
			p[3] = IRQ_EXCEPTION_PORT;
			p[4] = 0xfa;			/* cli; hlt */
			continue;
		}
		p[0] = 0x68;				/* push $v */
		memcpy(p + 1, &(uint32_t){ v }, 4);
		p[5] = 0xe9;				/* jmp handler */
		memcpy(p + 6, &rel, 4);
	}
	vm_load_code(vcpu->vm, IRQ_HANDLER_GPA, g_irq_common);
	vcpu_write_idt32(vcpu, IRQ_STUBS_GPA, 16);
}

struct irq_counters *irq_counters(struct kvm_vm *vm)
{
	return gpa_to_hva(vm, IRQ_DATA_GPA);
}

static __thread struct kvm_run *timed_run;

static void run_timer_signal(int sig)
{
	(void)sig;
	if (timed_run)
		timed_run->immediate_exit = 1;
}

bool vcpu_run_timeout(struct kvm_vcpu *vcpu, unsigned int ms)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		.it_value = { ms / 1000, (ms % 1000) * 1000000L },
	};
	struct sigaction sa = { .sa_handler = run_timer_signal };
	int r, err;
	timer_t t;

	/* no SA_RESTART: the signal makes KVM_RUN return EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sev._sigev_un._tid = gettid();	/* sigev_notify_thread_id */
	vcpu->run->immediate_exit = 0;
	timed_run = vcpu->run;
	TEST_ASSERT(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0,
		    "timer_create: %s", strerror(errno));
	TEST_ASSERT(timer_settime(t, 0, &its, NULL) == 0, "timer_settime: %s",
		    strerror(errno));
	do {
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		err = errno;
	} while (r < 0 && err == EAGAIN);
	timer_delete(t);
	timed_run = NULL;
	vcpu->run->immediate_exit = 0;
	if (r < 0 && err == EINTR)
		return false;
	TEST_ASSERT(r == 0, "KVM_RUN: expected success, got %s",
		    errno_name(err));
	return true;
}

void vcpu_complete_io(struct kvm_vcpu *vcpu)
{
	int r;

	vcpu->run->immediate_exit = 1;
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	vcpu->run->immediate_exit = 0;
	TEST_ASSERT(r == -1 && errno == EINTR,
		    "KVM_RUN with immediate_exit: %d (%s), expected EINTR", r,
		    errno_name(errno));
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t tsc_per_ms(void)
{
	uint64_t t0 = mono_ns(), c0 = __rdtsc(), t1, c1;

	usleep(100000);
	t1 = mono_ns();
	c1 = __rdtsc();
	return (c1 - c0) * 1000000 / (t1 - t0);
}

struct kvm_vcpu *irqchip_counting_guest(const void *code, size_t len)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = vcpu_create(vm, 0);
	vcpu_set_supported_cpuid(vcpu);
	vm_load(vm, CODE_GPA, code, len);
	memset(gpa_to_hva(vm, DATA_GPA), 0, 0x1000);
	memset(irq_counters(vm), 0, sizeof(struct irq_counters));
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	vcpu_setup_irq_counting(vcpu);
	return vcpu;
}
