// SPDX-License-Identifier: GPL-2.0
/*
 * hlt_shutdown: without an in-kernel irqchip, HLT exits to userspace with
 * KVM_EXIT_HLT (api.rst) and the next KVM_RUN continues after it; a
 * triple fault ends in KVM_EXIT_SHUTDOWN (vmx.c, handle_triple_fault()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

GUEST_CODE(g_hlt, ".code16", "hlt\n");

/* HLT is KVM_EXIT_HLT with RIP just past the HLT. */
static void hlt_exit(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_hlt);
	struct kvm_regs r;

	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_get_regs(vcpu, &r);
	TEST_ASSERT(r.rip == CODE_GPA + 1, "rip 0x%llx, expected 0x%lx",
		    (unsigned long long)r.rip, CODE_GPA + 1);
}

GUEST_CODE(g_hlt_resume, ".code16",
	"hlt\n"
	"movb $1, %al\n"
	"outb %al, $0x10\n"
	"sti\n"
	"hlt\n"
	"movb $2, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* KVM_RUN after a HLT exit resumes after the HLT, with IF 0 or 1. */
static void hlt_resume(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_hlt_resume);

	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 1, "first OUT");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 2, "second OUT");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

GUEST_CODE(g_hlt_loop, ".code16",
	"movw $100, %cx\n"
	"1: hlt\n"
	"loop 1b\n"
	"movb $0xaa, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* Every HLT of a loop is its own exit. */
static void hlt_loop(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_hlt_loop);
	int i;

	for (i = 0; i < 100; i++)
		vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 0xaa, "after 100 HLTs");
}

GUEST_CODE(g_hlt32, ".code32", "hlt\n");
GUEST_CODE(g_hlt64, ".code64", "hlt\n");

/* HLT exits the same way in 32-bit and 64-bit mode. */
static void hlt_modes(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_vcpu *vcpu2 = vcpu_create(vm, 1);

	vm_load_code(vm, CODE_GPA, g_hlt32);
	vm_load_code(vm, CODE_GPA + 0x10, g_hlt64);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_setup_long(vcpu2, CODE_GPA + 0x10);
	vcpu_run_expect(vcpu2, KVM_EXIT_HLT);
}

/* 32-bit: #UD with an empty IDT. */
GUEST_CODE(g_ud32, ".code32",
	"ud2\n"
	"hlt\n");

static void setup_ud32(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_sregs s;

	vcpu_setup_pm32(vcpu, rip, false);
	vcpu_get_sregs(vcpu, &s);
	s.idt.base = IDT_GPA;
	s.idt.limit = 0;
	vcpu_set_sregs(vcpu, &s);
}

static void triple_fault_pm32(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_GPA, g_ud32);
	setup_ud32(vcpu, CODE_GPA);
	vcpu_run_expect(vcpu, KVM_EXIT_SHUTDOWN);
}

/* 64-bit: divide error with an empty IDT. */
GUEST_CODE(g_de64, ".code64",
	"xorl %ecx, %ecx\n"
	"movl $1, %eax\n"
	"xorl %edx, %edx\n"
	"divl %ecx\n"
	"hlt\n");

static void triple_fault_long(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_sregs s;

	vm_load_code(vm, CODE_GPA, g_de64);
	vcpu_setup_long(vcpu, CODE_GPA);
	vcpu_get_sregs(vcpu, &s);
	s.idt.base = IDT_GPA;
	s.idt.limit = 0;
	vcpu_set_sregs(vcpu, &s);
	vcpu_run_expect(vcpu, KVM_EXIT_SHUTDOWN);
}

/*
 * Long mode, a page fault on an unmapped address with an IDT whose
 * entries are not present: #PF -> #NP -> #DF -> triple fault.
 */
GUEST_CODE(g_pf64, ".code64",
	"movabsq $0x7fff00000000, %rax\n"
	"movq (%rax), %rax\n"
	"hlt\n");

static void triple_fault_page_fault(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_sregs s;

	vm_load_code(vm, CODE_GPA, g_pf64);
	vcpu_setup_long(vcpu, CODE_GPA);
	memset(gpa_to_hva(vm, IDT_GPA), 0, 256);
	vcpu_get_sregs(vcpu, &s);
	s.idt.base = IDT_GPA;
	s.idt.limit = 255;
	vcpu_set_sregs(vcpu, &s);
	vcpu_run_expect(vcpu, KVM_EXIT_SHUTDOWN);
}

/* One vCPU's shutdown does not stop another vCPU of the same VM. */
static void shutdown_is_per_vcpu(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *a = vcpu_create(vm, 0);
	struct kvm_vcpu *b = vcpu_create(vm, 1);

	vm_load_code(vm, CODE_GPA, g_ud32);
	vm_load_code(vm, CODE_GPA + 0x100, g_hlt);
	setup_ud32(a, CODE_GPA);
	vcpu_setup_real(b, CODE_GPA + 0x100);
	vcpu_run_expect(a, KVM_EXIT_SHUTDOWN);
	vcpu_run_expect(b, KVM_EXIT_HLT);
}

static const struct kvm_test tests[] = {
	{ "HLT exits with KVM_EXIT_HLT, rip after it", hlt_exit },
	{ "KVM_RUN after HLT resumes the guest", hlt_resume },
	{ "100 HLTs in a loop are 100 exits", hlt_loop },
	{ "HLT in 32-bit and 64-bit mode", hlt_modes },
	{ "32-bit #UD with empty IDT gives KVM_EXIT_SHUTDOWN",
	  triple_fault_pm32 },
	{ "64-bit #DE with empty IDT gives KVM_EXIT_SHUTDOWN",
	  triple_fault_long },
	{ "64-bit #PF with not-present IDT gives KVM_EXIT_SHUTDOWN",
	  triple_fault_page_fault },
	{ "shutdown of one vCPU leaves the other running",
	  shutdown_is_per_vcpu },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
