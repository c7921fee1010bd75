#!/bin/sh
# bench/boot/mkinitrd.sh OUT - the tiny initrd that mini-vmm's boot test
# gives its Linux guests: an uncompressed newc cpio (the guest copies it,
# nothing to decompress) holding busybox-static's /bin/busybox and an /init
# that mounts /proc, prints
#   mini-vmm-boot: hello from init, N cpus
# (N from /proc/cpuinfo), the kernel version and uptime, and reboots with
# `reboot -f`, or with `mvm_poweroff` on the kernel command line powers off
# with `poweroff -f` (without ACPI that only halts; mini-vmm recognises the
# console's "reboot: Power down"). Debian packages only:
# busybox-static and cpio (bench/deps.sh installs them).
set -eu
out=${1:?usage: mkinitrd.sh OUT}
bb=/bin/busybox
if [ ! -x "$bb" ] || ! readelf -h "$bb" >/dev/null 2>&1 || readelf -l "$bb" | grep -q INTERP; then
	echo "mkinitrd: $bb is missing or not busybox-static's static binary (apt-get install busybox-static)" >&2
	exit 1
fi
command -v cpio >/dev/null || { echo "mkinitrd: cpio not installed (apt-get install cpio)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev"
cp "$bb" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
cat > "$tmp/init" <<'INIT'
#!/bin/busybox sh
# PID 1 of mini-vmm's boot-test guest
/bin/busybox mount -t proc proc /proc
n=$(/bin/busybox grep -c '^processor' /proc/cpuinfo)
echo "mini-vmm-boot: hello from init, $n cpus"
read -r up _ < /proc/uptime
echo "mini-vmm-boot: kernel $(/bin/busybox uname -r), uptime ${up}s"
# mvm_poweroff on the kernel command line: power off instead
if /bin/busybox grep -qw mvm_poweroff /proc/cmdline; then
	/bin/busybox poweroff -f
fi
/bin/busybox reboot -f
INIT
chmod 755 "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc -R 0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
