// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation: a guest access to a guest-physical
 * address outside RAM (or a write to a read-only slot) is decoded from the
 * guest's own instruction bytes (x86/decode.c) and becomes KVM_EXIT_MMIO;
 * a read completes into its register on the next KVM_RUN. What cannot be
 * decoded gives KVM_EXIT_INTERNAL_ERROR (emulation), never a wrong result.
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "x86/regs.h"
#include "x86/gmem.h"
#include "x86/decode.h"
#include "x86/emulate.h"
#include "x86/lapic.h"
#include "x86/ioapic.h"

static int rkvm_emulation_failed(struct rkvm_vcpu *vcpu, const u8 *bytes,
				 int len)
{
	u64 data[3] = { 0, 0, 0 };

	/* KVM's layout: flags, instruction length, then the bytes */
	if (len > 0) {
		data[0] = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		data[1] = len;
		memcpy(&data[2], bytes, min(len, 8));
	}
	return rkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				   len > 0 ? 3 : 0, data);
}

/* Fetch up to 15 bytes at CS:RIP; returns how many could be read. */
static int rkvm_fetch_insn(struct rkvm_vcpu *vcpu, u8 *bytes)
{
	u64 lin = rkvm_rip(vcpu);
	u32 pf_err;
	u64 pf_addr;
	int first;

	if (!rkvm_is_64bit_code(vcpu))
		lin = (u32)(vmcs_read(GUEST_CS_BASE) + lin);
	first = min_t(int, RKVM_INSN_MAX_LEN, PAGE_SIZE - offset_in_page(lin));
	if (rkvm_guest_virt_copy(vcpu, lin, bytes, first, PTW_FETCH, &pf_err,
				 &pf_addr))
		return 0;
	if (first < RKVM_INSN_MAX_LEN &&
	    !rkvm_guest_virt_copy(vcpu, lin + first, bytes + first,
				  RKVM_INSN_MAX_LEN - first, PTW_FETCH,
				  &pf_err, &pf_addr))
		first = RKVM_INSN_MAX_LEN;
	return first;
}

static void rkvm_mmio_exit(struct rkvm_vcpu *vcpu, u64 gpa, u8 len,
			   bool write, u64 val)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &val, len);
}

static int rkvm_code_size(struct rkvm_vcpu *vcpu)
{
	if (rkvm_is_64bit_code(vcpu))
		return 8;
	return (vmcs_read32(GUEST_CS_AR_BYTES) & (1 << 14)) ? 4 : 2;
}

/* Step RSI/RDI/RCX of a string instruction by one element. */
static void rkvm_string_step(struct rkvm_vcpu *vcpu,
			     const struct rkvm_insn *insn)
{
	s64 d = (rkvm_rflags(vcpu) & X86_EFLAGS_DF) ? -insn->size : insn->size;
	u8 asz = insn->addr_size;

	if (insn->op == RKVM_OP_LODS || insn->op == RKVM_OP_MOVS)
		rkvm_write_reg(vcpu->regs, RKVM_RSI, 0, asz,
			       vcpu->regs[RKVM_RSI] + d);
	if (insn->op == RKVM_OP_STOS || insn->op == RKVM_OP_MOVS)
		rkvm_write_reg(vcpu->regs, RKVM_RDI, 0, asz,
			       vcpu->regs[RKVM_RDI] + d);
	if (insn->rep)
		rkvm_write_reg(vcpu->regs, RKVM_RCX, 0, asz,
			       vcpu->regs[RKVM_RCX] - 1);
}

/* Move past the instruction: a REP string op only when RCX ran out. */
static void rkvm_emulated_done(struct rkvm_vcpu *vcpu,
			       const struct rkvm_insn *insn)
{
	bool string = insn->op == RKVM_OP_STOS || insn->op == RKVM_OP_LODS ||
		      insn->op == RKVM_OP_MOVS;
	u64 mask = insn->addr_size == 8 ? ~0ull :
		   (1ull << (insn->addr_size * 8)) - 1;

	if (string)
		rkvm_string_step(vcpu, insn);
	if (string && insn->rep && (vcpu->regs[RKVM_RCX] & mask))
		return;
	rkvm_set_rip(vcpu, rkvm_rip(vcpu) + insn->len);
}

static u64 rkvm_seg_base(struct rkvm_vcpu *vcpu, int seg)
{
	static const unsigned long f[] = {
		GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE,
		GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE,
	};

	if (rkvm_is_64bit_code(vcpu) && seg < RKVM_SEG_FS)
		return 0;
	return vmcs_read(f[seg]);
}

static u64 rkvm_operand_lin(struct rkvm_vcpu *vcpu, const struct rkvm_insn *insn,
			    const struct rkvm_insn_mem *m)
{
	u64 lin = rkvm_seg_base(vcpu, m->seg) +
		  rkvm_insn_ea(insn, m, vcpu->regs, rkvm_rip(vcpu));

	return rkvm_is_64bit_code(vcpu) ? lin : (u32)lin;
}

/*
 * The local APIC page and the IOAPIC live in the kernel: a plain MOV to
 * or from them completes here. Returns true if a device took the access.
 */
static bool rkvm_mmio_in_kernel(struct rkvm_vcpu *vcpu,
				const struct rkvm_insn *insn, u64 gpa)
{
	bool store = insn->op == RKVM_OP_STORE_REG ||
		     insn->op == RKVM_OP_STORE_IMM;
	bool load = insn->op == RKVM_OP_LOAD || insn->op == RKVM_OP_LOAD_ZX ||
		    insn->op == RKVM_OP_LOAD_SX;
	u32 v = 0;

	if (!vcpu->kvm->irqchip || insn->size > 4 || (!store && !load))
		return false;
	if (store)
		v = rkvm_insn_src_value(insn, vcpu->regs);
	if (!rkvm_lapic_mmio(vcpu, gpa, store, &v, insn->size) &&
	    !rkvm_ioapic_mmio(vcpu->kvm, gpa, store, &v, insn->size))
		return false;
	if (load)
		rkvm_insn_complete_load(insn, vcpu->regs,
					insn->size == 4 ? v :
					v & ((1u << (insn->size * 8)) - 1));
	rkvm_emulated_done(vcpu, insn);
	return true;
}

/* MOVS touches two addresses: is @gpa its source? */
static bool rkvm_movs_reads_gpa(struct rkvm_vcpu *vcpu,
				const struct rkvm_insn *insn, u64 gpa)
{
	u64 src;
	u32 pf_err;

	if (rkvm_guest_virt_to_gpa(vcpu, rkvm_operand_lin(vcpu, insn, &insn->mem),
				   0, &src, &pf_err))
		return false;
	return (src >> PAGE_SHIFT) == (gpa >> PAGE_SHIFT);
}

/*
 * The access at @gpa was not to RAM (@dir: 1 write, 0 read, -1 unknown).
 * Emulate the instruction that made it far enough to hand the access to
 * userspace.
 */
int rkvm_emulate_mmio(struct rkvm_vcpu *vcpu, u64 gpa, int dir)
{
	struct rkvm_insn *insn = &vcpu->mmio_insn;
	u8 bytes[RKVM_INSN_MAX_LEN];
	u32 pf_err;
	u64 val = 0, pf_addr;
	int n;

	n = rkvm_fetch_insn(vcpu, bytes);
	if (!n || rkvm_decode(bytes, n, rkvm_code_size(vcpu), insn))
		return rkvm_emulation_failed(vcpu, bytes, n);
	if (rkvm_mmio_in_kernel(vcpu, insn, gpa))
		return RKVM_REENTER;

	switch (insn->op) {
	case RKVM_OP_STORE_REG:
	case RKVM_OP_STORE_IMM:
	case RKVM_OP_STOS:
		rkvm_emulated_done(vcpu, insn);
		val = rkvm_insn_src_value(insn, vcpu->regs);
		if (rkvm_ioeventfd_write(vcpu->kvm, false, gpa, insn->size, val))
			return RKVM_REENTER;
		rkvm_mmio_exit(vcpu, gpa, insn->size, true, val);
		return RKVM_TO_USER;
	case RKVM_OP_LOAD:
	case RKVM_OP_LOAD_ZX:
	case RKVM_OP_LOAD_SX:
	case RKVM_OP_LODS:
		vcpu->mmio_read_pending = true;
		rkvm_mmio_exit(vcpu, gpa, insn->size, false, 0);
		return RKVM_TO_USER;
	case RKVM_OP_MOVS:
		if (dir < 0)
			dir = !rkvm_movs_reads_gpa(vcpu, insn, gpa);
		if (dir) {
			/* RAM (or MMIO-less memory) to the device: read the source */
			if (rkvm_guest_virt_copy(vcpu,
						 rkvm_operand_lin(vcpu, insn, &insn->mem),
						 &val, insn->size, 0, &pf_err,
						 &pf_addr))
				break;
			rkvm_emulated_done(vcpu, insn);
			rkvm_mmio_exit(vcpu, gpa, insn->size, true, val);
			return RKVM_TO_USER;
		}
		vcpu->mmio_read_pending = true;
		rkvm_mmio_exit(vcpu, gpa, insn->size, false, 0);
		return RKVM_TO_USER;
	default:
		break;
	}
	return rkvm_emulation_failed(vcpu, bytes, n);
}

/* KVM_RUN after a KVM_EXIT_MMIO read: the data is in run->mmio.data. */
int rkvm_complete_mmio_read(struct rkvm_vcpu *vcpu)
{
	struct rkvm_insn *insn = &vcpu->mmio_insn;
	u64 val = 0, pf_addr;
	u32 pf_err;

	vcpu->mmio_read_pending = false;
	memcpy(&val, vcpu->run->mmio.data, insn->size);
	if (insn->op == RKVM_OP_MOVS) {
		/* the device's data goes to ES:RDI in guest memory */
		int r = rkvm_guest_virt_copy(vcpu,
					     rkvm_operand_lin(vcpu, insn, &insn->mem2),
					     &val, insn->size, PTW_WRITE,
					     &pf_err, &pf_addr);
		if (r > 0) {
			rkvm_inject_pf(vcpu, pf_addr, pf_err);
			return 1;
		}
		if (r < 0)
			return rkvm_emulation_failed(vcpu, NULL, 0);
	} else {
		rkvm_insn_complete_load(insn, vcpu->regs, val);
	}
	rkvm_emulated_done(vcpu, insn);
	return 1;
}
