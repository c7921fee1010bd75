#!/bin/bash
# bench/demo.sh - make demo: boot the bench, load rkvm.ko, run
#   /t/test_misc /dev/rust_kvm
#   /t/mini-vmm run /t/mini-vmm-examples/hello.elf --device /dev/rust_kvm
# and show their output (the guest console streams to the terminal; the
# full log is kept in build/bench-logs/demo.log).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=$root/build/bin
[ -f "$root/rkvm.ko" ] || echo "demo: rkvm.ko is not built (make module): the guest will say so" >&2
[ -x "$bin/test_misc" ] || echo "demo: build/bin/test_misc is missing (make tools)" >&2
[ -x "$bin/mini-vmm" ] || echo "demo: build/bin/mini-vmm is missing (make tools)" >&2
[ -f "$bin/mini-vmm-examples/hello.elf" ] || echo "demo: build/bin/mini-vmm-examples/hello.elf is missing (make tools)" >&2
script=$(mktemp /tmp/rkvm-demo.XXXXXX)
trap 'rm -f "$script"' EXIT
cat > "$script" <<'GUEST'
export PATH=/bin:/sbin:/t
rc=0
show() { echo; echo "### $*"; }
show "insmod /lib/rkvm/rkvm.ko"
if [ -f /lib/rkvm/rkvm.ko ]; then
	insmod /lib/rkvm/rkvm.ko || rc=1
	ls -l /dev/rust_kvm
	grep rust_kvm /proc/misc
	dmesg | grep -i rkvm | tail -n 5
else
	echo "MISSING: /lib/rkvm/rkvm.ko (run make module on the host)"
	rc=1
fi
show "/t/test_misc /dev/rust_kvm"
if [ -x /t/test_misc ]; then
	timeout -s KILL 120 /t/test_misc /dev/rust_kvm
	r=$?; echo "=> exit status $r"; [ $r = 0 ] || rc=1
else
	echo "MISSING: /t/test_misc (run make tools on the host)"; rc=1
fi
show "/t/mini-vmm run /t/mini-vmm-examples/hello.elf --device /dev/rust_kvm"
if [ -x /t/mini-vmm ] && [ -f /t/mini-vmm-examples/hello.elf ]; then
	timeout -s KILL 120 /t/mini-vmm run /t/mini-vmm-examples/hello.elf --device /dev/rust_kvm
	r=$?; echo "=> exit status $r"; [ $r = 0 ] || rc=1
else
	echo "MISSING: /t/mini-vmm or /t/mini-vmm-examples/hello.elf (run make tools on the host)"; rc=1
fi
echo
exit $rc
GUEST
mkdir -p "$root/build/bench-logs"
"$here/run.sh" -t 300 -l "$root/build/bench-logs/demo.log" "$script"
rc=$?
if [ $rc = 0 ]; then echo "demo: all steps passed" >&2; else echo "demo: some step failed (status $rc); log: build/bench-logs/demo.log" >&2; fi
exit $rc
