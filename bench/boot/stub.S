/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/boot/stub.S - 32-bit entry stub of the bench's "fast bzImage".
 *
 * Debian's bzImage carries an XZ-compressed vmlinux that takes ~44 s to
 * decompress on Bochs' emulated CPU. bench/boot/mkfastbz replaces the
 * protected-mode part of the bzImage (everything after the real-mode setup
 * sectors) with this stub followed by the *uncompressed* kernel image, laid
 * out flat by physical address.
 *
 * The real-mode setup code (Debian's own) runs first, as usual: it fills
 * boot_params, enters 32-bit protected mode with flat __BOOT_CS/__BOOT_DS
 * segments and jumps to code32_start (0x100000) with %esi = &boot_params
 * and interrupts disabled. That is where this stub is loaded (it is linked
 * at 0x100000). It then:
 *   1. copies the flat kernel image that follows it to its physical load
 *      address (0x1000000 for Debian's kernel; the areas overlap, so the
 *      copy runs backwards),
 *   2. zeroes the tail of the image that mkfastbz trimmed (bss, brk, ...),
 *   3. enables PAE, long mode and paging on identity-mapped page tables
 *      covering the low 4 GiB with 2 MiB pages (the tables live inside the
 *      stub, below the kernel, so the copy never overwrites them),
 *   4. loads a GDT with a 64-bit __BOOT_CS (0x10) and flat __BOOT_DS (0x18)
 *      and jumps to the kernel's 64-bit entry (startup_64, physical) with
 *      %rsi = &boot_params, as Documentation/x86/boot.rst's 64-bit boot
 *      protocol asks.
 * The parameter block is filled in by mkfastbz (found by its magic).
 *
 * The stub also has the 64-bit boot protocol's entry at offset 0x200
 * (entry64 below), so the fast bzImage can be started by a 64-bit loader
 * such as tools/mini-vmm's boot mode: called in long mode with the low
 * memory identity-mapped, a GDT with __BOOT_CS/__BOOT_DS, interrupts off and
 * %rsi = &boot_params. It loads its own page tables and GDT (the loader's
 * may lie where the kernel is copied to), then does steps 1, 2 and 4 in
 * 64-bit code. Either way the kernel is entered in the same state.
 */
	.section .text, "ax"
	.code32
	.globl _start
_start:
	jmp	real_start

	.balign 16
params:
	.ascii	"RKVMSTB1"		/* magic, mkfastbz looks for it */
p_load:	.long	0			/* physical load address of the image */
p_off:	.long	0			/* offset of the image from _start */
p_ilen:	.long	0			/* bytes of image present (multiple of 4) */
p_mlen:	.long	0			/* bytes the image occupies in memory */
p_entry: .long	0			/* physical 64-bit entry point */
	.long	0, 0, 0

real_start:
	cli
	cld
	movl	%esi, %ebp		/* boot_params, kept in %ebp */

	/* 1. copy the image to p_load; backwards when the destination is above */
	movl	p_ilen, %ecx
	shrl	$2, %ecx
	movl	$_start, %esi
	addl	p_off, %esi
	movl	p_load, %edi
	cmpl	%esi, %edi
	jbe	1f
	movl	p_ilen, %eax
	leal	-4(%esi,%eax), %esi
	leal	-4(%edi,%eax), %edi
	std
1:	rep movsl
	cld

	/* 2. zero [p_load + p_ilen, p_load + p_mlen) */
	movl	p_load, %edi
	addl	p_ilen, %edi
	movl	p_mlen, %ecx
	subl	p_ilen, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* 3. PAE, page tables, EFER.LME, paging */
	movl	%cr4, %eax
	orl	$0x20, %eax		/* CR4.PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx	/* IA32_EFER */
	rdmsr
	orl	$0x100, %eax		/* LME */
	wrmsr
	lgdt	gdt_desc
	movl	%cr0, %eax
	orl	$0x80000001, %eax	/* PG | PE */
	movl	%eax, %cr0

	/* 4. into 64-bit mode through the new __BOOT_CS */
	ljmp	$0x10, $start64

	.code64
start64:
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%ebp, %esi		/* zero-extends: %rsi = &boot_params */
	movl	p_entry, %eax
	jmp	*%rax

	/*
	 * The 64-bit boot protocol's entry: load address + 0x200. Only the
	 * 64-bit path's code goes here; its data (params, tables) is shared.
	 */
	.org	0x200
	.code64
	.globl	entry64
entry64:
	cli
	cld
	movq	%rsi, %rbp		/* boot_params, kept in %rbp */
	leaq	pml4(%rip), %rax	/* our identity map of the low 4 GiB */
	movq	%rax, %cr3
	lgdt	gdt_desc64(%rip)
	ljmpl	*far64(%rip)		/* reload CS = __BOOT_CS (m16:32) */
1:	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* 1. copy the image to p_load, 8 bytes at a time (p_ilen % 16 == 0) */
	movl	p_ilen(%rip), %ecx
	shrl	$3, %ecx
	leaq	_start(%rip), %rsi
	movl	p_off(%rip), %eax
	addq	%rax, %rsi
	movl	p_load(%rip), %edi
	cmpq	%rsi, %rdi
	jbe	2f
	movl	p_ilen(%rip), %eax
	leaq	-8(%rsi,%rax), %rsi
	leaq	-8(%rdi,%rax), %rdi
	std
2:	rep movsq
	cld

	/* 2. zero [p_load + p_ilen, p_load + p_mlen) */
	movl	p_load(%rip), %edi
	movl	p_ilen(%rip), %eax
	addq	%rax, %rdi
	movl	p_mlen(%rip), %ecx
	subl	%eax, %ecx
	shrl	$3, %ecx
	xorl	%eax, %eax
	rep stosq

	/* 4. the kernel's startup_64 with %rsi = &boot_params */
	movq	%rbp, %rsi
	movl	p_entry(%rip), %eax
	jmp	*%rax

	.balign 8
far64:
	.long	1b
	.word	0x10
gdt_desc64:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.balign 16
gdt:
	.quad	0			/* 0x00 null */
	.quad	0			/* 0x08 unused */
	.quad	0x00af9a000000ffff	/* 0x10 __BOOT_CS: 64-bit code, exec/read */
	.quad	0x00cf92000000ffff	/* 0x18 __BOOT_DS: flat 4 GiB, read/write */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	/* identity map of the low 4 GiB: PML4 -> PDPT -> 4 page directories */
	.balign 4096
pml4:
	.quad	pdpt + 0x3		/* present, writable */
	.fill	511, 8, 0
pdpt:
	.quad	pd + 0x0003
	.quad	pd + 0x1003
	.quad	pd + 0x2003
	.quad	pd + 0x3003
	.fill	508, 8, 0
pd:
	.set	i, 0
	.rept	2048
	.quad	(i << 21) + 0x83	/* present, writable, 2 MiB page */
	.set	i, i + 1
	.endr
	.balign 4096
