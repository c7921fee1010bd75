#!/bin/bash
# tools/conformance/build.sh - build the upstream Linux 6.1 x86_64 KVM
# selftests, statically linked, from Debian's linux-source-6.1.
#
#   tools/conformance/build.sh [-f]
#
# The source (/usr/src/linux-source-6.1.tar.xz, package linux-source-6.1) is
# unpacked into a cache outside the repository,
#   $RKVM_CONFORMANCE_CACHE (default /var/cache/rkvm-conformance)/<pkg version>/
#     src/    the unpacked kernel tree (headers_install'ed into src/usr)
#     bin/    the built tests (one file per test, plus tests.list)
# The tests are built unmodified; only two need a compiler flag with Debian's
# 6.1 backport (as measured in /work/shared/bench-baseline/README.md):
#   steal_time      -include linux/stddef.h
#   dirty_log_test  -include <our assert_eq.h> (TEST_ASSERT_EQ is missing)
# Idempotent: does nothing when bin/.complete exists (-f rebuilds bin/).
# Prints the cache's bin/ directory as the last line of stdout.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
FORCE=0
[ "${1:-}" = -f ] && FORCE=1
say() { echo "conformance/build: $*" >&2; }

need=()
for p in linux-source-6.1 rsync make gcc libc6-dev xz-utils bc flex bison; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	say "installing Debian packages: ${need[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

VER=$(dpkg-query -W -f='${Version}' linux-source-6.1)
CACHE=${RKVM_CONFORMANCE_CACHE:-/var/cache/rkvm-conformance}/$VER
SRC=$CACHE/src
BIN=$CACHE/bin
KSF=$SRC/tools/testing/selftests/kvm
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

if [ -f "$BIN/.complete" ] && [ $FORCE = 0 ]; then
	say "already built: $BIN ($(wc -l < "$BIN/tests.list") tests)"
	echo "$BIN"
	exit 0
fi

if [ ! -f "$SRC/.unpacked" ]; then
	say "unpacking /usr/src/linux-source-6.1.tar.xz into $SRC"
	rm -rf "$SRC" "$CACHE/linux-source-6.1"
	tar -C "$CACHE" -xJf /usr/src/linux-source-6.1.tar.xz
	mv "$CACHE/linux-source-6.1" "$SRC"
	touch "$SRC/.unpacked"
fi
kv=$(make -s -C "$SRC" kernelversion 2>/dev/null)
say "kernel source $kv (linux-source-6.1 $VER)"

if [ ! -f "$SRC/usr/include/linux/kvm.h" ]; then
	say "make headers_install"
	make -s -C "$SRC" headers_install INSTALL_HDR_PATH=usr >&2
fi

# TEST_ASSERT_EQ, as later kernels define it in test_util.h
cat > "$CACHE/assert_eq.h" <<'H'
#ifndef TEST_ASSERT_EQ
#define TEST_ASSERT_EQ(a, b) do {					\
	typeof(a) __a = (a);						\
	typeof(b) __b = (b);						\
	TEST_ASSERT(__a == __b,						\
		    "ASSERT_EQ(%s, %s) failed.\n\t%s is %#lx\n\t%s is %#lx", \
		    #a, #b, #a, (unsigned long) __a, #b, (unsigned long) __b); \
} while (0)
#endif
H

J=$(nproc)
say "make -C tools/testing/selftests/kvm (static, -j$J; 2 tests are expected to fail here)"
make -k -j"$J" -C "$KSF" EXTRA_CFLAGS=-static LDFLAGS=-static >"$CACHE/build.log" 2>&1 || true
say "steal_time with -include linux/stddef.h"
make -j"$J" -C "$KSF" EXTRA_CFLAGS="-static -include linux/stddef.h" LDFLAGS=-static \
	"$KSF/steal_time" >>"$CACHE/build.log" 2>&1 || { tail -20 "$CACHE/build.log" >&2; exit 1; }
say "dirty_log_test with -include assert_eq.h"
make -j"$J" -C "$KSF" EXTRA_CFLAGS="-static -include $CACHE/assert_eq.h" LDFLAGS=-static \
	"$KSF/dirty_log_test" >>"$CACHE/build.log" 2>&1 || { tail -20 "$CACHE/build.log" >&2; exit 1; }

# The list of x86_64 tests, from the suite's own Makefile
progs=$(make -s -C "$KSF" -f - print-tests <<'M' 2>/dev/null
include Makefile
print-tests:
	@echo $(TEST_GEN_PROGS_x86_64) $(TEST_PROGS_x86_64)
	@echo EXT $(TEST_GEN_PROGS_EXTENDED_x86_64)
M
)
[ -n "$progs" ] || { say "cannot list the suite's tests"; exit 1; }
rm -rf "$BIN"
mkdir -p "$BIN"
: > "$BIN/tests.list"
missing=0
ext=0
for p in $progs; do
	[ "$p" = EXT ] && { ext=1; continue; }
	n=$(basename "$p")
	if [ -f "$KSF/$p" ]; then
		cp "$KSF/$p" "$BIN/$n"
	else
		say "MISSING: $p"
		missing=$((missing + 1))
	fi
	[ $ext = 0 ] && echo "$n" >> "$BIN/tests.list"
done
[ $missing = 0 ] || { say "$missing programs did not build (see $CACHE/build.log)"; exit 1; }
echo "$kv" > "$BIN/kernelversion"
touch "$BIN/.complete"
say "built $(wc -l < "$BIN/tests.list") tests into $BIN"
echo "$BIN"
