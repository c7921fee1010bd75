#!/bin/bash
# bench/check.sh - the project's test command (make check).
#
#   bench/check.sh [--host-only | --bench-only]
#
# Host tier (runs here, no module needed):
#   make -C tests/host run        if tests/host/Makefile exists
#   make -C tools/mini-vmm check  if that Makefile has a check target
# Bench tier (Bochs guests, see bench/run.sh), two benches at a time, each
# loading rkvm.ko and the stock irqbypass/kvm/kvm-intel modules:
#   rkvm       /t/test_misc /dev/rust_kvm, /t/selftests/run_tests.sh /dev/rust_kvm,
#              then FUZZ_SECONDS (default 30) of /t/ioctl-fuzz-guest.sh
#   kvm        /t/test_misc /dev/kvm,      /t/selftests/run_tests.sh /dev/kvm
#   mvm-rkvm   /t/mini-vmm-tests.sh /dev/rust_kvm   (when built)
#   mvm-kvm    /t/mini-vmm-tests.sh /dev/kvm        (when built)
#   selfcheck  the bench's own checks of rkvm.ko (bench/guest/selfcheck.sh)
#   boot       /t/mini-vmm-boot-test.sh: mini-vmm boots Linux on both devices
#              with 1 and 2 vCPUs (2 emulated CPUs, 1024 MiB; when built)
#
# Every stream is TAP: top-level "ok" lines pass ("ok ... # SKIP" are
# skipped), "not ok" lines fail. A bench that times out, dies or logs a
# kernel warning, a stream that does not finish and a program that fails
# without a "not ok" line each add a failure. Failing lines are printed with
# their stream's name; the last line is "N passed, N failed, N skipped".
# Exit status: 0 when nothing failed, 1 otherwise.
#
# Logs: build/bench-logs/ (host-*.log, bench-JOB.log with the guest's full
# console, bench-JOB.log.bochs, summary.txt).
# Environment: BENCH_LOGS (log directory, default build/bench-logs; give
# concurrent runs in one checkout their own), BENCH_JOBS (benches at once,
# default 2), BENCH_SELFTEST_CPUS (CPUs of the rkvm and kvm selftest
# benches, default 2),
# BENCH_CPUS (the others; default
# 1), BENCH_MEM (MiB, default 512), BENCH_TIMEOUT_SCALE (multiplies the
# per-bench time limits, default 1), BENCH_PROG_TIMEOUT (limit for a single
# program such as test_misc in the guest, default 120 s). SELFTEST_TIMEOUT
# and KSFT_CASE_TIMEOUT are passed on to selftests/run_tests.sh when set;
# SELFTEST_BUDGET (its whole-run budget) is capped at the bench's limit less
# 120 s (480 s).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 1

HOST=1 BENCH=1
case ${1:-} in
--host-only) BENCH=0 ;;
--bench-only) HOST=0 ;;
"") ;;
*) echo "usage: $0 [--host-only | --bench-only]" >&2; exit 2 ;;
esac

logs=${BENCH_LOGS:-$root/build/bench-logs}
mkdir -p "$logs"
results=$logs/results.txt		# "STREAM<TAB>pass|fail|skip<TAB>line"
: > "$results"
t_start=$(date +%s)
say() { echo "check: $*" >&2; }

# record STREAM pass|fail|skip LINE
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$results"; }

# count_tap STREAM FILE STATUS: count the top-level TAP lines of FILE;
# a non-zero STATUS with no "not ok" line is a failure of its own, and so is
# a stream without any result (STATUS "unfinished": the caller reports it)
count_tap() {
	awk -v s="$1" -v st="$3" -F '\n' '
	/^ok / || /^ok$/ {
		if (tolower($0) ~ /# *(skip|todo)/) print s "\tskip\t" $0
		else print s "\tpass\t" $0
		n++; next
	}
	/^not ok/ {
		if (tolower($0) ~ /# *todo/) print s "\tskip\t" $0
		else { print s "\tfail\t" $0; bad++ }
		n++; next
	}
	/^1\.\.0/ { print s "\tskip\t" $0; n++; next }
	/^Bail out!/ { print s "\tfail\t" $0; bad++; n++; next }
	END {
		if (st == "unfinished") exit
		if (st != 0 && !bad) print s "\tfail\tnot ok - " s " exited with status " st
		else if (n == 0 && st == 0) print s "\tfail\tnot ok - " s " reported no TAP result"
	}' "$2" >> "$results"
}

# ---- host tier ---------------------------------------------------------------
host_tier() {
	local log st
	if [ -f tests/host/Makefile ]; then
		say "host: make -C tests/host run"
		log=$logs/host-tests.log
		make -s -C tests/host run 2>&1 </dev/null | tee "$log"
		st=${PIPESTATUS[0]}
		count_tap host-tests "$log" $st
	else
		say "host: tests/host/Makefile not present, skipped"
		record host-tests skip "ok - tests/host # SKIP no tests/host/Makefile"
	fi
	if [ -f tools/mini-vmm/Makefile ] && make -C tools/mini-vmm -n check >/dev/null 2>&1; then
		say "host: make -C tools/mini-vmm check"
		log=$logs/host-mini-vmm.log
		make -s -C tools/mini-vmm check 2>&1 </dev/null | tee "$log"
		st=${PIPESTATUS[0]}
		count_tap mini-vmm-host "$log" $st
	else
		say "host: tools/mini-vmm has no check target, skipped"
		record mini-vmm-host skip "ok - tools/mini-vmm check # SKIP no check target"
	fi
}

# ---- bench tier --------------------------------------------------------------
PROG_TIMEOUT=${BENCH_PROG_TIMEOUT:-120}
scale=${BENCH_TIMEOUT_SCALE:-1}
jobdir=$logs/jobs
declare -a JOBS=()
declare -A JOB_TIMEOUT=()
declare -A JOB_CPUS=()		# emulated CPUs, when not BENCH_CPUS
declare -A JOB_MEM=()		# MiB, when not BENCH_MEM
declare -A JOB_ARGS=()		# more options of bench/run.sh

# add_job NAME TIMEOUT_S: the guest script is $jobdir/NAME.sh (lib.sh + body on stdin)
add_job() {
	{
		echo "# generated by bench/check.sh: job $1"
		cat "$here/guest/lib.sh"
		echo "GUEST_TIMEOUT=$PROG_TIMEOUT"
		# the selftests' own limits: passed on when set here; their whole-run
		# budget is kept inside the bench's limit (less boot and the rest)
		for v in SELFTEST_TIMEOUT KSFT_CASE_TIMEOUT; do
			[ -n "${!v:-}" ] && echo "export $v=${!v}"
		done
		echo "export SELFTEST_BUDGET=$(awk -v t="$2" -v s="$scale" -v b="${SELFTEST_BUDGET:-}" \
			'BEGIN { v = t * s - 120; if (v < 30) v = 30; if (b != "" && b + 0 < v) v = b; printf "%d", v }')"
		# a stream may take the bench's limit less a minute for boot and dump
		echo "STREAM_TIMEOUT=$(awk -v t="$2" -v s="$scale" 'BEGIN { v = t * s - 60; printf "%d", v < 30 ? 30 : v }')"
		cat
	} > "$jobdir/$1.sh"
	JOBS+=("$1")
	JOB_TIMEOUT[$1]=$(awk -v t="$2" -v s="$scale" 'BEGIN { printf "%d", t * s }')
}

make_jobs() {
	local bin=$root/build/bin dev name
	rm -rf "$jobdir"
	mkdir -p "$jobdir"
	for dev in rust_kvm kvm; do
		name=${dev%_kvm}; name=${name/rust/rkvm}
		add_job "$name" 1200 <<EOF
load_modules $name/modules
tap_prog $name/test_misc /t/test_misc /dev/$dev
tap_stream $name/selftests /t/selftests/run_tests.sh /dev/$dev
EOF
		# then a short seeded fuzz (it reloads rkvm.ko: it goes last)
		[ "$name" = rkvm ] && cat >> "$jobdir/rkvm.sh" <<EOF
tap_stream rkvm/ioctl-fuzz /t/ioctl-fuzz-guest.sh /dev/rust_kvm ${FUZZ_SECONDS:-30}
EOF
		# both devices' selftests on two CPUs: vCPU threads then move
		# between CPUs (the concurrency cases), and the two are compared
		# in the same configuration
		JOB_CPUS[$name]=${BENCH_SELFTEST_CPUS:-2}
		[ -x "$bin/test_misc" ] || say "bench: build/bin/test_misc not built: its streams will be skipped"
		[ -e "$bin/selftests/run_tests.sh" ] || say "bench: build/bin/selftests/run_tests.sh not built: skipped"
		if [ -e "$bin/mini-vmm-tests.sh" ]; then
			add_job "mvm-$name" 300 <<EOF
load_modules mvm-$name/modules
tap_stream mvm-$name/mini-vmm-tests /t/mini-vmm-tests.sh /dev/$dev
EOF
		else
			record "mvm-$name" skip "ok - mini-vmm-tests.sh /dev/$dev # SKIP build/bin/mini-vmm-tests.sh not built"
		fi
	done
	add_job selfcheck 240 < "$here/guest/selfcheck.sh"
	# mini-vmm boot: Linux on both devices, 1 and 2 vCPUs (bench/boot-test.sh)
	if [ -e "$bin/mini-vmm-boot-test.sh" ]; then
		add_job boot 600 <<EOF
load_modules boot/modules
tap_stream boot/mini-vmm-boot /t/mini-vmm-boot-test.sh
EOF
		JOB_CPUS[boot]=2 JOB_MEM[boot]=1024 JOB_ARGS[boot]=-k
	else
		record boot skip "ok - mini-vmm-boot-test.sh # SKIP build/bin/mini-vmm-boot-test.sh not built"
	fi
}

# run_job NAME: one bench; writes $jobdir/NAME.status
run_job() {
	local name=$1 st
	# shellcheck disable=SC2086
	"$here/run.sh" -q ${JOB_ARGS[$name]:-} -c "${JOB_CPUS[$name]:-${BENCH_CPUS:-1}}" \
		-m "${JOB_MEM[$name]:-${BENCH_MEM:-512}}" -t "${JOB_TIMEOUT[$name]}" \
		-l "$logs/bench-$name.log" "$jobdir/$name.sh" 2> "$jobdir/$name.err"
	st=$?
	echo $st > "$jobdir/$name.status"
	return $st
}

# collect NAME: turn one bench's console into results
collect() {
	local name=$1 log=$logs/bench-$1.log st
	st=$(cat "$jobdir/$name.status" 2>/dev/null || echo 126)
	# split the console into streams
	awk -v dir="$jobdir" -v job="$name" '
	/^RKVM-TAP-BEGIN / { cur = $2; f = dir "/" job "." NR ".tap"; files[cur] = f; order[++n] = cur; next }
	/^RKVM-TAP-END / { if (cur != "") { ended[cur] = $3 }; cur = ""; next }
	cur != "" { print > files[cur] }
	END {
		for (i = 1; i <= n; i++) {
			s = order[i]
			printf "%s\t%s\t%s\n", s, files[s], (s in ended) ? ended[s] : "unfinished"
		}
	}' "$log" > "$jobdir/$name.streams"
	while IFS=$'\t' read -r s f end; do
		[ -f "$f" ] || : > "$f"
		if [ "$end" = unfinished ]; then
			count_tap "$s" "$f" unfinished
			record "$s" fail "not ok - stream $s did not finish (bench $name stopped, see $log)"
		else
			count_tap "$s" "$f" "$end"
		fi
	done < "$jobdir/$name.streams"
	case $st in
	0) ;;
	120) record "bench-$name" fail "not ok - bench $name: kernel warnings in the guest: $(grep '^bench:   ' "$jobdir/$name.err" | head -n 2 | sed 's/^bench: *//' | tr '\n' ' ')" ;;
	124) record "bench-$name" fail "not ok - bench $name: timed out after ${JOB_TIMEOUT[$name]}s (guest hang), see $log" ;;
	125) record "bench-$name" fail "not ok - bench $name: guest died without a verdict (panic?), see $log" ;;
	126) record "bench-$name" fail "not ok - bench $name: could not be set up: $(tail -n 1 "$jobdir/$name.err")" ;;
	*) [ -s "$jobdir/$name.streams" ] ||
		record "bench-$name" fail "not ok - bench $name: script exited $st without any result" ;;
	esac
}

# reap: note the benches that ended; every 60 s, a progress line for the others
declare -A PID2JOB=() START=()
last_beat=0
reap() {
	local i n now
	for i in "${!PID2JOB[@]}"; do
		kill -0 "$i" 2>/dev/null && continue
		wait "$i" 2>/dev/null
		n=${PID2JOB[$i]}
		say "bench: $n finished: $(tail -n 1 "$jobdir/$n.err" 2>/dev/null | sed 's/^bench: //') [$(( $(date +%s) - ${START[$n]} ))s]"
		unset "PID2JOB[$i]"
	done
	now=$(date +%s)
	if [ $((now - last_beat)) -ge 60 ]; then
		[ $last_beat = 0 ] || for i in "${!PID2JOB[@]}"; do
			n=${PID2JOB[$i]}
			say "bench: $n running for $((now - ${START[$n]}))s; last result: $(grep -a -E '^(not )?ok ' "$logs/bench-$n.log" 2>/dev/null | tail -n 1 | cut -c1-100)"
		done
		last_beat=$now
	fi
}

bench_tier() {
	local max=${BENCH_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))} name
	make_jobs
	# warm the kernel cache once, so parallel benches do not wait on each other
	"$here/boot/mkkernel.sh" >/dev/null || { record bench fail "not ok - cannot build the bench kernel"; return; }
	say "bench: ${#JOBS[@]} benches (${JOBS[*]}), $max at a time; logs in $logs"
	for name in "${JOBS[@]}"; do
		while reap; [ ${#PID2JOB[@]} -ge "$max" ]; do
			sleep 2
		done
		say "bench: $name started (limit ${JOB_TIMEOUT[$name]}s)"
		START[$name]=$(date +%s)
		run_job "$name" &
		PID2JOB[$!]=$name
	done
	while reap; [ ${#PID2JOB[@]} -gt 0 ]; do
		sleep 2
	done
	for name in "${JOBS[@]}"; do
		collect "$name"
		# show each bench's TAP lines and comments (not the kernel's)
		echo "=== bench $name ($logs/bench-$name.log)"
		sed -n '/^RKVM-BENCH-INIT/,/^RKVM-BENCH-DMESG-BEGIN/p' "$logs/bench-$name.log" |
			grep -v -e '^RKVM-BENCH-DMESG-BEGIN' -e '^\[ *[0-9]*\.[0-9]*\]'
		grep '^bench:' "$jobdir/$name.err" | tail -n 4
	done
}

trap 'say "interrupted"; exit 130' INT TERM
[ $HOST = 1 ] && host_tier
t_bench=$(date +%s)
[ $BENCH = 1 ] && bench_tier
t_end=$(date +%s)

# ---- summary -----------------------------------------------------------------
pass=$(awk -F '\t' '$2 == "pass"' "$results" | wc -l)
fail=$(awk -F '\t' '$2 == "fail"' "$results" | wc -l)
skip=$(awk -F '\t' '$2 == "skip"' "$results" | wc -l)
{
	echo "=== summary (host tier $((t_bench - t_start))s, bench tier $((t_end - t_bench))s)"
	awk -F '\t' '$2 == "skip" { print "SKIP [" $1 "] " $3 }' "$results"
	awk -F '\t' '$2 == "fail" { print "FAIL [" $1 "] " $3 }' "$results"
	echo "$pass passed, $fail failed, $skip skipped"
} | tee "$logs/summary.txt"
[ "$fail" -eq 0 ]
