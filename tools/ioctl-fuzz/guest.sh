#!/bin/sh
# tools/ioctl-fuzz/guest.sh - run ioctl-fuzz inside an already booted bench
# (busybox sh) and print TAP. Installed as /t/ioctl-fuzz-guest.sh.
#
#   sh /t/ioctl-fuzz-guest.sh DEVICE SECONDS [ioctl-fuzz options...]
#
# DEVICE is /dev/rust_kvm (rkvm.ko must be loaded) or /dev/kvm. Checks:
#   1 ioctl-fuzz exits 0 (no inconsistency, no kernel warning it saw, no hang)
#   2 the kernel logged no BUG/WARNING/Oops/... while it ran
#   3 rkvm: no module reference is left once the fuzzer has exited
#   4 rkvm: rmmod rkvm succeeds (rkvm.ko is loaded again afterwards)
#   5 no leak: free memory (MemFree plus the per-CPU free lists) and
#     unreclaimable slab after the run, against before, within tolerance
# The seed is printed (and is taken from the options when given), so a
# failing run can be replayed: see docs/fuzzing.md.
DEV=${1:-/dev/rust_kvm}
SECS=${2:-60}
shift 2 2>/dev/null
FUZZ=${IOCTL_FUZZ:-/t/ioctl-fuzz}
KO=${RKVM_KO_PATH:-/lib/rkvm/rkvm.ko}
KPAT='BUG:|WARNING:|Oops|general protection fault|Call Trace|soft lockup|hard LOCKUP|KASAN|UBSAN:|Kernel panic|kernel BUG'
# Leak tolerances in KiB, see docs/fuzzing.md ("Leak check") for why.
FREE_TOL=${LEAK_FREE_TOL_KB:-2048}
SLAB_TOL=${LEAK_SLAB_TOL_KB:-512}
CACHE_TOL=${LEAK_CACHE_TOL_OBJS:-400}

echo "1..5"
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

if [ ! -x "$FUZZ" ]; then
	for i in 1 2 3 4 5; do skip "ioctl-fuzz check $i" "$FUZZ not built"; done
	exit 0
fi
if [ ! -c "$DEV" ]; then
	for i in 1 2 3 4 5; do ok 1 "ioctl-fuzz check $i: $DEV is not a character device"; done
	exit 1
fi

# settle: drop caches, shrink every slab cache, then read the counters
settle() {
	sync
	echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
	for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f" 2>/dev/null; done
	sleep 1
}
# free KiB: MemFree plus the pages sitting on the per-CPU free lists
free_kb() {
	pcp=$(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
	awk -v pcp="$pcp" '$1 == "MemFree:" { print $2 + pcp * 4 }' /proc/meminfo
}
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# bytes held by slab objects, from /proc/slabinfo (active_objs * objsize)
slab_kb() {
	awk 'NR > 2 { s += $2 * $4 } END { printf "%d\n", s / 1024 }' /proc/slabinfo 2>/dev/null
}

is_rkvm=0
case $DEV in *rust_kvm*) is_rkvm=1 ;; esac
settle
free0=$(free_kb) sunr0=$(meminfo SUnreclaim) slab0=$(slab_kb)
cat /proc/slabinfo > /tmp/slab0 2>/dev/null
dm0=$(dmesg | wc -l)
echo "# before: free ${free0} KiB, SUnreclaim ${sunr0} KiB, slab objects ${slab0:-?} KiB"

# 1. the fuzzer, bounded in time even if it hangs
limit=$((SECS + 120))
echo "# $FUZZ --device $DEV --seconds $SECS $*  (limit ${limit}s)"
# streamed as TAP comments while it runs, so a hang still shows its last words
{ timeout -s KILL "$limit" "$FUZZ" --device "$DEV" --seconds "$SECS" "$@" 2>&1; echo $? > /tmp/ioctl-fuzz.rc; } |
	tee /tmp/ioctl-fuzz.out | sed 's/^/# /'
rc=$(cat /tmp/ioctl-fuzz.rc)
seed=$(sed -n 's/^ioctl-fuzz: seed \([0-9]*\) device.*/\1/p' /tmp/ioctl-fuzz.out | head -n 1)
[ "$rc" = 137 ] && echo "# killed after ${limit}s: a hung operation (see the HANG line above)"
ok $rc "ioctl-fuzz on $DEV for ${SECS}s, seed ${seed:-?} (exit status $rc)"

# 2. the kernel log since the start
bad=$(dmesg | tail -n +$((dm0 + 1)) | grep -E "$KPAT")
[ -n "$bad" ] && echo "$bad" | head -n 10 | sed 's/^/# kernel: /'
ok $([ -z "$bad" ]; echo $?) "no kernel warning while ioctl-fuzz ran (seed ${seed:-?})"

# 3., 4. no reference left: the module unloads
if [ $is_rkvm = 1 ]; then
	sleep 1
	ref=$(cat /sys/module/rkvm/refcnt 2>/dev/null || echo '?')
	ok $([ "$ref" = 0 ]; echo $?) "rkvm refcnt is 0 after the fuzzer exited (refcnt $ref)"
	out=$(rmmod rkvm 2>&1)
	r=$?
	[ -n "$out" ] && echo "# rmmod: $out"
	ok $r "rmmod rkvm succeeds after the fuzzer exited"
else
	skip "module references after the run" "only checked for rkvm"
	skip "module unload after the run" "only checked for rkvm"
fi

# 5. leaks
# the caches that grew most since /tmp/slab0, in objects (name delta
# objsize); not vmap_area: vfree() leaves its descriptors for a lazy purge
# (kvm_intel: +529 in 60 s), and a leaked vmalloc shows in free memory anyway
cache_growth() {
	cat /proc/slabinfo > /tmp/slab1 2>/dev/null
	grew=$(awk 'FNR == NR { if (FNR > 2) a[$1] = $2; next }
		FNR > 2 && $1 != "vmap_area" { d = $2 - a[$1]; if (d > 0) print $1, d, $4 }' /tmp/slab0 /tmp/slab1 2>/dev/null |
		sort -k2,2nr | head -n 5)
	worst=$(echo "$grew" | awk 'NR == 1 { print $2 + 0 }')
	worst_name=$(echo "$grew" | awk 'NR == 1 { print " in " $1 }')
}
settle
free1=$(free_kb) sunr1=$(meminfo SUnreclaim) slab1=$(slab_kb)
cache_growth
[ -n "$grew" ] && echo "$grew" | sed 's/^/# slab cache grew: /'
# objects freed later (RCU callbacks, workqueues, delayed fput) are not a
# leak: a cache over the limit is measured again after they had time
if [ "${worst:-0}" -gt "$CACHE_TOL" ]; then
	echo "# cache over +${CACHE_TOL} objects: measuring again in 10 s (deferred frees)"
	sleep 10
	settle
	cache_growth
	[ -n "$grew" ] && echo "$grew" | sed 's/^/# slab cache grew (second look): /'
fi
[ $is_rkvm = 1 ] && [ ! -d /sys/module/rkvm ] && insmod "$KO" 2>&1 | sed 's/^/# insmod: /'
dfree=$((free0 - free1)) dsunr=$((sunr1 - sunr0)) dslab=$(( ${slab1:-0} - ${slab0:-0} ))
echo "# after: free ${free1} KiB (${dfree} KiB less), SUnreclaim ${sunr1} KiB (+${dsunr}), slab objects ${slab1:-?} KiB (+${dslab})"
leak=0
[ "$dfree" -gt "$FREE_TOL" ] && leak=1
[ "$dsunr" -gt "$SLAB_TOL" ] && leak=1
[ -n "$slab0" ] && [ "$dslab" -gt "$SLAB_TOL" ] && leak=1
[ "${worst:-0}" -gt "$CACHE_TOL" ] && leak=1
made=$(sed -n 's/.*; \([0-9]* VMs and [0-9]* vCPUs\) made$/\1/p' /tmp/ioctl-fuzz.out)
ok $leak "no leak after ${made:-?} made: free memory -${dfree} KiB (tolerance ${FREE_TOL}), SUnreclaim +${dsunr} KiB, slab objects +${dslab} KiB (tolerance ${SLAB_TOL}), no cache +${CACHE_TOL} objects (most: ${worst:-0}${worst_name})"
exit $fail
