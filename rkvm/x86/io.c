// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/x86/io.c - port I/O exits to userspace (KVM_EXIT_IO): IN/OUT of 1, 2
 * or 4 bytes with the data in the page after kvm_run, and the completion
 * of an IN, or a hypercall on the next KVM_RUN.
 */
#include <linux/kvm.h>
#include <linux/string.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "x86/regs.h"
#include "x86/io.h"

/* VM-exit qualification of an I/O instruction (SDM Vol. 3 Table 28-5) */
#define IOQ_SIZE(q)	(((q) & 7) + 1)
#define IOQ_IN(q)	((q) & 8)
#define IOQ_STRING(q)	((q) & 16)
#define IOQ_REP(q)	((q) & 32)
#define IOQ_PORT(q)	((u16)((q) >> 16))

static void rkvm_io_exit(struct rkvm_vcpu *vcpu, u8 dir, u16 port, u8 size,
			 u32 count)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
}

static void *rkvm_pio_data(struct rkvm_vcpu *vcpu)
{
	return vcpu->pio_data;
}

int rkvm_handle_io(struct rkvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	u8 size = IOQ_SIZE(q);
	u16 port = IOQ_PORT(q);

	if (size != 1 && size != 2 && size != 4)
		return rkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   0, NULL);
	if (IOQ_STRING(q))	/* INS/OUTS: not emulated yet */
		return rkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   0, NULL);

	rkvm_skip_instruction(vcpu);
	if (IOQ_IN(q)) {
		vcpu->pio_in_pending = true;
		vcpu->pio_size = size;
		rkvm_io_exit(vcpu, KVM_EXIT_IO_IN, port, size, 1);
	} else {
		u32 val = vcpu->regs[RKVM_RAX];

		memcpy(rkvm_pio_data(vcpu), &val, size);
		rkvm_io_exit(vcpu, KVM_EXIT_IO_OUT, port, size, 1);
	}
	return RKVM_TO_USER;
}

/* Write @val of @size bytes into a GPR as the CPU would (32-bit zero-extends). */
void rkvm_write_gpr_sized(struct rkvm_vcpu *vcpu, int reg, u64 val, u8 size)
{
	unsigned long *p = &vcpu->regs[reg];

	switch (size) {
	case 1:
		*p = (*p & ~0xfful) | (u8)val;
		break;
	case 2:
		*p = (*p & ~0xfffful) | (u16)val;
		break;
	case 4:
		*p = (u32)val;
		break;
	default:
		*p = val;
		break;
	}
}

/*
 * Called at the start of KVM_RUN: finish the instruction whose data
 * userspace has now supplied. Returns 1 to go on, or what KVM_RUN returns.
 */
int rkvm_complete_userspace_exit(struct rkvm_vcpu *vcpu)
{
	if (vcpu->pio_in_pending) {
		u32 val = 0;

		vcpu->pio_in_pending = false;
		memcpy(&val, rkvm_pio_data(vcpu), vcpu->pio_size);
		rkvm_write_gpr_sized(vcpu, RKVM_RAX, val, vcpu->pio_size);
	}
	if (vcpu->hypercall_pending) {
		vcpu->hypercall_pending = false;
		vcpu->regs[RKVM_RAX] = vcpu->run->hypercall.ret;
	}
	return 1;
}
