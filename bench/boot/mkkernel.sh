#!/bin/sh
# bench/boot/mkkernel.sh [KVER] - build (once) and print the path of the
# bench's kernel files for kernel KVER (default: the one bench/run.sh uses).
#
# Prints the cache directory, which holds:
#   bzImage.fast   Debian's bzImage with its compressed payload replaced by
#                  stub.S + the uncompressed vmlinux (see mkfastbz.c)
#   kvm/*.ko       irqbypass.ko, kvm.ko, kvm-intel.ko of that kernel,
#                  decompressed, .BTF section removed (insmod is much faster)
# The cache is ${RKVM_BENCH_CACHE:-/var/cache/rkvm-bench}/KVER and is rebuilt
# when the kernel, the stub or mkfastbz change. Concurrent callers serialize
# on a lock file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
KVER=${1:-${KVER:-}}
[ -n "$KVER" ] || KVER=$("$here/../kver.sh")
vmlinuz=/boot/vmlinuz-$KVER
moddir=/lib/modules/$KVER/kernel
[ -r "$vmlinuz" ] || { echo "mkkernel: $vmlinuz not found (apt-get install linux-image-$KVER)" >&2; exit 1; }
cache=${RKVM_BENCH_CACHE:-/var/cache/rkvm-bench}/$KVER
mkdir -p "$cache"

stamp=$( { ls -lL --time-style=+%s "$vmlinuz"; cat "$here/stub.S" "$here/mkfastbz.c" "$0"; } | md5sum | cut -d' ' -f1)

exec 9>"$cache/.lock"
flock 9
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] && [ -f "$cache/bzImage.fast" ]; then
	echo "$cache"
	exit 0
fi
echo "mkkernel: building the fast bzImage for $KVER in $cache" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the stub and the image builder
gcc -c -o "$tmp/stub.o" "$here/stub.S"
ld -m elf_x86_64 -N -Ttext=0x100000 -e _start -o "$tmp/stub.elf" "$tmp/stub.o" 2>/dev/null
objcopy -O binary "$tmp/stub.elf" "$tmp/stub.bin"
gcc -O2 -Wall -o "$tmp/mkfastbz" "$here/mkfastbz.c"

# vmlinux out of the bzImage: the payload starts payload_offset bytes after
# the setup sectors ((setup_sects + 1) * 512 bytes)
u8()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
ss=$(u8 "$vmlinuz" $((0x1f1)))
[ "$ss" -eq 0 ] && ss=4
off=$(( (ss + 1) * 512 + $(u32 "$vmlinuz" $((0x248))) ))
magic=$(od -An -tx1 -j "$off" -N4 "$vmlinuz" | tr -d ' ')
case $magic in
fd377a58) dec="xz -dc --single-stream" ;;
1f8b*)    dec="gzip -dc" ;;
28b52ffd) dec="zstd -dc" ;;
*) echo "mkkernel: unknown payload compression (magic $magic)" >&2; exit 1 ;;
esac
tail -c +$((off + 1)) "$vmlinuz" | $dec > "$tmp/vmlinux" 2>/dev/null || [ -s "$tmp/vmlinux" ]
"$tmp/mkfastbz" "$vmlinuz" "$tmp/vmlinux" "$tmp/stub.bin" "$tmp/bzImage.fast"

# the stock KVM modules, decompressed and without BTF
mkdir -p "$tmp/kvm"
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel; do
	b=$(basename $m)
	if [ -f "$moddir/$m.ko" ]; then cp "$moddir/$m.ko" "$tmp/kvm/$b.ko"
	elif [ -f "$moddir/$m.ko.xz" ]; then xz -dc "$moddir/$m.ko.xz" > "$tmp/kvm/$b.ko"
	elif [ -f "$moddir/$m.ko.zst" ]; then zstd -qdc "$moddir/$m.ko.zst" > "$tmp/kvm/$b.ko"
	elif [ -f "$moddir/$m.ko.gz" ]; then gzip -dc "$moddir/$m.ko.gz" > "$tmp/kvm/$b.ko"
	else echo "mkkernel: $moddir/$m.ko not found" >&2; exit 1
	fi
	objcopy --remove-section=.BTF "$tmp/kvm/$b.ko"
done

rm -rf "$cache/kvm"
mv "$tmp/kvm" "$cache/kvm"
mv "$tmp/bzImage.fast" "$cache/bzImage.fast"
echo "$stamp" > "$cache/stamp"
echo "$cache"
