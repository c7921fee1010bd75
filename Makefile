# SPDX-License-Identifier: GPL-2.0
# Top-level Makefile: the module, the tools, the selftests and the test tiers.
#
#   make            build rkvm.ko, tools and selftests
#   make check      host tier, then bench tier; ends with "N passed, N failed"
#   make demo       boot the bench, load rkvm, run test_misc and a mini-VMM function
#   make deps       install what the build and the bench need (idempotent)

KVER ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's,.*/linux-headers-,,' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)
PWD := $(CURDIR)

.PHONY: all module tools selftests clean deps check check-host check-bench demo

all: module tools selftests

deps:
	@bench/deps.sh

module: deps
	$(MAKE) -C $(KDIR) M=$(PWD) W=1 modules

clean:
	-$(MAKE) -C $(KDIR) M=$(PWD) clean
