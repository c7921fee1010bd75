#!/bin/bash
# tools/ioctl-fuzz/run-bench.sh - boot the bench (2 CPUs, 512 MiB), load
# rkvm.ko, run ioctl-fuzz on /dev/rust_kvm for S seconds, then check that the
# kernel log is clean, that rkvm unloads and that nothing leaked. Prints TAP.
#
#   tools/ioctl-fuzz/run-bench.sh [--seconds S] [--seed N] [--threads T]
#                                 [--kvm] [--no-slub-debug] [-- FUZZER-OPTIONS]
#
#   --seconds S      how long the fuzzer runs (default 60; the long run is 600)
#   --seed N         the seed (default: a new one, printed)
#   --threads T      fuzzer threads (default 4)
#   --kvm            fuzz the stock kvm_intel's /dev/kvm instead (safe guests)
#   --no-slub-debug  boot without slub_debug=FZPU (faster, catches less)
#
# Needs rkvm.ko (make module; built here if missing). Stages ioctl-fuzz and
# guest.sh into build/bin/ (the bench's /t/). The console is saved in
# build/bench-logs/ioctl-fuzz-SEED-DATE-TIME.log. Exit status 0 when every line is ok.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

secs=60 seed= threads=4 dev=/dev/rust_kvm slub=1
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--kvm) dev=/dev/kvm; shift ;;
	--no-slub-debug) slub=0; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [--seconds S] [--seed N] [--threads T] [--kvm] [--no-slub-debug] [-- FUZZER-OPTIONS]" >&2; exit 2 ;;
	esac
done
[ -n "$seed" ] || seed=$(( ($(date +%s) << 16) ^ $$ ^ RANDOM ))

make -s -C "$here" install DESTDIR="$root/build/bin" >&2 || { echo "not ok - build ioctl-fuzz"; exit 1; }
if [ ! -f "$root/rkvm.ko" ]; then
	echo "# rkvm.ko missing: make module" >&2
	make -s module >&2 || { echo "not ok - make module"; exit 1; }
fi

logs=${BENCH_LOGS:-$root/build/bench-logs}
mkdir -p "$logs"
log=$logs/ioctl-fuzz-$seed-$(date +%Y%m%d-%H%M%S).log
script=$(mktemp /tmp/ioctl-fuzz-bench.XXXXXX)
trap 'rm -f "$script"' EXIT
extra=""
for a in "$@"; do extra="$extra '$a'"; done
cat > "$script" <<EOS
echo "RKVM-TAP-BEGIN ioctl-fuzz"
out=\$(insmod /lib/rkvm/rkvm.ko 2>&1) || echo "# insmod rkvm.ko: \$out"
if [ "$dev" = /dev/kvm ]; then
	for m in irqbypass kvm kvm-intel; do insmod /lib/kvm/\$m.ko 2>&1 | sed 's/^/# /'; done
fi
echo "# rkvm: \$(dmesg | grep -m1 'rkvm: VMX')"
sh /t/ioctl-fuzz-guest.sh $dev $secs --seed $seed --threads $threads $extra
echo "RKVM-TAP-END ioctl-fuzz \$?"
EOS

cmdline=""
[ $slub = 1 ] && cmdline="slub_debug=FZPU"
limit=$((secs * 4 + 600))	# wall-clock: the emulated CPU runs 2..3x slower than real time here
echo "# rkvm.ko: md5 $(md5sum < "$root/rkvm.ko" | cut -c1-12), built $(date -r "$root/rkvm.ko" +%FT%T); HEAD $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- rkvm || echo " + uncommitted rkvm/ changes")"
echo "# bench: -c 2 -m 512 -t $limit, $dev, ${secs}s, seed $seed, threads $threads${cmdline:+, $cmdline}; console: $log"
BENCH_EXTRA_CMDLINE="${BENCH_EXTRA_CMDLINE:-} $cmdline" \
	"$root/bench/run.sh" -q -c 2 -m 512 -t "$limit" -l "$log" "$script" 2> "$log.err"
st=$?
tail -n 3 "$log.err" | sed 's/^/# /'

# the guest's TAP, without kernel messages
tap=$(sed -n '/^RKVM-TAP-BEGIN ioctl-fuzz/,/^RKVM-TAP-END ioctl-fuzz/p' "$log" |
	grep -v -e '^RKVM-TAP' -e '^\[ *[0-9]*\.[0-9]*\]')
if [ -z "$tap" ]; then
	echo "1..1"
	echo "not ok 1 - the guest printed no result (bench status $st, see $log)"
	exit 1
fi
echo "$tap"
fail=0
echo "$tap" | grep -q '^not ok' && fail=1
case $st in
0) echo "# bench: clean (status 0)" ;;
120) echo "not ok - the bench saw a kernel warning (status 120): $(grep '^bench:   ' "$log.err" | head -n 2 | tr '\n' ' ')"; fail=1 ;;
124) echo "not ok - the bench timed out after ${limit}s (a hang), see $log"; fail=1 ;;
125) echo "not ok - the guest died without a verdict (panic?), see $log"; fail=1 ;;
126) echo "not ok - the bench could not be set up: $(tail -n 1 "$log.err")"; fail=1 ;;
*) echo "# bench: the guest script exited $st" ;;
esac
[ $fail = 0 ] && echo "# ioctl-fuzz bench run: PASS (seed $seed)" || echo "# ioctl-fuzz bench run: FAIL (seed $seed, replay: $0 --seconds $secs --seed $seed --threads $threads)"
exit $fail
