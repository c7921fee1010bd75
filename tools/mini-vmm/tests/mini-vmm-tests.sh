#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mini-vmm-tests.sh DEVICE - end-to-end tests of mini-vmm on DEVICE (e.g.
# /dev/kvm or /dev/rust_kvm): every example's output, the hostile functions
# and their containment, snapshot/pool starts. TAP 13 on stdout. Works under
# busybox sh; finds mini-vmm and the ELFs next to itself (installed layout)
# or in the source tree. Every run is bounded by mini-vmm --timeout.
dev=${1:-/dev/kvm}
here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/mini-vmm" ]; then
	vmm=$here/mini-vmm ex=$here/mini-vmm-examples
else
	vmm=$here/../mini-vmm ex=$here/../examples
fi
tmp=${TMPDIR:-/tmp}/mini-vmm-tests.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
skip_all=
[ -c "$dev" ] || skip_all="no device $dev"
[ -z "$skip_all" ] && [ ! -r "$dev" ] && skip_all="$dev not readable"
[ -x "$vmm" ] || skip_all="no mini-vmm binary at $vmm"
T=5000	# ms: every run is killed by mini-vmm after this
# CPU-heavy runs get longer (the bench's emulated CPU does ~50M instr/s)
TCPU=${MVM_TEST_CPU_TIMEOUT:-60000}

echo "TAP version 13"
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

# run NAME EXPECTED-RC EXPECTED-OUT|"" EXPECTED-STDERR-SUBSTRING|"" ARGS...
run() {
	name=$1 want_rc=$2 want_out=$3 want_err=$4
	shift 4
	if [ -n "$skip_all" ]; then skip "$name" "$skip_all"; return; fi
	"$vmm" run --device "$dev" --timeout $T "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	if [ "$rc" != "$want_rc" ]; then
		notok "$name" "exit $rc, want $want_rc" "stderr: $(head -c 300 "$tmp/err")"
	elif [ -n "$want_out" ] && [ "$out" != "$want_out" ]; then
		notok "$name" "output: $out" "want:   $want_out"
	elif [ -n "$want_err" ] && ! grep -F -q -- "$want_err" "$tmp/err"; then
		notok "$name" "stderr lacks '$want_err': $(head -c 300 "$tmp/err")"
	else
		ok "$name"
	fi
}

# --- examples ---
printf 'abcd\n' >"$tmp/abcd"
run "hello prints its greeting" 0 "Hello from mini-vmm! input bytes: 5" "" \
	"$ex/hello.elf" --input "$tmp/abcd"
run "hello logs through the log doorbell" 0 "" "[guest] hello: running" \
	"$ex/hello.elf"
run "sha256 of empty input" 0 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -" "" \
	"$ex/sha256.elf"
printf abc >"$tmp/abc"
run "sha256 of 'abc' (FIPS 180-2 vector)" 0 \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -" "" \
	"$ex/sha256.elf" --input "$tmp/abc"
if command -v sha256sum >/dev/null 2>&1; then
	want=$(sha256sum <"$vmm" | cut -d' ' -f1)
	T=$TCPU
	run "sha256 of the mini-vmm binary matches sha256sum" 0 "$want  -" "" \
		"$ex/sha256.elf" --mem 8M --input "$vmm"
	T=5000
	want=$(sha256sum <"$0" | cut -d' ' -f1)
	run "sha256 of stdin matches sha256sum" 0 "$want  -" "" \
		"$ex/sha256.elf" --input - <"$0"
else
	skip "sha256 of the mini-vmm binary matches sha256sum" "no sha256sum"
	skip "sha256 of stdin matches sha256sum" "no sha256sum"
fi
if command -v wc >/dev/null 2>&1; then
	set -- $(wc <"$0")
	run "wc of this script matches wc" 0 "$1 $2 $3" "" "$ex/wc.elf" --input "$0"
else
	skip "wc of this script matches wc" "no wc"
fi
printf ' one  two\tthree\n\nfour' >"$tmp/words"
run "wc counts lines, words, bytes" 0 "2 4 21" "" "$ex/wc.elf" --input "$tmp/words"
T=$TCPU
run "primes: pi(10^6) = 78498 (default N)" 0 78498 "" "$ex/primes.elf"
echo 100 >"$tmp/n"
run "primes: pi(100) = 25" 0 25 "" "$ex/primes.elf" --input "$tmp/n"
echo 10000000 >"$tmp/n"
run "primes: pi(10^7) = 664579" 0 664579 "" "$ex/primes.elf" --input "$tmp/n"
echo 16777216 >"$tmp/n"
run "pitable (init-built table): pi(2^24) = 1077871" 0 1077871 "" \
	"$ex/pitable.elf" --input "$tmp/n"
T=5000
echo notanumber >"$tmp/n"
run "primes: bad input gives exit status 2" 2 "" "" "$ex/primes.elf" --input "$tmp/n"

# --- hostile functions: each must fail with a clear reason, quickly ---
T=1000
run "endless loop killed by --timeout" 125 "" "timed out after 1000 ms" \
	"$ex/loop.elf"
T=5000
run "wild write outside RAM contained" 125 "" "wild memory access: write" \
	"$ex/wild.elf"
run "triple fault (ring 0) contained" 125 "" "triple fault" \
	--ring0 "$ex/triple.elf"
run "privileged instruction in user mode is a #GP" 125 "" "#GP" \
	"$ex/triple.elf"
run "NULL dereference is a page fault" 125 "" "#PF page fault" \
	"$ex/fault.elf"
run "I/O exit flood stopped by the exit budget" 125 "" "exit flood" \
	--quiet --max-exits 1000 "$ex/flood.elf"
run "port I/O exit flood (ring 0) stopped by the exit budget" 125 "" \
	"exit flood" --quiet --ring0 --max-exits 1000 "$ex/ioflood.elf"
run "non-ELF input rejected" 126 "" "not an ELF" "$0"
head -c 3000000 /dev/zero >"$tmp/big"
run "input larger than memory rejected" 126 "" "memory size" \
	--mem 2M --input "$tmp/big" "$ex/hello.elf"

# --- containment: hostile and good functions side by side ---
if [ -n "$skip_all" ]; then
	skip "hostile microVMs do not disturb their neighbours" "$skip_all"
else
	"$vmm" runmany --device "$dev" --timeout 3000 --max-exits 1000 \
		--input "$tmp/abc" \
		"$ex/hello.elf" "$ex/loop.elf" "$ex/sha256.elf" "$ex/wild.elf" \
		ring0:"$ex/triple.elf" "$ex/flood.elf" "$ex/fault.elf" \
		"$ex/wc.elf" >"$tmp/many" 2>&1
	bad=
	grep -q "hello.elf: ok status=0 .*input bytes: 3" "$tmp/many" || bad="$bad hello"
	grep -q "sha256.elf: ok status=0 .*output=ba7816bf" "$tmp/many" || bad="$bad sha256"
	grep -q "wc.elf: ok status=0 .*output=0 1 3" "$tmp/many" || bad="$bad wc"
	grep -q "loop.elf: failed timeout" "$tmp/many" || bad="$bad loop"
	grep -q "wild.elf: failed wild-access" "$tmp/many" || bad="$bad wild"
	grep -q "triple.elf: failed triple-fault" "$tmp/many" || bad="$bad triple"
	grep -E -q "flood.elf: failed (exit-flood|timeout)" "$tmp/many" || bad="$bad flood"
	grep -q "fault.elf: failed fault" "$tmp/many" || bad="$bad fault"
	if [ -z "$bad" ]; then
		ok "hostile microVMs do not disturb their neighbours"
	else
		notok "hostile microVMs do not disturb their neighbours" "wrong:$bad" \
			"$(cat "$tmp/many")"
	fi
fi

# --- fast starts: pooled and snapshot invocations give the cold output ---
for mode in pool snapshot; do
	name="bench --mode $mode: outputs identical to a cold start"
	if [ -n "$skip_all" ]; then skip "$name" "$skip_all"; continue; fi
	if "$vmm" bench --device "$dev" --mode "$mode" -n 8 -k 3 \
		--func "$ex/sha256.elf" --timeout $T >"$tmp/bench" 2>&1; then
		ok "$name"
	else
		notok "$name" "$(tail -n 5 "$tmp/bench")"
	fi
done

echo "1..$n"
echo "# mini-vmm-tests on $dev: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
