// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits to userspace (KVM_EXIT_IO): IN/OUT of 1, 2
 * or 4 bytes with the data in the page after kvm_run, and the completion
 * of an IN, an INS or an MMIO read on the next KVM_RUN.
 */
#include <linux/kvm.h>
#include <linux/string.h>
#include <linux/mm.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "x86/regs.h"
#include "x86/io.h"
#include "x86/gmem.h"
#include "x86/emulate.h"
#include "x86/pic.h"
#include "x86/pit.h"

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

static int rkvm_handle_string_io(struct rkvm_vcpu *vcpu, unsigned long q,
				 u8 size, u16 port);

int rkvm_handle_io(struct rkvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	u8 size = IOQ_SIZE(q);
	u16 port = IOQ_PORT(q);

	if (size != 1 && size != 2 && size != 4)
		return rkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   0, NULL);
	if (IOQ_STRING(q))
		return rkvm_handle_string_io(vcpu, q, size, port);

	rkvm_skip_instruction(vcpu);
	/* the in-kernel PICs and PIT answer their own ports */
	if (size == 1 && (vcpu->kvm->pic || vcpu->kvm->pit)) {
		u8 v = vcpu->regs[RKVM_RAX];

		if (rkvm_pic_io(vcpu->kvm, port, IOQ_IN(q), &v) ||
		    rkvm_pit_io(vcpu->kvm, port, IOQ_IN(q), &v)) {
			if (IOQ_IN(q))
				rkvm_write_reg(vcpu->regs, RKVM_RAX, 0, 1, v);
			return RKVM_REENTER;
		}
	}
	if (IOQ_IN(q)) {
		vcpu->pio_in_pending = true;
		vcpu->pio_size = size;
		rkvm_io_exit(vcpu, KVM_EXIT_IO_IN, port, size, 1);
	} else {
		u32 val = vcpu->regs[RKVM_RAX];

		/* a doorbell with an eventfd: signal it and stay in the guest */
		if (rkvm_ioeventfd_write(vcpu->kvm, true, port, size, val))
			return RKVM_REENTER;
		memcpy(rkvm_pio_data(vcpu), &val, size);
		rkvm_io_exit(vcpu, KVM_EXIT_IO_OUT, port, size, 1);
	}
	return RKVM_TO_USER;
}

static const unsigned long rkvm_seg_base_field[] = {
	GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE,
	GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE,
};

/* Linear address of element @i of a string operation. */
static u64 rkvm_string_lin(struct rkvm_vcpu *vcpu, u32 i)
{
	struct rkvm_string_io *sio = &vcpu->string_io;
	u64 off = sio->index + (sio->df ? -(u64)i : (u64)i) * sio->size;

	off &= sio->addr_mask;
	if (rkvm_is_64bit_code(vcpu))
		return sio->seg_base + off;
	return (u32)(sio->seg_base + off);
}

/* Step RSI/RDI and RCX past @n elements, as wide as the address size. */
static void rkvm_string_advance(struct rkvm_vcpu *vcpu, u32 n, bool rep)
{
	struct rkvm_string_io *sio = &vcpu->string_io;
	u64 delta = (u64)n * sio->size;
	u8 asz = sio->addr_mask == 0xffff ? 2 : sio->addr_mask == 0xffffffff ? 4 : 8;
	u64 *idx = &vcpu->regs[sio->in ? RKVM_RDI : RKVM_RSI];
	u64 rcx = vcpu->regs[RKVM_RCX] & sio->addr_mask;

	rkvm_write_reg(vcpu->regs, sio->in ? RKVM_RDI : RKVM_RSI, 0, asz,
		       sio->df ? *idx - delta : *idx + delta);
	if (rep) {
		rcx -= n;
		rkvm_write_reg(vcpu->regs, RKVM_RCX, 0, asz, rcx);
	}
	/* a REP with elements left runs again: the next exit takes more */
	if (!rep || !rcx)
		rkvm_skip_instruction(vcpu);
}

/*
 * INS/OUTS, with or without REP. OUTS gathers its element now; INS stores
 * what userspace supplied at completion.
 */
static int rkvm_handle_string_io(struct rkvm_vcpu *vcpu, unsigned long q,
				 u8 size, u16 port)
{
	struct rkvm_string_io *sio = &vcpu->string_io;
	bool rep = IOQ_REP(q);
	u32 info = 0, n, i, pf_err;
	int seg, asz_code, r;
	u64 count, pf_addr;

	if (rkvm_vmx.has_ins_outs_info) {
		info = vmcs_read32(VMX_INSTRUCTION_INFO);
		asz_code = (info >> 7) & 7;
		seg = (info >> 15) & 7;
	} else {
		asz_code = rkvm_is_64bit_code(vcpu) ? 2 :
			   (vmcs_read32(GUEST_CS_AR_BYTES) & (1 << 14)) ? 1 : 0;
		seg = 3;	/* DS: prefixes unknown without the info field */
	}
	if (asz_code > 2 || seg > 5)
		return rkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   0, NULL);
	sio->in = IOQ_IN(q);
	if (sio->in)
		seg = 0;	/* INS always stores through ES */
	sio->size = size;
	sio->port = port;
	sio->addr_mask = asz_code == 0 ? 0xffff : asz_code == 1 ? 0xffffffff : ~0ull;
	sio->df = rkvm_rflags(vcpu) & X86_EFLAGS_DF;
	sio->rep = rep;
	sio->index = vcpu->regs[sio->in ? RKVM_RDI : RKVM_RSI] & sio->addr_mask;
	sio->seg_base = (rkvm_is_64bit_code(vcpu) && seg < 4) ? 0 :
			vmcs_read(rkvm_seg_base_field[seg]);

	count = rep ? vcpu->regs[RKVM_RCX] & sio->addr_mask : 1;
	if (!count) {
		rkvm_skip_instruction(vcpu);
		return RKVM_REENTER;
	}
	/*
	 * As KVM: OUTS hands out one element per exit; INS reads ahead up
	 * to 1 KiB, within the page of its effective address.
	 */
	if (sio->in) {
		u32 in_page = sio->df ? offset_in_page(sio->index) :
				       PAGE_SIZE - offset_in_page(sio->index);

		n = min3((u64)(in_page / size), (u64)(1024 / size), count);
		if (!n)
			n = 1;
	} else {
		n = 1;
	}

	if (!sio->in) {
		for (i = 0; i < n; i++) {
			r = rkvm_guest_virt_copy(vcpu, rkvm_string_lin(vcpu, i),
						 (u8 *)vcpu->pio_data + i * size,
						 size, 0, &pf_err, &pf_addr);
			if (r < 0)
				return rkvm_internal_error(vcpu,
					KVM_INTERNAL_ERROR_EMULATION, 0, NULL);
			if (r > 0) {
				if (i == 0) {
					rkvm_inject_pf(vcpu, pf_addr, pf_err);
					return RKVM_REENTER;
				}
				n = i;	/* the rest faults on the next round */
				break;
			}
		}
		rkvm_string_advance(vcpu, n, rep);
		rkvm_io_exit(vcpu, KVM_EXIT_IO_OUT, port, size, n);
		return RKVM_TO_USER;
	}
	sio->active = true;
	sio->count = n;
	rkvm_io_exit(vcpu, KVM_EXIT_IO_IN, port, size, n);
	return RKVM_TO_USER;
}

/* INS: userspace filled the data page; store it at ES:RDI. */
static int rkvm_complete_string_in(struct rkvm_vcpu *vcpu)
{
	struct rkvm_string_io *sio = &vcpu->string_io;
	u32 i, pf_err;
	u64 pf_addr;
	int r;

	sio->active = false;
	/*
	 * Userspace may have changed RCX or RDI during the exit: store no
	 * more elements than RCX still asks for, where RDI now points.
	 */
	sio->index = vcpu->regs[RKVM_RDI] & sio->addr_mask;
	if (sio->rep) {
		u64 rcx = vcpu->regs[RKVM_RCX] & sio->addr_mask;

		if (!rcx) {
			rkvm_skip_instruction(vcpu);
			return 1;
		}
		sio->count = min_t(u64, sio->count, rcx);
	}
	for (i = 0; i < sio->count; i++) {
		r = rkvm_guest_virt_copy(vcpu, rkvm_string_lin(vcpu, i),
					 (u8 *)vcpu->pio_data + i * sio->size,
					 sio->size, PTW_WRITE, &pf_err, &pf_addr);
		if (r < 0)
			return rkvm_internal_error(vcpu,
				KVM_INTERNAL_ERROR_EMULATION, 0, NULL);
		if (r > 0) {
			if (i)
				rkvm_string_advance(vcpu, i, true);
			rkvm_inject_pf(vcpu, pf_addr, pf_err);
			return 1;
		}
	}
	rkvm_string_advance(vcpu, sio->count, sio->rep);
	return 1;
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
		rkvm_write_reg(vcpu->regs, RKVM_RAX, 0, vcpu->pio_size, val);
	}
	if (vcpu->string_io.active && rkvm_complete_string_in(vcpu) <= 0)
		return 0;
	if (vcpu->mmio_read_pending && rkvm_complete_mmio_read(vcpu) <= 0)
		return 0;
	return 1;
}
