#!/bin/sh
# bench/kver.sh - the kernel version the bench boots: $KVER if set, else the
# newest Debian linux-headers-*-amd64 (as the top-level Makefile builds
# rkvm.ko against it) that has a matching /boot/vmlinuz.
if [ -n "${KVER:-}" ]; then echo "$KVER"; exit 0; fi
for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's,.*/linux-headers-,,' | sort -rV); do
	[ -r "/boot/vmlinuz-$d" ] && { echo "$d"; exit 0; }
done
v=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's,.*/vmlinuz-,,' | sort -rV | head -n 1)
[ -n "$v" ] && { echo "$v"; exit 0; }
echo "kver: no kernel found in /boot" >&2
exit 1
