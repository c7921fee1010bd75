/* SPDX-License-Identifier: GPL-2.0 */
/* crt0.S - function entry: 64-bit mode, %rsp set by the VMM; call mvm_start. */
	.text
	.globl _start
	.type _start, @function
_start:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	mvm_start
1:	hlt
	jmp	1b
	.size _start, .-_start
	.section .note.GNU-stack,"",@progbits
