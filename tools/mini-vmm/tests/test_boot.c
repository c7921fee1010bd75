// SPDX-License-Identifier: GPL-2.0
/*
 * test_boot.c - host-tier unit tests of boot mode's pure parts: the
 * bzImage header checks (a valid image, then one broken field or a
 * truncation at a time, then random corruption), initrd placement and the
 * zero page; the MP table's checksums and entries; the 16550A as Linux's
 * 8250 driver probes it; the i8042 reset and the CMOS clock.
 */
#include <stdlib.h>
#include <string.h>
#include "../bzimage.h"
#include "../mptable.h"
#include "../serial.h"
#include "tap.h"

#define SETUP_SECTS	4
#define KLEN		0x4000
#define FLEN		((SETUP_SECTS + 1) * 512 + KLEN)

static uint8_t img[FLEN];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* a minimal valid bzImage: protocol 2.15, relocatable, 64-bit entry */
static void build(void)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = SETUP_SECTS;
	put32(img + 0x1f4, KLEN / 16);		/* syssize */
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x20f);
	img[0x211] = 0x01;			/* LOADED_HIGH */
	put32(img + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	img[0x234] = 1;				/* relocatable */
	put16(img + 0x236, 0x1);		/* XLF_KERNEL_64 */
	put32(img + 0x238, 2047);		/* cmdline_size */
	put32(img + 0x260, 0x1000000);		/* init_size: 16 MiB */
}

static int parse(size_t len)
{
	struct mvm_bzimage bz;
	char err[256];

	return mvm_bz_parse(img, len, &bz, err, sizeof(err));
}

static void test_bzimage(void)
{
	struct mvm_bzimage bz;
	char err[256];
	uint8_t zp[4096];
	uint64_t a;
	size_t cut;
	int i, crashes;

	build();
	tap_ok(!mvm_bz_parse(img, FLEN, &bz, err, sizeof(err)), "bz: valid image parses");
	tap_ok(bz.load_addr == 0x100000 && bz.kernel_len == KLEN &&
	       bz.kernel == img + 5 * 512 && bz.init_size == 0x1000000 &&
	       bz.cmdline_max == 2047, "bz: load address, kernel, init_size, cmdline_size");

	build(); memcpy(img + 0x202, "HdrT", 4);
	tap_ok(parse(FLEN), "bz: bad magic refused");
	build(); put16(img + 0x1fe, 0);
	tap_ok(parse(FLEN), "bz: no boot flag refused");
	build(); put16(img + 0x206, 0x20b);
	tap_ok(parse(FLEN), "bz: protocol 2.11 refused (no 64-bit entry)");
	build(); put16(img + 0x236, 0);
	tap_ok(parse(FLEN), "bz: no XLF_KERNEL_64 refused");
	build(); img[0x211] = 0;
	tap_ok(parse(FLEN), "bz: zImage (not LOADED_HIGH) refused");
	build(); img[0x201] = 0xff;
	tap_ok(parse(FLEN), "bz: header longer than the zero page's slot refused");
	build(); img[0x201] = 0x10;
	tap_ok(parse(FLEN), "bz: header too short for init_size refused");
	build(); img[0x1f1] = 200;
	tap_ok(parse(FLEN), "bz: setup sectors past the end refused");
	build(); put32(img + 0x1f4, KLEN);
	tap_ok(parse(FLEN), "bz: syssize larger than the file refused (truncated)");
	build(); img[0x234] = 0; put32(img + 0x258, 0x1234);
	tap_ok(parse(FLEN), "bz: non-relocatable at an unaligned pref_address refused");
	build(); img[0x234] = 0; put32(img + 0x258, 0x1000000);
	tap_ok(!mvm_bz_parse(img, FLEN, &bz, err, sizeof(err)) &&
	       bz.load_addr == 0x1000000, "bz: non-relocatable loads at pref_address");
	build(); img[0x1f1] = 0;
	tap_ok(!mvm_bz_parse(img, FLEN, &bz, err, sizeof(err)) &&
	       bz.kernel == img + 5 * 512, "bz: setup_sects 0 means 4");

	build();
	for (cut = 0; cut < FLEN; cut++)
		if (cut < FLEN - KLEN + 0x210 && !parse(cut))
			break;
	tap_ok(cut == FLEN, "bz: every truncation shorter than setup + 0x210 refused");
	for (cut = FLEN - KLEN + 0x210; cut < FLEN; cut += 16)
		if (!parse(cut))
			break;
	tap_ok(cut == FLEN, "bz: every truncation below syssize refused");

	/* random corruption of the header: parse must never read past len */
	srand(7);
	crashes = 0;
	for (i = 0; i < 20000; i++) {
		size_t len = 0x1f0 + rand() % (FLEN - 0x1f0);
		uint8_t *copy;

		build();
		img[0x1f1 + rand() % 0x80] = rand();
		img[0x1f1 + rand() % 0x80] = rand();
		copy = malloc(len);	/* exactly len bytes: ASan/valgrind-visible */
		memcpy(copy, img, len);
		if (!mvm_bz_parse(copy, len, &bz, err, sizeof(err)) &&
		    (bz.kernel + bz.kernel_len != copy + len ||
		     bz.hdr_end > len || bz.load_addr < 0x100000))
			crashes++;
		free(copy);
	}
	tap_ok(!crashes, "bz: 20000 corrupted headers: accepted ones stay inside the file");

	build();
	mvm_bz_parse(img, FLEN, &bz, err, sizeof(err));
	tap_ok(!mvm_bz_place_initrd(&bz, 256 << 20, 3 << 20, &a, err, sizeof(err)) &&
	       a == (256 << 20) - (3 << 20), "initrd: at the top of memory");
	tap_ok(!mvm_bz_place_initrd(&bz, 256 << 20, 5000, &a, err, sizeof(err)) &&
	       !(a & 0xfff) && a + 5000 <= (256 << 20), "initrd: page-aligned, inside memory");
	put32(img + 0x22c, 0x3fffffff);
	mvm_bz_parse(img, FLEN, &bz, err, sizeof(err));
	tap_ok(!mvm_bz_place_initrd(&bz, 2048ULL << 20, 1 << 20, &a, err, sizeof(err)) &&
	       a + (1 << 20) <= 0x40000000, "initrd: below initrd_addr_max");
	tap_ok(mvm_bz_place_initrd(&bz, 20 << 20, 8 << 20, &a, err, sizeof(err)),
	       "initrd: no room above the kernel's init_size refused");

	build();
	mvm_bz_parse(img, FLEN, &bz, err, sizeof(err));
	bz.file = img;
	mvm_bz_zero_page(zp, &bz, 256 << 20, 0xe2000, 0xf000000, 4096);
	tap_ok(zp[BP_TYPE_OF_LOADER] == 0xff && get32(zp + BP_CMD_LINE_PTR) == 0xe2000 &&
	       get32(zp + BP_RAMDISK_IMAGE) == 0xf000000 &&
	       get32(zp + BP_RAMDISK_SIZE) == 4096 && !memcmp(zp + 0x202, "HdrS", 4),
	       "zero page: header copied, loader fields set");
	tap_ok(zp[BP_E820_ENTRIES] == 3 &&
	       get64(zp + BP_E820_TABLE) == 0 && get64(zp + BP_E820_TABLE + 8) == 0x9fc00 &&
	       get32(zp + BP_E820_TABLE + 16) == 1 &&
	       get64(zp + BP_E820_TABLE + 20) == 0x9fc00 &&
	       get32(zp + BP_E820_TABLE + 36) == 2 &&
	       get64(zp + BP_E820_TABLE + 40) == 0x100000 &&
	       get64(zp + BP_E820_TABLE + 48) == (256 << 20) - 0x100000 &&
	       get32(zp + BP_E820_TABLE + 56) == 1,
	       "zero page: e820 RAM / reserved / RAM");
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void test_mptable(void)
{
	uint8_t buf[0x10000];
	size_t n;
	uint8_t *t = buf + 16, *e;
	int i, cpus = 0, bsp = 0, ints = 0, irq0_pin = -1;

	n = mvm_mptable(buf, sizeof(buf), 0xf0000, 2, 0x306c3, 0x178bfbff);
	tap_ok(n > 16 && !memcmp(buf, "_MP_", 4) && get32(buf + 4) == 0xf0010 &&
	       !sum(buf, 16), "mptable: floating pointer, its checksum");
	tap_ok(!memcmp(t, "PCMP", 4) && !sum(t, t[4] | t[5] << 8) &&
	       16u + (t[4] | t[5] << 8) == n, "mptable: table header, its checksum");
	e = t + 44;
	for (i = 0; i < (t[34] | t[35] << 8); i++) {
		if (e[0] == 0) {
			cpus++;
			bsp += !!(e[3] & 2);
			e += 20;
			continue;
		}
		if (e[0] == 3) {
			ints++;
			if (e[5] == 0)
				irq0_pin = e[7];
		}
		e += 8;
	}
	tap_ok(cpus == 2 && bsp == 1 && ints == 15 && irq0_pin == 0 &&
	       e == t + (t[4] | t[5] << 8), "mptable: 2 CPUs, one BSP, 15 ISA IRQs, IRQ0 on pin 0");
	tap_ok(mvm_mptable(buf, sizeof(buf), 0xf0000, 64, 0, 0) &&
	       mvm_mptable(buf, sizeof(buf), 0xf0000, 64, 0, 0) <= 0x10000 &&
	       !mvm_mptable(buf, sizeof(buf), 0xf0000, 65, 0, 0) &&
	       !mvm_mptable(buf, 100, 0xf0000, 1, 0, 0),
	       "mptable: 64 CPUs fit in 64 KiB; 65 CPUs or a small buffer refused");
}

static int irq_level, irq_changes;
static char outbuf[64];
static int outlen;

static void set_irq(void *o, int level) { (void)o; irq_level = level; irq_changes++; }
static void output(void *o, uint8_t c) { (void)o; if (outlen < 63) outbuf[outlen++] = c; }

static void test_uart(void)
{
	struct mvm_uart u;
	struct mvm_i8042 k;
	struct mvm_cmos c;
	uint8_t iir1, iir2;

	mvm_uart_init(&u, set_irq, output, NULL);
	/* 8250 autoconfig: IER holds 4 bits */
	mvm_uart_write(&u, UART_IER, 0);
	tap_ok(mvm_uart_read(&u, UART_IER) == 0, "uart: IER cleared");
	mvm_uart_write(&u, UART_IER, 0xff);
	tap_ok(mvm_uart_read(&u, UART_IER) == 0x0f, "uart: IER keeps its 4 bits (not XScale)");
	mvm_uart_write(&u, UART_IER, 0);
	/* loopback: MCR LOOP|RTS|OUT2 reads back CTS|DCD = 0x90 */
	mvm_uart_write(&u, UART_MCR, 0x1a);
	tap_ok((mvm_uart_read(&u, UART_MSR) & 0xf0) == 0x90, "uart: loopback MSR 0x90");
	mvm_uart_write(&u, UART_MCR, 0);
	/* FIFO: IIR bits 7:6 after FCR enable: a 16550A */
	mvm_uart_write(&u, UART_FCR, 0x07);
	tap_ok((mvm_uart_read(&u, UART_IIR) >> 6) == 3, "uart: FIFO enabled shows in IIR (16550A)");
	mvm_uart_write(&u, UART_LCR, 0xbf);
	tap_ok(mvm_uart_read(&u, UART_IIR) != 0, "uart: no EFR at LCR 0xbf (not a 16650)");
	mvm_uart_write(&u, UART_LCR, 0x80);
	mvm_uart_write(&u, UART_DLL, 1);
	mvm_uart_write(&u, UART_DLM, 2);
	tap_ok(mvm_uart_read(&u, UART_DLL) == 1 && mvm_uart_read(&u, UART_DLM) == 2,
	       "uart: divisor latch");
	mvm_uart_write(&u, UART_LCR, 0x03);
	mvm_uart_write(&u, UART_SCR, 0x5a);
	tap_ok(mvm_uart_read(&u, UART_SCR) == 0x5a && (mvm_uart_read(&u, UART_LSR) & 0x60) == 0x60,
	       "uart: scratch; LSR says THR and transmitter empty");
	/* the THRE test of serial8250_do_startup */
	mvm_uart_write(&u, UART_IER, 0x02);
	iir1 = mvm_uart_read(&u, UART_IIR);
	mvm_uart_write(&u, UART_IER, 0);
	mvm_uart_write(&u, UART_IER, 0x02);
	iir2 = mvm_uart_read(&u, UART_IIR);
	mvm_uart_write(&u, UART_IER, 0);
	tap_ok((iir1 & 0x0f) == 2 && (iir2 & 0x0f) == 2, "uart: THRE interrupt re-asserted when IER.THRI is set again");
	tap_ok((mvm_uart_read(&u, UART_IIR) & 1) && !irq_level, "uart: no interrupt with IER 0, line low");
	/* interrupt-driven transmit */
	irq_changes = 0;
	mvm_uart_write(&u, UART_IER, 0x02);
	tap_ok(irq_level == 1, "uart: THRI enabled raises IRQ 4");
	tap_ok((mvm_uart_read(&u, UART_IIR) & 0x0f) == 2 && irq_level == 0, "uart: IIR read clears THRE, line low");
	mvm_uart_write(&u, UART_TX, 'h');
	mvm_uart_write(&u, UART_TX, 'i');
	tap_ok(outlen == 2 && !memcmp(outbuf, "hi", 2) && irq_level == 1 && irq_changes == 3,
	       "uart: bytes out, THRE pending again, the line moved only when the level changed");
	mvm_uart_write(&u, UART_MCR, 0x10);
	mvm_uart_write(&u, UART_TX, 'x');
	tap_ok(outlen == 2, "uart: loopback bytes are not printed");

	mvm_i8042_init(&k);
	tap_ok(!(mvm_i8042_read(&k, 0x64) & 0x03), "i8042: input and output buffers empty");
	mvm_i8042_write(&k, 0x64, 0x20);
	tap_ok((mvm_i8042_read(&k, 0x64) & 1) && mvm_i8042_read(&k, 0x60) == 0x05 &&
	       !(mvm_i8042_read(&k, 0x64) & 1), "i8042: read CTR");
	mvm_i8042_write(&k, 0x64, 0x60);
	mvm_i8042_write(&k, 0x60, 0x45);
	mvm_i8042_write(&k, 0x64, 0x20);
	tap_ok(mvm_i8042_read(&k, 0x60) == 0x45 && !k.reset, "i8042: write CTR");
	mvm_i8042_write(&k, 0x64, 0xfe);
	tap_ok(k.reset, "i8042: 0xfe to port 0x64 resets");

	mvm_cmos_init(&c);
	mvm_cmos_write(&c, 0x70, 0x0a);
	tap_ok(!(mvm_cmos_read(&c, 0x71) & 0x80), "cmos: update never in progress");
	mvm_cmos_write(&c, 0x70, 0x8d);	/* NMI-disable bit set */
	tap_ok(mvm_cmos_read(&c, 0x71) == 0x80, "cmos: battery good, index bit 7 ignored");
	mvm_cmos_write(&c, 0x70, 0x08);
	iir1 = mvm_cmos_read(&c, 0x71);
	tap_ok(iir1 >= 1 && iir1 <= 0x12 && (iir1 & 0xf) <= 9, "cmos: month in BCD");
	mvm_cmos_write(&c, 0x70, 0x40);
	mvm_cmos_write(&c, 0x71, 0x77);
	tap_ok(mvm_cmos_read(&c, 0x71) == 0x77, "cmos: RAM byte kept");
}

int main(void)
{
	test_bzimage();
	test_mptable();
	test_uart();
	return tap_done();
}
