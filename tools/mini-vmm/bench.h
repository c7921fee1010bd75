/* SPDX-License-Identifier: GPL-2.0 */
/* bench.h - "mini-vmm bench": density and start-latency benchmark. */
#ifndef MVM_BENCH_H
#define MVM_BENCH_H

int mvm_bench_main(int argc, char **argv);

#endif
