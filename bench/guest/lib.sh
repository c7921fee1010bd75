# bench/guest/lib.sh - shell helpers for the guest scripts of bench/check.sh
# and bench/demo.sh (busybox sh). check.sh prepends this file to each
# generated script.
#
# Every result stream is framed on the console by
#   RKVM-TAP-BEGIN <stream>
#   ... TAP lines (top-level "ok"/"not ok" lines are counted) ...
#   RKVM-TAP-END <stream> <exit status>
# so that bench/check.sh can split the serial log into named TAP streams.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/t

tap_begin() { echo "RKVM-TAP-BEGIN $1"; TAP_N=0; TAP_FAILED=0; }
tap_end() { echo "RKVM-TAP-END $1 ${2:-$TAP_FAILED}"; }
# tap_result STATUS DESCRIPTION: one numbered line of the current stream
tap_result() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=1
	fi
}
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }

# bounded SECONDS PROG ARGS...: run with a time limit
bounded() { _bt=$1; shift; timeout -s KILL "$_bt" "$@"; }

# run_commented STATUSFILE PROG ARGS...: run PROG, its output (stdout and
# stderr) shown as TAP comments; its exit status is written to STATUSFILE
run_commented() {
	f=$1
	shift
	{ bounded "${GUEST_TIMEOUT:-300}" "$@" 2>&1; echo $? > "$f"; } | sed 's/^/# /'
}

# tap_prog STREAM PROG ARGS...: a program whose exit status is its verdict,
# as a one-line TAP stream (skipped when PROG is missing)
tap_prog() {
	s=$1
	shift
	tap_begin "$s"
	echo "1..1"
	if [ ! -x "$1" ]; then
		tap_skip "$*" "$1 not built"
		tap_end "$s" 0
		return 0
	fi
	run_commented /tmp/rc.$$ "$@"
	rc=$(cat /tmp/rc.$$)
	[ "$rc" = 137 ] && echo "# killed after ${GUEST_TIMEOUT:-300}s"
	tap_result "$rc" "$* (exit status $rc)"
	tap_end "$s" "$rc"
}

# tap_stream STREAM PROG ARGS...: a program (or a non-executable shell
# script, run with sh) that prints TAP itself (time
# limit: STREAM_TIMEOUT seconds, default 600)
tap_stream() {
	s=$1
	shift
	tap_begin "$s"
	if [ ! -e "$1" ]; then
		echo "1..1"
		tap_skip "$*" "$1 not built"
		tap_end "$s" 0
		return 0
	fi
	if [ -x "$1" ]; then
		bounded "${STREAM_TIMEOUT:-600}" "$@" 2>&1
	else
		bounded "${STREAM_TIMEOUT:-600}" sh "$@" 2>&1
	fi
	rc=$?
	[ "$rc" = 137 ] && echo "# killed after ${STREAM_TIMEOUT:-600}s"
	tap_end "$s" "$rc"
}

# load_modules STREAM: rkvm.ko, then the stock irqbypass, kvm, kvm-intel
load_modules() {
	tap_begin "$1"
	echo "1..4"
	if [ -f /lib/rkvm/rkvm.ko ]; then
		out=$(insmod /lib/rkvm/rkvm.ko 2>&1)
		tap_result $? "insmod rkvm.ko $out"
	else
		tap_result 1 "rkvm.ko is not in the bench (make module)"
	fi
	for m in irqbypass kvm kvm-intel; do
		out=$(insmod /lib/kvm/$m.ko 2>&1)
		tap_result $? "insmod stock $m.ko $out"
	done
	tap_end "$1"
}

# kernel_clean: no BUG/WARNING/Oops/... in the kernel log so far
kernel_clean() {
	_m=$(dmesg | grep -E 'BUG:|WARNING:|Oops|general protection fault|Call Trace|soft lockup|hard LOCKUP|KASAN|UBSAN:')
	[ -z "$_m" ] && return 0
	echo "$_m" | head -n 5 | sed 's/^/# /'
	return 1
}
