// SPDX-License-Identifier: GPL-2.0
/* snapshot.c - placeholder */
