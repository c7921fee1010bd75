#!/bin/bash
# tools/perf/run.sh - make bench: rkvm's /dev/rust_kvm against the stock
# kvm_intel's /dev/kvm, measured in one bench boot (Bochs, Intel Haswell with
# VMX; see bench/README.md), then docs/benchmarks.md and its plots.
#
#   tools/perf/run.sh            (or: make bench, which builds everything first)
#
# Steps:
#   1. installs gnuplot-nox (plots) and python3 (the report) if missing
#   2. builds tools/perf/kvmperf.c (static, -Wall -Wextra) into
#      build/bin/perf/kvmperf, which the bench puts at /t/perf/kvmperf
#   3. runs the mini-VMM density bench on this machine's /dev/kvm (if usable)
#   4. boots the bench once (bench/run.sh -c 1 -m 1024) and, REPS times,
#      loads rkvm.ko and measures it, unloads it, loads the stock
#      irqbypass/kvm/kvm-intel and measures kvm_intel, unloads them (the two
#      cannot be loaded together without a kernel warning: both register the
#      emergency-reboot VMXOFF callback); then the mini-VMM bench on each
#   5. tools/perf/report.py prints the table and writes docs/benchmarks.md and
#      docs/img/bench-*.png
#
# Environment (defaults in brackets):
#   PERF_REPS [5]       repetitions of every measurement on each device
#   PERF_MB [64]        guest memory touched by the fault-in and dirty-log runs
#   PERF_EXITS_N [2000] iterations of each exit loop
#   PERF_LIFE_N [20]    VM lifecycles timed per repetition
#   PERF_IDLE_N [100]   idle VMs alive at once for the memory figure
#   PERF_MVM_N [5,20]   mini-VMM bench sizes in the bench (-n)
#   PERF_MVM_HOST_N [5,20,100]  mini-VMM bench sizes on this machine
#   PERF_MEM [1024]     bench RAM in MiB;  PERF_TIMEOUT [3000] bench limit (s)
#   PERF_OUT [build/perf]   logs and data;  PERF_DOC [docs/benchmarks.md]
#   PERF_IMG [docs/img]     where the plots go
#   PERF_RKVM_COMMIT    measure rkvm.ko built from a clean export of this
#                       commit (git archive into a private temporary
#                       directory) instead of the working tree's rkvm.ko;
#                       for numbers that belong to a commit while others
#                       edit rkvm/
#   PERF_RKVM_KO [rkvm.ko]  or: the module to measure; PERF_RKVM_KO_FROM
#                       says what it was built from
#   PERF_REPORT_ONLY=1  only rerun the report from PERF_OUT's last log
# Exit status: 0 when every measurement ran and the bench verdict was clean.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
REPS=${PERF_REPS:-5}
MB=${PERF_MB:-64}
EXITS_N=${PERF_EXITS_N:-2000}
LIFE_N=${PERF_LIFE_N:-20}
IDLE_N=${PERF_IDLE_N:-100}
MVM_N=${PERF_MVM_N:-5,20}
MVM_HOST_N=${PERF_MVM_HOST_N:-5,20,100}
MEM=${PERF_MEM:-1024}
CPUS=1
TIMEOUT=${PERF_TIMEOUT:-3000}
OUT=${PERF_OUT:-$root/build/perf}
DOC=${PERF_DOC:-$root/docs/benchmarks.md}
IMG=${PERF_IMG:-$root/docs/img}
BIN=$root/build/bin
KO=${PERF_RKVM_KO:-$root/rkvm.ko}
say() { echo "perf: $*" >&2; }
mkdir -p "$OUT" || exit 1

# ---- 1. tools for the report ---------------------------------------------------
need=
command -v gnuplot >/dev/null || need="$need gnuplot-nox"
[ -x /usr/bin/python3 ] || need="$need python3"
if [ -n "$need" ]; then
	say "installing$need"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -q && apt-get install -y -q --no-install-recommends $need; } >/dev/null ||
		say "warning: could not install$need (plots or report may be missing)"
fi

report() {
	/usr/bin/python3 "$here/report.py" --out "$OUT" --doc "$DOC" --img "$IMG"
}
if [ "${PERF_REPORT_ONLY:-0}" = 1 ]; then
	report
	exit $?
fi

# ---- 2. build ---------------------------------------------------------------------
mkdir -p "$BIN/perf"
${CC:-gcc} -O2 -g -Wall -Wextra -static -o "$BIN/perf/kvmperf" "$here/kvmperf.c" ||
	{ say "building kvmperf failed"; exit 1; }
[ -f "$KO" ] || say "warning: $KO is not built (make module): rkvm's figures will fail"
have_mvm=0
[ -x "$BIN/mini-vmm" ] && [ -f "$BIN/mini-vmm-examples/hello.elf" ] && have_mvm=1
[ $have_mvm = 1 ] || say "warning: build/bin/mini-vmm is not built (make tools): no mini-VMM figures"

if [ -n "${PERF_RKVM_COMMIT:-}" ]; then
	rev=$(git -C "$root" rev-parse --short "$PERF_RKVM_COMMIT^{commit}") ||
		{ say "no commit $PERF_RKVM_COMMIT"; exit 1; }
	kodir=$(mktemp -d /tmp/rkvm-perf-ko.XXXXXX) || exit 1
	trap 'rm -rf "$kodir"' EXIT
	say "building rkvm.ko from a clean export of $rev"
	git -C "$root" archive "$rev" | tar -x -C "$kodir" &&
		make -C "$kodir" module > "$OUT/module-build.log" 2>&1 ||
		{ say "building rkvm.ko at $rev failed ($OUT/module-build.log)"; exit 1; }
	KO=$kodir/rkvm.ko
	PERF_RKVM_KO_FROM="a clean export (git archive) of commit $rev"
fi

# ---- metadata -----------------------------------------------------------------------
rm -f "$OUT"/mvm-host.* "$OUT/bench.log" "$OUT/meta"
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "rkvm_dirty=$(git -C "$root" status --porcelain -- rkvm Kbuild 2>/dev/null | wc -l)"
	echo "rkvm_ko=$([ "$KO" = "$root/rkvm.ko" ] && echo tree || echo "$KO")"
	echo "rkvm_ko_date=$(date -u -r "$KO" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo missing)"
	echo "rkvm_ko_sha=$(sha256sum "$KO" 2>/dev/null | cut -c1-12)"
	echo "rkvm_ko_from=${PERF_RKVM_KO_FROM:-}"
	echo "kver=$("$root/bench/kver.sh" 2>/dev/null || echo '?')"
	echo "bochs=$(dpkg-query -W -f='${Version}' bochs 2>/dev/null || echo '?')"
	echo "reps=$REPS"
	echo "mb=$MB"
	echo "exits_n=$EXITS_N"
	echo "life_n=$LIFE_N"
	echo "idle_n=$IDLE_N"
	echo "mvm_n=$MVM_N"
	echo "mvm_host_n=$MVM_HOST_N"
	echo "mem=$MEM"
	echo "cpus=$CPUS"
	echo "host_kernel=$(uname -r)"
	echo "host_cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "host_kvm=$(ls /sys/module 2>/dev/null | grep -E '^kvm_(intel|amd|pvm)$' | tr '\n' ' ')"
} > "$OUT/meta"

# ---- 3. the mini-VMM on this machine's /dev/kvm -----------------------------------------
if [ $have_mvm = 1 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	say "mini-VMM bench on this machine's /dev/kvm (-n $MVM_HOST_N)"
	timeout -s KILL 900 "$BIN/mini-vmm" bench -n "$MVM_HOST_N" -k 2 --device /dev/kvm \
		-o "$OUT/mvm-host.tsv" > "$OUT/mvm-host.txt" 2>&1 ||
		say "warning: the mini-VMM bench on /dev/kvm failed (status $?, $OUT/mvm-host.txt)"
else
	say "no usable /dev/kvm here (or no mini-vmm): no host mini-VMM figures"
fi

# ---- 4. the bench --------------------------------------------------------------------------
steps=$((REPS * 2 * 8 + 2))
guest=$OUT/guest.sh
cat > "$guest" <<EOF
# generated by tools/perf/run.sh
REPS=$REPS MB=$MB EXITS_N=$EXITS_N LIFE_N=$LIFE_N IDLE_N=$IDLE_N MVM_N=$MVM_N
TOTAL=$steps HAVE_MVM=$have_mvm
EOF
cat >> "$guest" <<'EOF'
export PATH=/bin:/sbin:/t:/t/perf
T=900
step=0
progress() { step=$((step + 1)); echo "PERF-STEP $step/$TOTAL $*"; }
failed=0
fail() { echo "FAIL $*"; failed=1; }

load() {
	case $1 in
	rkvm) insmod /lib/rkvm/rkvm.ko ;;
	kvm) for m in irqbypass kvm kvm-intel; do
		[ -d /sys/module/$(echo $m | tr - _) ] || insmod /lib/kvm/$m.ko || return 1
	done ;;
	esac
}
unload() {
	case $1 in
	rkvm) rmmod rkvm ;;
	kvm) rmmod kvm_intel && rmmod kvm && rmmod irqbypass ;;
	esac
}
dev() { [ $1 = rkvm ] && echo /dev/rust_kvm || echo /dev/kvm; }

# THP is off by default below 512 MiB of RAM; the huge-page runs madvise()
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
echo madvise > /sys/kernel/mm/transparent_hugepage/defrag
kvmperf info
echo "INFO info uptime $(cut -d' ' -f1 /proc/uptime)"

measure() {
	l=$1
	d=$(dev $l)
	for c in "exits $EXITS_N" "lifecycle $LIFE_N" "idlemem $IDLE_N" \
		"fault 4k $MB" "fault 4k-pre $MB" "fault thp $MB" "fault thp-pre $MB" \
		"dirty $MB"; do
		progress "rep $r/$REPS $l: $c"
		set -- $c
		cmd=$1
		shift
		timeout -s KILL $T kvmperf $cmd $d $l "$@"
		rc=$?
		[ $rc = 0 ] || fail "$l $c: kvmperf status $rc"
	done
}

r=1
while [ $r -le $REPS ]; do
	for l in rkvm kvm; do
		if load $l; then
			if [ $l = kvm ] && [ $r = 1 ]; then
				for p in ept vpid unrestricted_guest enable_apicv pml nested enable_shadow_vmcs; do
					echo "INFO kvm param $p $(cat /sys/module/kvm_intel/parameters/$p 2>/dev/null)"
				done
			fi
			measure $l
			unload $l || fail "$l: unloading failed"
		else
			fail "$l: loading the module failed"
			step=$((step + 8))
		fi
	done
	r=$((r + 1))
done

for l in rkvm kvm; do
	progress "mini-VMM bench on $l (-n $MVM_N)"
	[ "$HAVE_MVM" = 1 ] || continue
	load $l || { fail "$l: loading the module failed"; continue; }
	rm -f /tmp/mvm.tsv
	timeout -s KILL $T mini-vmm bench -n $MVM_N -k 2 --device $(dev $l) -o /tmp/mvm.tsv > /tmp/mvm.out 2>&1
	rc=$?
	sed "s/^/MVM-OUT $l /" /tmp/mvm.out
	[ -f /tmp/mvm.tsv ] && sed "s/^/MVM-TSV $l /" /tmp/mvm.tsv
	[ $rc = 0 ] || fail "$l mini-VMM bench: status $rc"
	unload $l
done
echo "INFO info uptime $(cut -d' ' -f1 /proc/uptime)"
echo "PERF-DONE failed=$failed"
exit $failed
EOF

log=$OUT/bench.log
say "booting the bench: -c $CPUS -m $MEM, $REPS repetitions of each figure on rkvm and kvm_intel ($steps steps; ~1.5 min per repetition here)"
t0=$(date +%s)
RKVM_KO=$KO "$root/bench/run.sh" -q -c "$CPUS" -m "$MEM" -t "$TIMEOUT" -l "$log" "$guest" 2> "$OUT/bench.stderr" &
bench_pid=$!
seen=0
show_progress() {
	[ -f "$log" ] || return
	# complete lines only: the console is still being written
	head -n "$(wc -l < "$log")" "$log" | tr -d '\r' |
		grep -E '^(PERF-STEP|FAIL|kvmperf:|PERF-DONE)' > "$OUT/progress.txt"
	n=$(wc -l < "$OUT/progress.txt")
	if [ "$n" -gt "$seen" ]; then
		tail -n +$((seen + 1)) "$OUT/progress.txt" | head -n $((n - seen)) |
			sed "s/^/perf: [$(( $(date +%s) - t0 ))s] /" >&2
		seen=$n
	fi
}
while kill -0 $bench_pid 2>/dev/null; do
	show_progress
	sleep 3
done
wait $bench_pid
rc=$?
show_progress
grep '^bench:' "$OUT/bench.stderr" | tail -n 3 >&2
echo "bench_status=$rc" >> "$OUT/meta"
echo "bench_wall_s=$(( $(date +%s) - t0 ))" >> "$OUT/meta"

# ---- 5. report ------------------------------------------------------------------------------
report
rrc=$?
[ $rc = 0 ] && [ $rrc = 0 ] && exit 0
say "bench status $rc, report status $rrc (log: $log)"
exit 1
