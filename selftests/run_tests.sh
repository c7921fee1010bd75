#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [DEVICE]
#
# Runs every selftest program on DEVICE (default $KVM_DEVICE, else
# /dev/rust_kvm) and prints a single TAP 13 stream with one top-level line
# per test case, named "PROGRAM: CASE".  Each program runs under a time
# limit (SELFTEST_TIMEOUT seconds, default 300) and each case inside a
# program under KSFT_CASE_TIMEOUT (default a third of that, at least 10 s);
# SELFTEST_BUDGET (seconds, default 480, 0 = unlimited) bounds the whole
# run: once it is spent, the remaining programs are not started.  The cases a program
# did not report (crash, timeout, budget) become "not ok" lines.  Exit
# status: 0 when no case failed, 1 otherwise.  Written for busybox sh.

DEV=${1:-${KVM_DEVICE:-/dev/rust_kvm}}
KVM_DEVICE=$DEV
export KVM_DEVICE
DIR=${OUTPUT_DIR:-$(cd "$(dirname "$0")" && pwd)}
LIMIT=${SELFTEST_TIMEOUT:-300}
BUDGET=${SELFTEST_BUDGET:-480}
if [ -z "${KSFT_CASE_TIMEOUT:-}" ]; then
	KSFT_CASE_TIMEOUT=$((LIMIT / 3))
	[ "$KSFT_CASE_TIMEOUT" -ge 10 ] || KSFT_CASE_TIMEOUT=10
fi
export KSFT_CASE_TIMEOUT
TESTS="lifecycle memslots regs_sregs guest_modes io cpuid_msrs hlt_shutdown
interrupts fd_lifetime bad_input concurrency mmio dirty_log
memslots_scale host_memory vmx_coexist leak_cycles irqchip huge_pages kvmclock
timers ipi irqfd_ioeventfd irqchip_state"
TMP=${TMPDIR:-/tmp}/rkvm-selftests.$$

mkdir -p "$TMP" || exit 1
trap 'rm -rf "$TMP"' EXIT

# busybox timeout: "timeout [-s SIG] SECS PROG" (old ones: "-t SECS").
TIMEOUT=""
if command -v timeout >/dev/null 2>&1; then
	if timeout -s KILL 5 true >/dev/null 2>&1; then
		TIMEOUT="timeout -s KILL $LIMIT"
	elif timeout -t 5 -s KILL true >/dev/null 2>&1; then
		TIMEOUT="timeout -t $LIMIT -s KILL"
	fi
fi

# Case names of every program, to number the stream up front.
total=0
for t in $TESTS; do
	if [ -x "$DIR/$t" ] && "$DIR/$t" -l > "$TMP/$t.names" 2>/dev/null; then
		:
	else
		echo "(program missing)" > "$TMP/$t.names"
	fi
	n=$(wc -l < "$TMP/$t.names")
	total=$((total + n))
done

echo "TAP version 13"
echo "1..$total"
echo "# device $DEV"
[ -n "$TIMEOUT" ] || echo "# no timeout command: programs run unbounded"

num=0
failed=0
start=$(date +%s)
for t in $TESTS; do
	now=$(date +%s)
	if [ "$BUDGET" -gt 0 ] && [ $((now - start)) -ge "$BUDGET" ]; then
		echo "# $t: not run, SELFTEST_BUDGET of $BUDGET s spent" \
			> "$TMP/$t.out"
		rc=125
	elif [ -x "$DIR/$t" ]; then
		$TIMEOUT "$DIR/$t" -d "$DEV" > "$TMP/$t.out" 2>&1
		rc=$?
	else
		echo "# $DIR/$t: not found" > "$TMP/$t.out"
		rc=127
	fi
	# Renumber the program's own TAP lines; fill in missing cases.
	awk -v base="$num" -v prog="$t" -v rc="$rc" -v limit="$LIMIT" '
	FNR == NR { name[++n] = $0; next }
	/^TAP version/ { next }
	/^1\.\.0/ {
		sub(/^1\.\.0 *# *SKIP */, "")
		skipall = $0
		next
	}
	/^1\.\./ { next }
	/^(not )?ok [0-9]+ / {
		notok = ($1 == "not")
		i = notok ? $3 : $2
		rest = $0
		sub(/^(not )?ok [0-9]+ /, "", rest)
		if (i >= 1 && i <= n && !(i in seen)) {
			seen[i] = 1
			printf "%s %d %s: %s\n", notok ? "not ok" : "ok", \
				base + i, prog, rest
			if (notok)
				bad++
			next
		}
		print "# " prog ": " $0
		next
	}
	/^# / { print "# " prog ": " substr($0, 3); next }
	{ print "# " prog ": " $0 }
	END {
		if (rc == 137 || rc == 124 || rc == 143)
			why = "timed out after " limit " s"
		else if (rc == 127)
			why = "program missing"
		else if (rc == 125)
			why = "not run: time budget spent"
		else
			why = "program exited with status " rc \
			      " without reporting this case"
		for (i = 1; i <= n; i++) {
			if (i in seen)
				continue
			if (skipall != "" && rc == 4) {
				printf "ok %d %s: %s # SKIP %s\n", base + i, \
					prog, name[i], skipall
			} else {
				printf "not ok %d %s: %s # %s\n", base + i, \
					prog, name[i], why
				bad++
			}
		}
		exit bad ? 1 : 0
	}' "$TMP/$t.names" "$TMP/$t.out" || failed=1
	n=$(wc -l < "$TMP/$t.names")
	num=$((num + n))
done

exit $failed
