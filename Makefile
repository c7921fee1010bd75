# SPDX-License-Identifier: GPL-2.0
# Top-level Makefile: the module, the tools, the selftests and the test tiers.
#
#   make            build rkvm.ko, tools and selftests (static test programs
#                   are collected in build/bin/, which the bench puts in /t/)
#   make check      host tier, then bench tier; ends with "N passed, N failed"
#   make demo       boot the bench, load rkvm, run test_misc and a mini-VMM function
#   make deps       install what the build and the bench need (idempotent)
#   make bench      rkvm against kvm_intel in one bench boot: docs/benchmarks.md
#   make boot-test  mini-vmm boots Linux on rkvm and kvm_intel, 1 and 2 vCPUs,
#                   in one bench boot (2-3 min): docs/mini-vmm.md
#
# KDIR defaults to Debian's installed linux-headers-*-amd64 (6.1); on a real
# Intel host use: make module KDIR=/lib/modules/$(uname -r)/build

KVER ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's,.*/linux-headers-,,' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)
BIN := $(CURDIR)/build/bin
USER_CFLAGS := -O2 -g -Wall -Wextra -static

.PHONY: all module tools selftests clean deps check check-host check-bench demo bench boot-test

all: module tools selftests

deps:
	@bench/deps.sh

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

tools: deps
	@mkdir -p $(BIN)
	$(CC) $(USER_CFLAGS) -o $(BIN)/test_misc tools/test_misc.c
	$(MAKE) -C tools/mini-vmm install DESTDIR=$(BIN)
	$(MAKE) -C tools/ioctl-fuzz install DESTDIR=$(BIN)

selftests: deps
	@mkdir -p $(BIN)/selftests
	$(MAKE) -C selftests install INSTALL_PATH=$(BIN)/selftests

check: all
	@bench/check.sh

check-host:
	@bench/check.sh --host-only

check-bench: all
	@bench/check.sh --bench-only

demo: all
	@bench/demo.sh

bench: all
	@tools/perf/run.sh

boot-test: module tools
	@bench/boot-test.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C tools/mini-vmm clean
	-$(MAKE) -C selftests clean
	rm -rf build
