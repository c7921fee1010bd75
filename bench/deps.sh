#!/bin/sh
# bench/deps.sh - install, idempotently, what the build and the bench need
# from Debian's archive. Safe to run repeatedly; quiet and quick when all is
# there (one dpkg-query).
#   kernel:     linux-image-amd64 (booted by the bench; its kvm modules),
#               linux-headers-amd64 (rkvm.ko is built against it)
#   build:      make gcc libc6-dev (static test programs) binutils sparse bc rsync
#   bench:      bochs + bochsbios + vgabios (the emulator; the bench uses its
#               rfb display headless; bochs-term is listed only so that apt
#               satisfies bochs' "GUI plugin" dependency with a small package
#               instead of bochs-wx), busybox-static, isolinux +
#               syslinux-common + xorriso (boot CD), cpio, xz-utils (vmlinux
#               extraction), util-linux (flock)
set -e
PKGS="linux-image-amd64 linux-headers-amd64 make gcc libc6-dev binutils sparse bc rsync
bochs bochs-term bochsbios vgabios busybox-static isolinux syslinux-common xorriso cpio
xz-utils util-linux"
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PKGS 2>/dev/null |
	awk '$2 == "installed" { print $1 }')
missing=
for p in $PKGS; do
	echo "$installed" | grep -qx "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
