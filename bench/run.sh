#!/bin/bash
# bench/run.sh - boot the rkvm test bench and run one script inside it.
#
#   bench/run.sh [-c CPUS] [-m MEM_MB] [-t TIMEOUT_S] [-l LOGFILE] [-q] [-k] SCRIPT
#
#   -c CPUS       emulated CPUs (default 1; Bochs runs them in one thread)
#   -m MEM_MB     guest memory in MiB (default 256)
#   -t TIMEOUT_S  hard limit on the whole boot + script, in seconds of wall
#                 time (default 600); past it Bochs is killed: a hang fails
#   -l LOGFILE    where to keep the guest's serial console (default
#                 build/bench-logs/run-PID.log); Bochs' own log goes to
#                 LOGFILE.bochs
#   -q            quiet: do not stream the console to stderr (progress lines
#                 "bench: ..." are still printed)
#   -k            also put a kernel for nested boots in the guest:
#                 /boot/bzImage (the fast bzImage below) and /boot/initrd.img
#                 (bench/boot/mkinitrd.sh), for `mini-vmm boot`; costs ~38 MB
#                 of initramfs (a few seconds of boot)
#   SCRIPT        a busybox sh script, run in the guest as /run.sh
#
# The guest is Bochs (cpu corei7_haswell_4770: VMX with EPT, unrestricted
# guest, VPID) booting this host's Debian kernel (bench/kver.sh picks it)
# from an isolinux CD. The kernel is the "fast bzImage" of bench/boot/
# (uncompressed payload, built once and cached in /var/cache/rkvm-bench).
# The initramfs holds:
#   /bin/busybox (+ applet links)  /init = bench/guest/init
#   /run.sh        SCRIPT
#   /lib/rkvm/rkvm.ko              the repo's rkvm.ko (if built)
#   /lib/kvm/{irqbypass,kvm,kvm-intel}.ko   the stock modules, BTF stripped
#   /t/...         everything under build/bin/ (static test programs)
#   /boot/bzImage, /boot/initrd.img   with -k: a Linux for `mini-vmm boot`
# /init mounts /proc /sys /dev (devtmpfs) /tmp, runs /run.sh, prints
# `dmesg`, then the marker "RKVM-BENCH-EXIT: <status> uptime <s>" and
# powers off.
#
# Exit status:
#   0..119   the script's own exit status (0 = pass), when the kernel log is
#            clean
#   120      the kernel logged BUG/WARNING/Oops/... (whatever the script said)
#   124      timeout: the guest hung (Bochs killed)
#   125      the guest ended without a verdict (panic, triple fault, Bochs error)
#   126      the bench could not be set up (missing kernel, Bochs, ...)
# Anything the script returns above 119 is reported as is (only 120, 124,
# 125, 126 are ambiguous; the last "bench:" line on stderr tells which).
#
# Environment: KVER (kernel to boot), RKVM_KO (module to put at
# /lib/rkvm/rkvm.ko, default rkvm.ko at the top of the repo), RKVM_BENCH_CACHE (cache dir),
# BENCH_EXTRA_CMDLINE (appended to the kernel command line).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

CPUS=1 MEM=256 TIMEOUT=600 LOG= QUIET=0 KERNEL=0
usage() { sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2; exit 126; }
while getopts "c:m:t:l:qkh" o; do
	case $o in
	k) KERNEL=1 ;;
	c) CPUS=$OPTARG ;;
	m) MEM=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	l) LOG=$OPTARG ;;
	q) QUIET=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
SCRIPT=$1
say() { echo "bench: $*" >&2; }
fail_setup() { say "setup failed: $*"; exit 126; }
[ -r "$SCRIPT" ] || fail_setup "script $SCRIPT not readable"
[ -n "$LOG" ] || LOG=$root/build/bench-logs/run-$$.log
mkdir -p "$(dirname "$LOG")" || fail_setup "cannot create $(dirname "$LOG")"
LOG=$(realpath -m "$LOG")
case $LOG in *[,\ ]*) fail_setup "the log path must not contain commas or spaces (bochsrc)" ;; esac
: > "$LOG" || fail_setup "cannot write $LOG"

command -v bochs-bin >/dev/null || fail_setup "bochs-bin not installed (run bench/deps.sh)"
BIOS=/usr/share/bochs/BIOS-bochs-latest
VGABIOS=/usr/share/vgabios/vgabios.bin
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
BUSYBOX=/bin/busybox
for f in $BIOS $VGABIOS $ISOLINUX $LDLINUX $BUSYBOX; do
	[ -r "$f" ] || fail_setup "$f missing (run bench/deps.sh)"
done

t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

KVER=$("$here/kver.sh") || fail_setup "no kernel"
kcache=$("$here/boot/mkkernel.sh" "$KVER") || fail_setup "cannot build the fast bzImage"

work=$(mktemp -d /tmp/rkvm-bench.XXXXXX) || fail_setup "mktemp"
bochs_pid=
cleanup() {
	[ -n "$bochs_pid" ] && kill "$bochs_pid" 2>/dev/null && wait "$bochs_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---- initramfs -------------------------------------------------------------
ir=$work/initramfs
mkdir -p "$ir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,lib/kvm,lib/rkvm,t}
cp "$BUSYBOX" "$ir/bin/busybox"
for a in $("$BUSYBOX" --list-full); do
	[ -e "$ir/$a" ] || ln -s /bin/busybox "$ir/$a"
done
cp "$here/guest/init" "$ir/init"
cp "$SCRIPT" "$ir/run.sh"
chmod 755 "$ir/init" "$ir/run.sh"
cp "$kcache"/kvm/*.ko "$ir/lib/kvm/"
RKVM_KO=${RKVM_KO:-$root/rkvm.ko}
if [ -f "$RKVM_KO" ]; then
	cp "$RKVM_KO" "$ir/lib/rkvm/rkvm.ko"
else
	say "warning: $RKVM_KO not built (make module); /lib/rkvm/rkvm.ko is missing"
fi
[ -d "$root/build/bin" ] && cp -a "$root/build/bin/." "$ir/t/"
if [ "$KERNEL" = 1 ]; then
	mkdir -p "$ir/boot"
	cp "$kcache/bzImage.fast" "$ir/boot/bzImage"
	"$here/boot/mkinitrd.sh" "$ir/boot/initrd.img" || fail_setup "cannot build the nested guest's initrd"
fi
echo "root:x:0:0:root:/root:/bin/sh" > "$ir/etc/passwd"
(cd "$ir" && find . | cpio -o -H newc -R 0:0 --quiet > "$work/initrd.img") ||
	fail_setup "cpio failed"

# ---- boot CD -----------------------------------------------------------------
iso=$work/iso
mkdir -p "$iso/isolinux"
cp "$ISOLINUX" "$LDLINUX" "$iso/isolinux/"
# idle=halt: Bochs 2.7 does not always end an emulated CPU's MWAIT when
# another CPU writes the monitored line, and Linux wakes an idle CPU that
# sits in MWAIT by that write alone (no IPI): the wake-up is then lost
# until the CPU's next interrupt (a woken thread waited up to its own
# 100 ms poll timeout, or 60 s, measured on rkvm and kvm_intel alike with
# 2 CPUs). An idle CPU in HLT is woken by an IPI, which Bochs delivers.
cmdline="console=ttyS0,115200 quiet mitigations=off nokaslr cryptomgr.notests tsc=reliable panic=-1 reboot=t idle=halt ${BENCH_EXTRA_CMDLINE:-}"
cat > "$iso/isolinux/isolinux.cfg" <<EOF
DEFAULT bench
PROMPT 0
TIMEOUT 0
LABEL bench
  KERNEL /bzimage
  APPEND initrd=/initrd.img $cmdline
EOF
xorriso -as mkisofs -quiet -o "$work/bench.iso" -J -R \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table \
	-graft-points "$iso" /bzimage="$kcache/bzImage.fast" /initrd.img="$work/initrd.img" \
	>"$work/xorriso.log" 2>&1 || { cat "$work/xorriso.log" >&2; fail_setup "xorriso failed"; }

# ---- Bochs -----------------------------------------------------------------
console=$LOG		# Bochs writes the serial console here directly (tail -f works)
: > "$console"
cat > "$work/bochsrc" <<EOF
memory: guest=$MEM, host=$MEM
romimage: file=$BIOS
vgaromimage: file=$VGABIOS
cpu: model=corei7_haswell_4770, count=$CPUS, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=1
clock: sync=none, time0=local
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-slave: type=cdrom, path=$work/bench.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$console
display_library: rfb, options="timeout=0"
mouse: enabled=0
speaker: enabled=0
log: $LOG.bochs
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOF
echo c > "$work/bochs.cmd"
say "booting $KVER: $CPUS cpu, $MEM MiB, timeout ${TIMEOUT}s, log $LOG ($(elapsed)s setup)"
# Bochs' rfb display binds the first free port of 5900..5949, but two
# instances starting at the same moment can both bind one port (SO_REUSEADDR)
# and the loser then panics. Start one Bochs at a time (a lock held for 1.5 s,
# while rfb binds) and retry if it lost anyway.
start_bochs() {
	: > "$console"
	: > "$LOG.bochs"
	exec 8>"${TMPDIR:-/tmp}/rkvm-bench-rfb.lock"
	flock 8
	t_boot=$(date +%s.%N)
	bochs-bin -q -f "$work/bochsrc" -rc "$work/bochs.cmd" </dev/null >"$work/bochs.out" 2>&1 8>&- &
	bochs_pid=$!
	sleep 1.5
	flock -u 8
	exec 8>&-
}
start_bochs
starts=1

# ---- watch the console -----------------------------------------------------
shown=0 status= verdict= init_seen=0 indump=0
deadline=$(( $(date +%s) + TIMEOUT ))
# stream the console to stderr, complete lines only, without the dmesg
# dump that /init prints at the end (it is in the log file)
stream() {
	local total
	total=$(tr -d '\r' < "$console" | wc -l)
	if [ "$total" -gt "$shown" ]; then
		[ "$QUIET" = 1 ] || tr -d '\r' < "$console" | sed -n "$((shown + 1)),${total}p" |
			awk -v d="$indump" -v lf="$LOG" '
			/^RKVM-BENCH-DMESG-BEGIN/ { d = 1; print "[kernel log dump: see " lf "]"; next }
			/^RKVM-BENCH-DMESG-END/ { d = 0; next }
			!d { print }' >&2
		if tr -d '\r' < "$console" | sed -n "1,${total}p" | grep -q '^RKVM-BENCH-DMESG-BEGIN' &&
			! tr -d '\r' < "$console" | sed -n "1,${total}p" | grep -q '^RKVM-BENCH-DMESG-END'; then
			indump=1
		else
			indump=0
		fi
		shown=$total
	fi
}
while :; do
	stream
	if [ $init_seen = 0 ] && grep -a -q 'RKVM-BENCH-INIT:' "$console"; then
		init_seen=1
		say "reached /init after $(awk -v a="$t_boot" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s of boot"
	fi
	if line=$(grep -a -m1 -o 'RKVM-BENCH-EXIT: [0-9]* uptime' "$console"); then
		verdict=$(echo "$line" | awk '{ print $2 }' | tr -dc '0-9')
		# let poweroff finish (the UART is drained by then); kill if it lingers
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$bochs_pid" 2>/dev/null || break
			sleep 0.5
		done
		break
	fi
	if ! kill -0 "$bochs_pid" 2>/dev/null; then
		sleep 0.2
		stream
		grep -a -q 'RKVM-BENCH-EXIT: [0-9]* uptime' "$console" && continue
		if [ $starts -lt 4 ] && grep -q 'RFB could not bind' "$LOG.bochs" 2>/dev/null; then
			say "Bochs could not get a display port; starting it again"
			wait "$bochs_pid" 2>/dev/null
			sleep $starts
			start_bochs
			starts=$((starts + 1))
			shown=0 init_seen=0 indump=0
			continue
		fi
		status=125
		break
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		status=124
		break
	fi
	sleep 0.5
done
kill "$bochs_pid" 2>/dev/null && wait "$bochs_pid" 2>/dev/null
bochs_pid=
stream
tr -d '\r' < "$console" > "$work/console.clean" && cat "$work/console.clean" > "$LOG"
[ -s "$work/bochs.out" ] && grep -v -e '^$' -e 'i\[' "$work/bochs.out" | tail -n 20 >> "$LOG.bochs" 2>/dev/null

# ---- verdict ---------------------------------------------------------------
# kernel messages carry a "[ seconds.micro]" stamp: look only at those
problems=$(grep -a -E '^\[ *[0-9]+\.[0-9]+\]' "$LOG" |
	grep -a -E 'BUG:|WARNING:|Oops|general protection fault|Call Trace|soft lockup|hard LOCKUP|KASAN|Kernel panic|kernel BUG|UBSAN:' |
	sort -u | head -n 20)
took=$(elapsed)
# the last "bench:" line is always the verdict
if [ "${status:-}" = 124 ]; then
	[ -n "$problems" ] && { say "kernel problems seen before the hang:"; echo "$problems" | sed 's/^/bench:   /' >&2; }
	say "TIMEOUT: the guest did not finish within ${TIMEOUT}s; Bochs killed (hang?) - see $LOG"
	exit 124
fi
if [ "${status:-}" = 125 ]; then
	[ -n "$problems" ] && echo "$problems" | sed 's/^/bench:   /' >&2
	say "FAILED: the guest stopped without a verdict (panic or triple fault?) after ${took}s - see $LOG"
	exit 125
fi
if [ -n "$problems" ]; then
	echo "$problems" | sed 's/^/bench:   /' >&2
	say "FAILED: kernel warnings in the guest log (above; script status $verdict)"
	exit 120
fi
say "guest verdict $verdict after ${took}s"
exit "$verdict"
