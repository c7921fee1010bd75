#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check.sh - "make check": the host-tier unit tests, then the end-to-end
# tests on /dev/kvm (skipped with the reason when it is missing), merged
# into one TAP 13 stream.
cd "$(dirname "$0")/.." || exit 1
{
	./tests/test_elf
	./tests/test_pagetable
	./tests/test_boot
	sh tests/mini-vmm-tests.sh /dev/kvm
} | awk '
	/^TAP version/ || /^1\.\./ { next }
	/^(not )?ok [0-9]+ / {
		n++
		notok = ($1 == "not")
		sub(/^(not )?ok [0-9]+ /, "")
		if (notok) { failed++; print "not ok " n " " $0 }
		else { if ($0 ~ /# SKIP/) skipped++; print "ok " n " " $0 }
		next
	}
	{ print }
	BEGIN { print "TAP version 13" }
	END {
		print "1.." n
		printf "# mini-vmm: %d passed, %d failed, %d skipped\n", n - failed - skipped, failed, skipped
		exit failed ? 1 : 0
	}'
