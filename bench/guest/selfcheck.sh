# bench/guest/selfcheck.sh - the bench's own checks of rkvm.ko (issue 2),
# run in the guest after lib.sh. One TAP stream, "bench-selfcheck".
S=bench-selfcheck
KO=/lib/rkvm/rkvm.ko
tap_begin $S
echo "1..10"
if [ ! -f $KO ]; then
	echo "# $KO missing: build it with make module"
	for i in 1 2 3 4 5 6 7 8 9 10; do tap_result 1 "rkvm.ko present in the bench"; done
	tap_end $S 1
	exit 0
fi

# 1. 20 load/unload cycles, 2. with a clean kernel log
bad=0
i=1
while [ $i -le 20 ]; do
	if ! out=$(insmod $KO 2>&1); then
		echo "# cycle $i: insmod failed: $out"; bad=1; break
	fi
	if ! out=$(rmmod rkvm 2>&1); then
		echo "# cycle $i: rmmod failed: $out"; bad=1; break
	fi
	i=$((i + 1))
done
tap_result $bad "rkvm.ko loads and unloads 20 times"
kernel_clean
tap_result $? "no kernel warning after 20 load/unload cycles"

# 3..5. the misc device
insmod $KO
if [ -c /dev/rust_kvm ]; then tap_result 0 "/dev/rust_kvm is a character device"
else ls -l /dev/rust_kvm 2>&1 | sed 's/^/# /'; tap_result 1 "/dev/rust_kvm is a character device"; fi
major=$(stat -c %t /dev/rust_kvm 2>/dev/null)
minor=$(( 0x$(stat -c %T /dev/rust_kvm 2>/dev/null || echo ff) ))
ls -l /dev/rust_kvm 2>&1 | sed 's/^/# /'
[ "$major" = a ]
tap_result $? "/dev/rust_kvm has major 10 (misc), minor $minor"
pminor=$(awk '$2 == "rust_kvm" { print $1 }' /proc/misc)
echo "# /proc/misc: ${pminor:-none} rust_kvm"
[ -n "$pminor" ] && [ "$pminor" = "$minor" ]
tap_result $? "rust_kvm listed in /proc/misc with the device's minor"

# 6..8. rmmod refused while the device is open
exec 3</dev/rust_kvm
if out=$(rmmod rkvm 2>&1); then
	tap_result 1 "rmmod rkvm is refused while /dev/rust_kvm is open"
	exec 3<&-
	insmod $KO
else
	echo "# rmmod: $out"
	tap_result 0 "rmmod rkvm is refused while /dev/rust_kvm is open"
	exec 3<&-
fi
[ -d /sys/module/rkvm ]
tap_result $? "rkvm still loaded after the refused rmmod"
out=$(rmmod rkvm 2>&1)
rc=$?
[ -n "$out" ] && echo "# rmmod: $out"
[ $rc = 0 ] && [ ! -e /dev/rust_kvm ] && [ ! -d /sys/module/rkvm ]
tap_result $? "rmmod rkvm succeeds once the device is closed; /dev/rust_kvm is gone"

# 9. rkvm and the stock KVM modules side by side
insmod $KO
for m in irqbypass kvm kvm-intel; do insmod /lib/kvm/$m.ko 2>&1 | sed 's/^/# /'; done
[ -c /dev/rust_kvm ] && [ -c /dev/kvm ]
tap_result $? "rkvm.ko and the stock kvm-intel.ko load side by side"
kernel_clean
tap_result $? "no kernel warning with rkvm.ko and kvm-intel.ko loaded side by side"
tap_end $S
