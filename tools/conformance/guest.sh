# tools/conformance/guest.sh - runs in the bench (busybox sh) as /run.sh.
# run.sh prepends: LIMIT=<per-test guest seconds>, BOOT=<boot id> and a
# function plan() that prints the tests of this boot, one per line:
#   <kvm_intel|rkvm> <test> [args...]
# Protocol on the console (host side: run.sh parses it):
#   CONF-INFO ...                  what this boot is
#   CONF-START <mod> <test>        a test begins
#   CONF-HB <mod> <test> <s>       heartbeat while it runs
#   CONF-OUT <mod> <test>| <line>  its output (long outputs: head and tail)
#   CONF-KERNEL <mod> <test>| <l>  kernel problem lines logged during it
#   CONF-RESULT <mod> <test> <rc> <PASS|SKIP|FAIL|TIMEOUT> <guest s>
#   CONF-ABORT <mod> <test> <why>  this boot stops (kernel oops, unkillable)
export PATH=/tmp/shim:/bin:/sbin:/usr/bin:/usr/sbin:/t
U=/t/upstream
KPAT='BUG:|WARNING:|Oops|general protection fault|soft lockup|hard LOCKUP|KASAN|UBSAN:|Kernel panic|kernel BUG'
SEVERE='BUG:|Oops|general protection fault|Kernel panic|kernel BUG|hard LOCKUP'

# the stock modules first (the reference column runs as stock as it can),
# then rkvm
for m in /lib/kvm/irqbypass.ko /lib/kvm/kvm.ko /lib/kvm/kvm-intel.ko /lib/rkvm/rkvm.ko; do
	out=$(insmod "$m" 2>&1)
	echo "CONF-INFO boot=$BOOT insmod $(basename "$m") rc=$? $out"
done
kp=""
for p in ept unrestricted_guest vpid nested enable_shadow_vmcs enable_apicv pml; do
	kp="$kp $p=$(cat /sys/module/kvm_intel/parameters/$p 2>/dev/null)"
done
echo "CONF-INFO boot=$BOOT kernel=$(uname -r) cpus=$(nproc) mem=$(awk '/MemTotal/{print $2}' /proc/meminfo)kB rust_kvm=$(cat /sys/class/misc/rust_kvm/dev 2>/dev/null) kvm=$(cat /sys/class/misc/kvm/dev 2>/dev/null) kvm_intel:$kp"

KPAT0='BUG:|WARNING:|Oops|general protection fault|soft lockup|hard LOCKUP|KASAN|UBSAN:|Kernel panic|kernel BUG'
dmesg | grep -E "$KPAT0" | head -n 3 | sed "s/^/CONF-INFO boot=$BOOT kernel problem at module load: /"
mkdir -p /tmp/shim /tmp/w
printf '#!/bin/sh\nexec "$@"\n' > /tmp/shim/sudo
chmod 755 /tmp/shim/sudo
# rkvm: a private mount namespace in which /dev/kvm is rkvm's device
cat > /tmp/inns.sh <<'NS'
mount --make-rprivate / 2>/dev/null
mount --bind /dev/rust_kvm /dev/kvm || { echo "conformance: cannot bind /dev/rust_kvm over /dev/kvm"; exit 99; }
exec "$@"
NS
echo "CONF-INFO boot=$BOOT rkvm namespace: /dev/kvm is $(unshare -m sh /tmp/inns.sh stat -L -c '%t:%T' /dev/kvm 2>&1) (host /dev/kvm $(stat -L -c '%t:%T' /dev/kvm 2>&1), /dev/rust_kvm $(stat -L -c '%t:%T' /dev/rust_kvm 2>&1))"

kcount() { dmesg | grep -cE "$KPAT"; }

run_one() {
	mod=$1 name=$2
	shift 2
	if [ "$name" = nx_huge_pages_test.sh ]; then
		set -- sh "$U/nx_huge_pages_test.sh" "$@"
	else
		set -- "$U/$name" "$@"
	fi
	[ "$mod" = rkvm ] && set -- unshare -m sh /tmp/inns.sh "$@"
	echo "CONF-START $mod $name"
	k0=$(kcount)
	read -r t0 _ < /proc/uptime
	s0=${t0%.*}
	cd /tmp/w
	setsid "$@" > /tmp/out 2>&1 < /dev/null &
	pid=$!
	cd /
	to=0 kt=0 hb=$s0 unk=0 d=20000
	while :; do
		st=
		[ -r /proc/$pid/stat ] && read -r _ _ st _ < /proc/$pid/stat
		[ -z "$st" ] || [ "$st" = Z ] && break
		usleep $d
		[ $d -lt 200000 ] && d=$((d * 2))
		read -r u _ < /proc/uptime
		now=${u%.*}
		if [ $to = 0 ] && [ $((now - s0)) -ge "$LIMIT" ]; then
			to=1 kt=$now
			kill -KILL -$pid 2>/dev/null
			kill -KILL $pid 2>/dev/null
		fi
		if [ $to = 1 ] && [ $((now - kt)) -ge 30 ]; then
			unk=1
			break
		fi
		if [ $((now - hb)) -ge 20 ]; then
			hb=$now
			echo "CONF-HB $mod $name $((now - s0))"
		fi
	done
	rc=137
	[ $unk = 0 ] && { wait $pid; rc=$?; }
	read -r t1 _ < /proc/uptime
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	if [ $to = 1 ]; then v=TIMEOUT
	elif [ $rc = 0 ]; then v=PASS
	elif [ $rc = 4 ]; then v=SKIP
	else v=FAIL
	fi
	n=$(wc -l < /tmp/out)
	if [ "$n" -le 90 ]; then
		tr -d '\r' < /tmp/out | sed "s/^/CONF-OUT $mod $name| /"
	else
		head -n 60 /tmp/out | tr -d '\r' | sed "s/^/CONF-OUT $mod $name| /"
		echo "CONF-OUT $mod $name| [... $((n - 90)) lines omitted ...]"
		tail -n 30 /tmp/out | tr -d '\r' | sed "s/^/CONF-OUT $mod $name| /"
	fi
	k1=$(kcount)
	severe=0
	if [ "$k1" -gt "$k0" ]; then
		dmesg | grep -E "$KPAT" | tail -n +$((k0 + 1)) | head -n 5 | sed "s/^/CONF-KERNEL $mod $name| /"
		dmesg | grep -E "$KPAT" | tail -n +$((k0 + 1)) | grep -qE "$SEVERE" && severe=1
	fi
	[ $unk = 1 ] && echo "CONF-KERNEL $mod $name| process still alive 30 s after SIGKILL (state $st)"
	echo "CONF-RESULT $mod $name $rc $v $secs"
	if [ $unk = 1 ]; then
		echo "CONF-ABORT $mod $name unkillable"
		exit 3
	fi
	if [ $severe = 1 ]; then
		echo "CONF-ABORT $mod $name kernel oops"
		exit 3
	fi
	return 0
}

plan > /tmp/plan
while read -r mod name args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	run_one "$mod" "$name" $args
done < /tmp/plan
echo "CONF-DONE boot=$BOOT"
exit 0
