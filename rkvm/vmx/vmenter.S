/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: save the host's callee-saved
 * registers, load the guest's general-purpose registers, VMLAUNCH or
 * VMRESUME, and at the VM exit (HOST_RIP) store the guest's registers and
 * return to C. Also the trampoline that hands an NMI taken in the guest to
 * the host's NMI handler.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/unwind_hints.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>

/* VMCS field encoding of HOST_RSP (SDM Vol. 3 Appendix B) */
#define RKVM_HOST_RSP	0x00006c14

/* offsets into the guest register array, x86 encoding order */
#define G_RAX	(0 * 8)
#define G_RCX	(1 * 8)
#define G_RDX	(2 * 8)
#define G_RBX	(3 * 8)
#define G_RBP	(5 * 8)
#define G_RSI	(6 * 8)
#define G_RDI	(7 * 8)
#define G_R8	(8 * 8)
#define G_R9	(9 * 8)
#define G_R10	(10 * 8)
#define G_R11	(11 * 8)
#define G_R12	(12 * 8)
#define G_R13	(13 * 8)
#define G_R14	(14 * 8)
#define G_R15	(15 * 8)

.section .noinstr.text, "ax"

/*
 * int rkvm_vmx_enter(unsigned long *regs, int launched)
 * Interrupts are disabled by the caller. Returns 0 after a VM exit,
 * 1 when the VM entry itself failed (VMfailValid/VMfailInvalid).
 * The guest's RSP and RIP live in the VMCS, not in @regs.
 */
SYM_FUNC_START(rkvm_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* the register array, found again at exit */

	/* the CPU reloads this RSP at VM exit: the stack as it is now */
	mov	$RKVM_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfailed

	test	%esi, %esi		/* ZF: first entry after VMCLEAR */

	mov	G_RAX(%rdi), %rax
	mov	G_RCX(%rdi), %rcx
	mov	G_RDX(%rdi), %rdx
	mov	G_RBX(%rdi), %rbx
	mov	G_RBP(%rdi), %rbp
	mov	G_RSI(%rdi), %rsi
	mov	G_R8(%rdi), %r8
	mov	G_R9(%rdi), %r9
	mov	G_R10(%rdi), %r10
	mov	G_R11(%rdi), %r11
	mov	G_R12(%rdi), %r12
	mov	G_R13(%rdi), %r13
	mov	G_R14(%rdi), %r14
	mov	G_R15(%rdi), %r15
	mov	G_RDI(%rdi), %rdi	/* last: it held the array */

	UNWIND_HINT_SAVE
	jz	.Llaunch
	vmresume
	jmp	.Lfailed
.Llaunch:
	vmlaunch
	jmp	.Lfailed

SYM_INNER_LABEL(rkvm_vmx_exit_point, SYM_L_GLOBAL)
	/* RSP is what we wrote to HOST_RSP; every other register is the guest's */
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rdi
	mov	8(%rsp), %rdi
	mov	%rax, G_RAX(%rdi)
	mov	%rcx, G_RCX(%rdi)
	mov	%rdx, G_RDX(%rdi)
	mov	%rbx, G_RBX(%rdi)
	mov	%rbp, G_RBP(%rdi)
	mov	%rsi, G_RSI(%rdi)
	mov	%r8, G_R8(%rdi)
	mov	%r9, G_R9(%rdi)
	mov	%r10, G_R10(%rdi)
	mov	%r11, G_R11(%rdi)
	mov	%r12, G_R12(%rdi)
	mov	%r13, G_R13(%rdi)
	mov	%r14, G_R14(%rdi)
	mov	%r15, G_R15(%rdi)
	pop	G_RDI(%rdi)

	/* leave no guest value in a caller-saved register */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	jmp	.Lout

.Lfailed:
	mov	$1, %eax
.Lout:
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(rkvm_vmx_enter)

.section .text, "ax"

/*
 * void rkvm_do_nmi_irqoff(unsigned long handler)
 * An NMI that arrived in guest mode caused a VM exit and is still owed to
 * the host: call the handler with the frame an NMI would have pushed.
 */
SYM_FUNC_START(rkvm_do_nmi_irqoff)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(rkvm_do_nmi_irqoff)
