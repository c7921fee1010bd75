// SPDX-License-Identifier: GPL-2.0
/*
 * serial.c - boot mode's legacy PC devices: the 16550A UART (transmit
 * side, THR-empty interrupts, loopback as Linux's probe needs it), the
 * i8042's reset line and the CMOS RTC. The UART follows a real 16550A as
 * Linux's 8250 driver probes it: IER keeps 4 bits, IIR shows the FIFO bits
 * once FCR enables them, the THR-empty interrupt is raised when IER.THRI is
 * turned on with the (always empty) transmitter and after every byte, and
 * reading IIR clears it. Transmission is instant: LSR always says THR and
 * the shift register are empty.
 */
#include <string.h>
#include <time.h>
#include "serial.h"

#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_FIFO	0xc0
#define FCR_ENABLE	0x01
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_DCD		0x80

static uint8_t uart_iir(const struct mvm_uart *u)
{
	uint8_t id = (u->ier & IER_THRI) && u->thr_ipending ? IIR_THRI :
							       IIR_NO_INT;

	return id | (u->fcr & FCR_ENABLE ? IIR_FIFO : 0);
}

static void uart_update_irq(struct mvm_uart *u)
{
	int level = !(uart_iir(u) & IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->opaque, level);
	}
}

void mvm_uart_init(struct mvm_uart *u, void (*set_irq)(void *, int),
		   void (*output)(void *, uint8_t), void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->dll = 12;		/* 9600 baud, as a BIOS leaves it */
	u->lcr = 0x03;		/* 8N1 */
	u->set_irq = set_irq;
	u->output = output;
	u->opaque = opaque;
}

uint8_t mvm_uart_read(struct mvm_uart *u, unsigned int off)
{
	uint8_t v;

	switch (off & 7) {
	case UART_RX:
		return u->lcr & LCR_DLAB ? u->dll : 0;	/* no input */
	case UART_IER:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case UART_IIR:
		v = uart_iir(u);
		if ((v & 0x0f) == IIR_THRI) {
			u->thr_ipending = 0;
			uart_update_irq(u);
		}
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT;
	case UART_MSR:
		if (u->mcr & MCR_LOOP)	/* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			return (u->mcr & 0x01 ? MSR_DSR : 0) |
			       (u->mcr & 0x02 ? MSR_CTS : 0) |
			       (u->mcr & 0x04 ? 0x40 : 0) |
			       (u->mcr & 0x08 ? MSR_DCD : 0);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	default:
		return u->scr;
	}
}

void mvm_uart_write(struct mvm_uart *u, unsigned int off, uint8_t v)
{
	switch (off & 7) {
	case UART_TX:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			return;
		}
		if (!(u->mcr & MCR_LOOP) && u->output)
			u->output(u->opaque, v);
		u->thr_ipending = 1;	/* sent at once: THR empty again */
		uart_update_irq(u);
		return;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			return;
		}
		v &= 0x0f;
		if ((v ^ u->ier) & IER_THRI)
			u->thr_ipending = !!(v & IER_THRI);
		u->ier = v;
		uart_update_irq(u);
		return;
	case UART_FCR:
		u->fcr = v & 0xc9;	/* clear-FIFO bits clear themselves */
		return;
	case UART_LCR:
		u->lcr = v;
		return;
	case UART_MCR:
		u->mcr = v & 0x1f;
		return;
	case UART_SCR:
		u->scr = v;
		return;
	default:		/* LSR, MSR: read-only */
		return;
	}
}

/* ---- i8042 ---------------------------------------------------------- */

#define I8042_DATA	0x60
#define I8042_STATUS	0x64
#define STR_OBF		0x01
#define STR_SYS		0x04	/* self-test passed */
#define STR_CMD		0x08	/* last write was a command */
#define STR_UNLOCKED	0x10
#define CTR_KBD_INT	0x01
#define CTR_SYS		0x04

void mvm_i8042_init(struct mvm_i8042 *k)
{
	memset(k, 0, sizeof(*k));
	k->ctr = CTR_KBD_INT | CTR_SYS;
}

static void i8042_reply(struct mvm_i8042 *k, uint8_t v)
{
	k->out = v;
	k->obf = 1;
}

uint8_t mvm_i8042_read(struct mvm_i8042 *k, uint16_t port)
{
	if (port == I8042_STATUS)
		return STR_SYS | STR_UNLOCKED | (k->pending ? STR_CMD : 0) |
		       (k->obf ? STR_OBF : 0);
	k->obf = 0;
	return k->out;
}

void mvm_i8042_write(struct mvm_i8042 *k, uint16_t port, uint8_t v)
{
	if (port == I8042_DATA) {
		if (k->pending == 0x60)
			k->ctr = v;
		else if (k->pending == 0xd1 && !(v & 1))
			k->reset = 1;	/* output port bit 0: reset line low */
		/* else a byte for the keyboard: none is attached */
		k->pending = 0;
		return;
	}
	k->pending = 0;
	switch (v) {
	case 0x20:		/* read the controller configuration byte */
		i8042_reply(k, k->ctr);
		break;
	case 0x60:		/* write it: the next data byte */
	case 0xd1:		/* write the output port: the next data byte */
		k->pending = v;
		break;
	case 0xa7: k->ctr |= 0x20; break;	/* disable the aux port */
	case 0xa8: k->ctr &= ~0x20; break;
	case 0xad: k->ctr |= 0x10; break;	/* disable the keyboard port */
	case 0xae: k->ctr &= ~0x10; break;
	case 0xaa:		/* controller self-test: passed */
		i8042_reply(k, 0x55);
		break;
	case 0xab:		/* keyboard interface test: no error */
		i8042_reply(k, 0x00);
		break;
	case 0xd0:		/* read the output port: reset line high */
		i8042_reply(k, 0x01);
		break;
	default:
		if ((v & 0xf0) == 0xf0 && !(v & 1))	/* 0xfe: pulse reset */
			k->reset = 1;
		break;
	}
}

/* ---- CMOS RTC --------------------------------------------------------- */

void mvm_cmos_init(struct mvm_cmos *c)
{
	memset(c, 0, sizeof(*c));
	c->ram[0x0a] = 0x26;	/* 32.768 kHz, 1024 Hz; UIP clear */
	c->ram[0x0b] = 0x02;	/* 24-hour, BCD, no interrupts */
	c->ram[0x0d] = 0x80;	/* valid RAM and time (battery good) */
}

static uint8_t bcd(int v)
{
	return (v / 10) << 4 | v % 10;
}

uint8_t mvm_cmos_read(struct mvm_cmos *c, uint16_t port)
{
	unsigned int i = c->index & 0x7f;	/* bit 7: NMI disable */
	time_t now;
	struct tm tm;

	if (port == 0x70)
		return 0xff;	/* the index register is write-only */
	if (i <= 9 || i == 0x32) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		switch (i) {
		case 0: return bcd(tm.tm_sec);
		case 2: return bcd(tm.tm_min);
		case 4: return bcd(tm.tm_hour);
		case 6: return bcd(tm.tm_wday + 1);
		case 7: return bcd(tm.tm_mday);
		case 8: return bcd(tm.tm_mon + 1);
		case 9: return bcd(tm.tm_year % 100);
		case 0x32: return bcd(19 + tm.tm_year / 100);
		default: return 0;	/* alarm registers */
		}
	}
	return c->ram[i];
}

void mvm_cmos_write(struct mvm_cmos *c, uint16_t port, uint8_t v)
{
	unsigned int i = c->index & 0x7f;

	if (port == 0x70) {
		c->index = v;
		return;
	}
	if (i <= 9 || i == 0x0c || i == 0x0d)
		return;		/* the clock is the host's; flags read-only */
	if (i == 0x0a)
		v &= 0x7f;	/* UIP is read-only */
	if (i == 0x0b)
		v = (v & ~0x84) | 0x02;	/* never SET, always BCD, 24-hour */
	c->ram[i] = v;
}
