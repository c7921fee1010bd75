#!/bin/bash
# tools/conformance/run.sh - run the upstream Linux 6.1 KVM selftests in the
# bench against the stock kvm_intel and against rkvm, in the same boots, and
# write docs/conformance.md.
#
#   tools/conformance/run.sh [options]          build, run, report (the one command)
#   tools/conformance/run.sh --report [DIR]     only regenerate docs/conformance.md
#                                                from a run's results (default: the latest)
# Options:
#   -j N          benches in parallel (default 2; the tests are split by their
#                 baseline kvm_intel time)
#   -L SECONDS    per-test limit in guest seconds (default 120, as the baseline)
#   -c CPUS       emulated CPUs per bench (default 2, as the baseline)
#   -m MEM_MB     guest memory (default 2048, as the baseline)
#   -B BOOTS      boots allowed per bench after the first, to finish the tests
#                 left by a crash or hang (default 6)
#   -T SECONDS    wall-clock budget for the whole run (default 5400): no new
#                 boot starts past it
#   -S SECONDS    a bench whose console is silent this long is hung (default 480)
#   -o TESTS      only these tests (comma-separated; for debugging)
#   -M MODS       only these modules (comma-separated: kvm_intel,rkvm)
#   -n            do not write docs/conformance.md (runs with -o or -M never
#                 do, nor become build/conformance/latest)
#   --no-make     do not run `make module` first (use ./rkvm.ko as it is)
#
# How: build.sh builds the suite (cached); the programs, stripped, are staged
# with a private copy of bench/ under build/conformance/<run>/stage, so that
# bench/run.sh puts them at /t/upstream/ in the guest without touching the
# shared build/bin/. Each boot loads rkvm.ko and the stock irqbypass, kvm and
# kvm-intel, runs its kvm_intel tests first and then its rkvm tests; an rkvm
# test runs in a private mount namespace (busybox unshare -m) in which
# /dev/rust_kvm is bind-mounted over /dev/kvm (the tests hardcode /dev/kvm).
# Each test: own session, SIGKILL to its process group after -L guest
# seconds. Exit status 0 PASS, 4 SKIP, other FAIL, limit TIMEOUT. After a
# kernel oops, an unkillable test, a hang or a crash, the boot ends and a new
# one runs the tests that are left; past the -B/-T limits they are recorded
# as "not run: bench died after <test>".
# Results: build/conformance/<run>/results.tsv (+ console logs), then
# tools/conformance/report.sh writes docs/conformance.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { echo "conformance: $*" >&2; }

JOBS=2 LIMIT=120 CPUS=2 MEM=2048 BOOTS=6 BUDGET=5400 STALL=480 ONLY= MODS=kvm_intel,rkvm REPORT=1 MAKE=1
if [ "${1:-}" = --report ]; then
	exec "$here/report.sh" "${2:-$root/build/conformance/latest}"
fi
while [ $# -gt 0 ]; do
	case $1 in
	-j) JOBS=$2; shift ;;
	-L) LIMIT=$2; shift ;;
	-c) CPUS=$2; shift ;;
	-m) MEM=$2; shift ;;
	-B) BOOTS=$2; shift ;;
	-T) BUDGET=$2; shift ;;
	-S) STALL=$2; shift ;;
	-o) ONLY=$2; shift ;;
	-M) MODS=$2; shift ;;
	-n) REPORT=0 ;;
	--no-make) MAKE=0 ;;
	*) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
T0=$(date +%s)

# ---- build ------------------------------------------------------------------
BIN=$("$here/build.sh" | tail -n 1) || { say "build failed"; exit 1; }
[ -f "$BIN/.complete" ] || { say "build failed"; exit 1; }
if [ $MAKE = 1 ]; then
	for i in 1 2 3 4 5 6; do
		make -s -C "$root" module >/tmp/conformance-make.$$ 2>&1 && break
		say "make module failed (attempt $i; rkvm/ may be mid-edit), retrying in 20 s"
		tail -n 5 /tmp/conformance-make.$$ >&2
		sleep 20
	done
	rm -f /tmp/conformance-make.$$
fi
[ -f "$root/rkvm.ko" ] || { say "no rkvm.ko (make module)"; exit 1; }

RUN=$root/build/conformance/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/stage/build/bin/upstream" "$RUN/logs"
cp "$root/rkvm.ko" "$RUN/rkvm.ko"
cp -a "$root/bench" "$RUN/stage/bench"
for f in "$BIN"/*; do
	n=$(basename "$f")
	case $n in tests.list|kernelversion) continue ;; esac
	cp "$f" "$RUN/stage/build/bin/upstream/$n"
	file "$f" | grep -q ELF && strip "$RUN/stage/build/bin/upstream/$n"
done
KSRC=$(cat "$BIN/kernelversion")
{
	echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "suite	Linux $KSRC KVM selftests (Debian linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1)), x86_64, static"
	echo "rkvm	$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" status --porcelain -- rkvm uapi Kbuild Makefile | grep -q . && echo ' + uncommitted changes in rkvm/') rkvm.ko md5 $(md5sum < "$RUN/rkvm.ko" | cut -c1-12)"
	echo "bench	$CPUS emulated CPUs, $MEM MiB, per-test limit $LIMIT guest s, $JOBS benches in parallel"
	echo "command	tools/conformance/run.sh$( [ "$JOBS" != 2 ] && echo " -j $JOBS")$( [ "$LIMIT" != 120 ] && echo " -L $LIMIT")$( [ "$CPUS" != 2 ] && echo " -c $CPUS")$( [ "$MEM" != 2048 ] && echo " -m $MEM")"
} > "$RUN/meta.tsv"
say "run directory $RUN"

# ---- the plan -----------------------------------------------------------------
conf() { # conf TEST FIELD(2 args, 3 weight, 4 policy)
	awk -F'|' -v t="$1" -v f="$2" '!/^#/ { g = $1; gsub(/ /, "", g); if (g == t) { v = $f; gsub(/^ +| +$/, "", v); print v; exit } }' "$here/tests.conf"
}
: > "$RUN/tests.tsv"		# test, args, weight, policy (in suite order)
while read -r t; do
	[ -n "$ONLY" ] && ! echo ",$ONLY," | grep -q ",$t," && continue
	w=$(conf "$t" 3)
	printf '%s\t%s\t%s\t%s\n' "$t" "$(conf "$t" 2)" "${w:-2}" "$(conf "$t" 4)" >> "$RUN/tests.tsv"
done < "$BIN/tests.list"
: > "$RUN/results.tsv"		# mod, test, args, status, rc, guest s, boot, reason
for j in $(seq 1 "$JOBS"); do : > "$RUN/plan.$j"; done
# split: heaviest first onto the lightest bench
sort -t$'\t' -k3,3nr "$RUN/tests.tsv" | awk -F'\t' -v J="$JOBS" '
	{ best = 1; for (j = 2; j <= J; j++) if (load[j] < load[best]) best = j
	  load[best] += $3 + 1; print best "\t" $0 }' > "$RUN/split.tsv"
for j in $(seq 1 "$JOBS"); do
	for mod in kvm_intel rkvm; do
		echo ",$MODS," | grep -q ",$mod," || continue
		awk -F'\t' -v j="$j" -v mod="$mod" -v R="$RUN/results.tsv" '
			$1 != j { next }
			mod == "kvm_intel" && $5 == "norun-kvm_intel" {
				printf "kvm_intel\t%s\t%s\tNOT RUN\t-\t-\t-\tnot run on kvm_intel: hangs the bench (Bochs bug), see baseline\n", $2, $3 >> R
				next }
			{ print mod "\t" $2 "\t" $3 }' "$RUN/split.tsv" >> "$RUN/plan.$j"
	done
done

# ---- one bench: boots until its plan is done ------------------------------------
clean_reason() { sed -e 's/\t/ /g' | cut -c1-400; }
bench_job() {
	local j=$1 boot=0 left=$RUN/plan.$j.left last=
	cp "$RUN/plan.$j" "$left"
	while [ -s "$left" ]; do
		boot=$((boot + 1))
		local id=b$j.$boot log=$RUN/logs/b$j.$boot.log
		if [ $boot -gt $((BOOTS + 1)) ] || [ $(( $(date +%s) - T0 )) -gt "$BUDGET" ]; then
			why="not run: bench died after ${last:-the start}"
			[ $boot -gt $((BOOTS + 1)) ] || why="not run: time budget (${BUDGET}s) spent; bench died after ${last:-the start}"
			while IFS=$'\t' read -r mod t args; do
				printf '%s\t%s\t%s\tNOT RUN\t-\t-\t-\t%s\n' "$mod" "$t" "$args" "$why" >> "$RUN/results.tsv"
			done < "$left"
			: > "$left"
			break
		fi
		local script=$RUN/logs/$id.script
		{
			echo "LIMIT=$LIMIT BOOT=$id"
			echo "plan() {"
			echo "cat <<'PLAN'"
			tr '\t' ' ' < "$left"
			echo "PLAN"
			echo "}"
			cat "$here/guest.sh"
		} > "$script"
		local n est
		n=$(wc -l < "$left")
		est=$(( $(awk -F'\t' '{ s += ($1 == "rkvm" ? 10 : 3) } END { print s + 120 }' "$left") * 4 + 600 ))
		say "[$id] booting: $n tests left ($(cut -f1 "$left" | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }'))"
		RKVM_KO=$RUN/rkvm.ko "$RUN/stage/bench/run.sh" -q -c "$CPUS" -m "$MEM" -t "$est" -l "$log" "$script" \
			> "$RUN/logs/$id.bench.out" 2>&1 &
		local bpid=$! seen=0 size=0 quiet=0 stalled=0
		while kill -0 $bpid 2>/dev/null; do
			sleep 5
			local s
			s=$(stat -c %s "$log" 2>/dev/null || echo 0)
			if [ "$s" != "$size" ]; then size=$s quiet=0; else quiet=$((quiet + 5)); fi
			# print each result as soon as it is known
			local cur
			# (complete lines only: Bochs may be writing the last one)
			cur=$(head -n "$(wc -l < "$log")" "$log" | tr -d '\r' | grep -a '^CONF-RESULT ' | wc -l)
			if [ "$cur" -gt "$seen" ]; then
				head -n "$(wc -l < "$log")" "$log" | tr -d '\r' | grep -a '^CONF-RESULT ' | sed -n "$((seen + 1)),${cur}p" |
					awk -v id="$id" '{ printf "conformance: [%s] %-9s %-40s %-7s %s s\n", id, $2, $3, $5, $6 }' >&2
				seen=$cur
			fi
			if [ $quiet -ge "$STALL" ]; then
				say "[$id] console silent for ${quiet}s: the bench is hung; stopping it"
				stalled=1
				kill -TERM $bpid
				sleep 3
				break
			fi
		done
		wait $bpid
		local brc=$?
		[ $stalled = 1 ] && brc=124
		tr -d '\r' < "$log" > "$log.clean"
		# harvest
		awk -v id="$id" -v R="$RUN/results.tsv" -v A="$RUN/logs/$id.args" '
			BEGIN { FS = "\n" }
			/^CONF-OUT / || /^CONF-KERNEL / {
				sp = index($0, "| "); key = substr($0, 1, sp - 1); n = split(key, k, " ")
				kind = k[1]; mt = k[2] " " k[3]
				txt = substr($0, sp + 2)
				if (kind == "CONF-OUT") out[mt] = out[mt] txt "\x01"; else kern[mt] = kern[mt] txt "\x01"
				next }
			/^CONF-RESULT / { split($0, f, " "); mt = f[2] " " f[3]
				printf "%s\t%s\t%s\t%s\t%s\t%s\n", f[2], f[3], f[4], f[5], f[6], id > (A ".res")
				gsub(/\t/, " ", out[mt]); gsub(/\t/, " ", kern[mt])
				print f[2] "\t" f[3] "\t" out[mt] "\t" kern[mt] > (A ".out") }
		' "$log.clean"
		touch "$RUN/logs/$id.args.res" "$RUN/logs/$id.args.out"
		# results of this boot, with their reasons
		while IFS=$'\t' read -r mod t rc v secs bid; do
			local args outl kl reason
			args=$(awk -F'\t' -v m="$mod" -v t="$t" '$1 == m && $2 == t { print $3; exit }' "$left")
			outl=$(awk -F'\t' -v m="$mod" -v t="$t" '$1 == m && $2 == t { print $3; exit }' "$RUN/logs/$id.args.out")
			kl=$(awk -F'\t' -v m="$mod" -v t="$t" '$1 == m && $2 == t { print $4; exit }' "$RUN/logs/$id.args.out")
			reason=$(printf '%s' "$outl" | tr '\001' '\n' | "$here/reason.sh" "$v" "$rc" "$LIMIT")
			if [ -n "$kl" ]; then
				reason="$reason${reason:+; }kernel: $(printf '%s' "$kl" | tr '\001' '\n' | head -n 1 | sed 's/^\[ *[0-9.]*\] //')"
			fi
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mod" "$t" "$args" "$v" "$rc" "$secs" "$bid" \
				"$(printf '%s' "$reason" | clean_reason)" >> "$RUN/results.tsv"
			last="$t ($mod)"
		done < "$RUN/logs/$id.args.res"
		# the test in progress when the boot ended
		local inprog
		inprog=$(awk '/^CONF-START / { s = $2 " " $3 } /^CONF-RESULT / { if ($2 " " $3 == s) s = "" } END { print s }' "$log.clean")
		# drop what is done from the plan
		awk -F'\t' 'NR == FNR { done[$1 " " $2] = 1; next } !(($1 " " $2) in done)' \
			"$RUN/logs/$id.args.res" "$left" > "$left.new"
		mv "$left.new" "$left"
		if [ -n "$inprog" ]; then
			local mod=${inprog%% *} t=${inprog#* } v why kp
			kp=$(grep -a -E '^\[ *[0-9]+\.[0-9]+\].*(BUG:|Oops|general protection fault|Kernel panic|kernel BUG|soft lockup|hard LOCKUP|rcu_sched detected stalls|rcu: INFO)' "$log.clean" | head -n 1 | sed 's/^\[ *[0-9.]*\] //')
			case $brc in
			124) v=TIMEOUT why="the whole bench hung during this test (console silent or bench limit; test limit could not act)" ;;
			125) v=FAIL why="the guest kernel died during this test (panic/triple fault/Bochs error)" ;;
			*) v=FAIL why="the boot ended during this test (bench status $brc)" ;;
			esac
			[ -n "$kp" ] && why="$why; kernel: $kp"
			local args
			args=$(awk -F'\t' -v m="$mod" -v t="$t" '$1 == m && $2 == t { print $3; exit }' "$left")
			printf '%s\t%s\t%s\t%s\t-\t-\t%s\t%s\n' "$mod" "$t" "$args" "$v" "$id" "$(printf '%s' "$why" | clean_reason)" >> "$RUN/results.tsv"
			say "[$id] $mod $t: $v: $why"
			awk -F'\t' -v m="$mod" -v t="$t" '!($1 == m && $2 == t)' "$left" > "$left.new"
			mv "$left.new" "$left"
			last="$t ($mod)"
		elif [ -s "$left" ] && ! grep -q '^CONF-ABORT' "$log.clean"; then
			say "[$id] boot ended with tests left (bench status $brc); see $log"
			if ! grep -q '^CONF-START' "$log.clean"; then
				say "[$id] no test started: giving up on this bench"
				boot=$((BOOTS + 1))
			fi
		fi
		say "[$id] boot done (bench status $brc), $(wc -l < "$left") tests left"
	done
}

say "suite Linux $KSRC: $(wc -l < "$RUN/tests.tsv") tests; $(cat "$RUN"/plan.* | grep -v '\.left' | wc -l) runs over $JOBS benches"
pids=()
for j in $(seq 1 "$JOBS"); do
	bench_job "$j" &
	pids+=($!)
	sleep 2
done
for p in "${pids[@]}"; do wait "$p"; done
T1=$(date +%s)
echo "wall	$((T1 - T0))" >> "$RUN/meta.tsv"
# build/conformance/latest (what --report reads) = the last complete run:
# all tests, both modules
[ -z "$ONLY" ] && [ "$MODS" = kvm_intel,rkvm ] && ln -sfn "$RUN" "$root/build/conformance/latest"
say "done in $((T1 - T0)) s: $RUN/results.tsv"
awk -F'\t' '{ c[$1 " " $4]++ } END { for (k in c) print "conformance:   " k ": " c[k] }' "$RUN/results.tsv" | sort >&2
if [ $REPORT = 1 ] && [ -z "$ONLY" ] && [ "$MODS" = kvm_intel,rkvm ]; then
	"$here/report.sh" "$RUN"
fi
exit 0
