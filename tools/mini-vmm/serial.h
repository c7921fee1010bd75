/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serial.h - an 8250/16550A UART for boot mode's console, transmit only,
 * and the two other legacy PC devices a Linux guest touches: the i8042
 * keyboard controller (for its reset line) and the CMOS RTC. Pure state
 * machines: the caller does the locking and supplies the IRQ line and the
 * output through callbacks.
 */
#ifndef MVM_SERIAL_H
#define MVM_SERIAL_H

#include <stdint.h>

struct mvm_uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	int thr_ipending;	/* THR-empty interrupt pending (until IIR read) */
	int irq_level;		/* last level given to set_irq */
	void (*set_irq)(void *opaque, int level);
	void (*output)(void *opaque, uint8_t byte);
	void *opaque;
};

/* register offsets from the base port (0x3f8 for COM1) */
#define UART_RX		0	/* DLAB=0 read: receive buffer */
#define UART_TX		0	/* DLAB=0 write: transmit holding */
#define UART_DLL	0	/* DLAB=1 */
#define UART_IER	1	/* DLAB=0 */
#define UART_DLM	1	/* DLAB=1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

void mvm_uart_init(struct mvm_uart *u, void (*set_irq)(void *, int),
		   void (*output)(void *, uint8_t), void *opaque);
uint8_t mvm_uart_read(struct mvm_uart *u, unsigned int off);
void mvm_uart_write(struct mvm_uart *u, unsigned int off, uint8_t v);

/*
 * i8042: enough for Linux's driver to find a controller with no keyboard
 * attached (i8042.dumbkbd) and for reboot=k: command 0xfe (pulse the reset
 * line) or a write of the output port with bit 0 clear sets *reset.
 */
struct mvm_i8042 {
	uint8_t ctr, out, pending;
	int obf;		/* output buffer full */
	int reset;		/* the guest asked for a CPU reset */
};

void mvm_i8042_init(struct mvm_i8042 *k);
uint8_t mvm_i8042_read(struct mvm_i8042 *k, uint16_t port);	/* 0x60, 0x64 */
void mvm_i8042_write(struct mvm_i8042 *k, uint16_t port, uint8_t v);

/* CMOS RTC at 0x70/0x71: the host's UTC time in BCD, never updating (UIP
 * clear), 24-hour mode, the battery good; 114 bytes of CMOS RAM. */
struct mvm_cmos {
	uint8_t index;
	uint8_t ram[128];
};

void mvm_cmos_init(struct mvm_cmos *c);
uint8_t mvm_cmos_read(struct mvm_cmos *c, uint16_t port);
void mvm_cmos_write(struct mvm_cmos *c, uint16_t port, uint8_t v);

#endif
