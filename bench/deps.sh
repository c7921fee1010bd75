#!/bin/sh
# bench/deps.sh - install, idempotently, what the build and the bench need
# from Debian's archive. Safe to run repeatedly; does nothing when all is there.
set -e
PKGS="linux-image-amd64 linux-headers-amd64 bochs bochsbios vgabios busybox-static
isolinux syslinux-common xorriso cpio sparse rsync bc make gcc"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
