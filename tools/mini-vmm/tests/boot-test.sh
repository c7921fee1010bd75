#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# boot-test.sh [DEVICE...] - boot Linux with `mini-vmm boot` on each DEVICE
# (default /dev/rust_kvm /dev/kvm) with 1 and 2 vCPUs, check that the
# guest's init ran on that many CPUs and that the VMM ended cleanly on its
# reboot or power-off, and print the boot times side by side. TAP 13 on stdout; busybox
# sh. Runs inside the bench (bench/boot-test.sh sets it up), where
# /boot/bzImage and /boot/initrd.img are the fast bzImage and the initrd of
# bench/boot/mkinitrd.sh, whose /init prints
#   mini-vmm-boot: hello from init, N cpus
# and runs `reboot -f`, or `poweroff -f` when the command line has
# mvm_poweroff: the 1-vCPU boots power off (a halt, without ACPI), the
# others reboot, so both ends of a run are checked on each device.
# Environment: MVM_BOOT_KERNEL, MVM_BOOT_INITRD (default the files above),
# MVM_BOOT_CPUS (default "1 2"), MVM_BOOT_MEM (MiB, default 256),
# MVM_BOOT_TIMEOUT (seconds per boot, default 300), MVM_BOOT_APPEND (more
# kernel command line; default "loglevel=5 cryptomgr.notests": the guest's
# warnings, such as an unchecked MSR access, reach the console and fail the
# test, and the crypto self-tests (half of the boot under Bochs) are
# skipped, as in the bench's own boot; e.g. "earlyprintk=serial loglevel=7"
# to debug).
here=$(cd "$(dirname "$0")" && pwd)
vmm=$here/mini-vmm
[ -x "$vmm" ] || vmm=$here/../mini-vmm
kernel=${MVM_BOOT_KERNEL:-/boot/bzImage}
initrd=${MVM_BOOT_INITRD:-/boot/initrd.img}
cpus_list=${MVM_BOOT_CPUS:-1 2}
mem=${MVM_BOOT_MEM:-256}
T=${MVM_BOOT_TIMEOUT:-300}
marker="mini-vmm-boot: hello from init"
MVM_BOOT_APPEND=${MVM_BOOT_APPEND-loglevel=5 cryptomgr.notests}
[ $# -gt 0 ] || set -- /dev/rust_kvm /dev/kvm
tmp=${TMPDIR:-/tmp}/mini-vmm-boot-test.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
echo "TAP version 13"
echo "1..$(( $# * $(echo $cpus_list | wc -w) ))"
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# boot DEVICE CPUS: one boot; its time goes to $tmp/time.DEVNAME.CPUS
boot() {
	dev=$1 c=$2 name="boot on $1 with $2 vCPU(s)"
	key=$(basename "$dev").$c
	echo "-" > "$tmp/time.$key"
	if [ ! -c "$dev" ]; then skip "$name" "no $dev"; return; fi
	if [ ! -r "$kernel" ] || [ ! -r "$initrd" ]; then
		skip "$name" "no $kernel or $initrd (bench/run.sh -k puts them there)"
		return
	fi
	if [ "$c" = 1 ]; then
		# no ACPI: Linux makes the power-off a halt
		append="$MVM_BOOT_APPEND mvm_poweroff" end="the guest halted"
	else
		append="$MVM_BOOT_APPEND" end="the guest rebooted"
	fi
	echo "# $vmm boot --device $dev --cpus $c --mem $mem --timeout $T --kernel $kernel --initrd $initrd --marker '$marker' --append '$append'"
	timeout -s KILL $((T + 60)) "$vmm" boot --device "$dev" --cpus "$c" \
		--mem "$mem" --timeout "$T" --kernel "$kernel" --initrd "$initrd" \
		--marker "$marker" --append "$append" >"$tmp/raw" 2>"$tmp/err"
	rc=$?
	tr -d '\r' < "$tmp/raw" > "$tmp/out"
	# the guest's console and the VMM's messages, as TAP comments
	sed 's/^/#   | /' "$tmp/out"
	sed 's/^/#   ! /' "$tmp/err"
	t=$(sed -n 's/^mini-vmm: boot-time \([0-9.]*\) s .*/\1/p' "$tmp/out" | head -n 1)
	want="$marker, $c cpus"
	if [ "$rc" != 0 ]; then
		notok "$name: mini-vmm exited with $rc ($(tail -n 1 "$tmp/err" | cut -c1-200))"
	elif ! grep -q "^$want\$" "$tmp/out"; then
		got=$(grep "$marker" "$tmp/out" | head -n 1)
		notok "$name: init's line '$want' not seen${got:+ (got '$got')}"
	elif [ -z "$t" ]; then
		notok "$name: no boot-time line"
	elif grep -q -E 'BUG:|WARNING:|Oops|Call Trace|Kernel panic' "$tmp/out"; then
		notok "$name: the guest kernel logged a problem (above)"
	elif ! grep -q "$end" "$tmp/err"; then
		notok "$name: did not end with '$end' ($(tail -n 1 "$tmp/err" | cut -c1-200))"
	else
		echo "$t" > "$tmp/time.$key"
		ok "$name: init ran on $c CPU(s), boot time $t s, ${end#the guest }"
	fi
}

for dev in "$@"; do
	for c in $cpus_list; do
		boot "$dev" "$c"
	done
done

# the table: devices down, vCPU counts across
echo "# boot time, VM creation to init's first line (s):"
line=$(printf '%-20s' "#   device")
for c in $cpus_list; do line="$line$(printf '%12s' "$c vCPU")"; done
echo "$line"
for dev in "$@"; do
	line=$(printf '%-20s' "#   $dev")
	for c in $cpus_list; do
		line="$line$(printf '%12s' "$(cat "$tmp/time.$(basename "$dev").$c")")"
	done
	echo "$line"
done
for dev in "$@"; do
	for c in $cpus_list; do
		echo "# boot-time $dev $c $(cat "$tmp/time.$(basename "$dev").$c")"
	done
done
[ "$failed" = 0 ]
