#!/bin/bash
# bench/test-bench.sh - check bench/run.sh itself: that it reports a pass, a
# script's failure status, a kernel warning, a panic and a hang as documented.
# Five short boots, two at a time (about a minute). Prints TAP and
# "N passed, N failed, N skipped"; exit 0 when all cases behave.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/rkvm-test-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$here/boot/mkkernel.sh" >/dev/null || exit 1

# name|expected status|timeout|script
cases='pass|0|120|grep -q " /proc " /proc/mounts && [ -c /dev/null ] && [ -f /init ] && exit 0
status|3|120|exit 3
warning|120|120|echo "WARNING: CPU: 0 PID: 1 at bench/test-bench.sh fake warning" > /dev/kmsg; exit 0
panic|125|120|echo c > /proc/sysrq-trigger
hang|124|35|while :; do :; done'

echo "$cases" | while IFS='|' read -r name want limit body; do
	echo "$body" > "$tmp/$name.sh"
	echo "$name $want $limit"
done > "$tmp/list"

run_case() {
	"$here/run.sh" -q -t "$3" -l "$tmp/$1.log" "$tmp/$1.sh" 2> "$tmp/$1.err"
	echo $? > "$tmp/$1.status"
}
while read -r name want limit; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do sleep 1; done
	run_case "$name" "$want" "$limit" &
done < "$tmp/list"
wait

echo "TAP version 13"
echo "1..$(wc -l < "$tmp/list")"
n=0 pass=0 fail=0
while read -r name want limit; do
	n=$((n + 1))
	got=$(cat "$tmp/$name.status")
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name: run.sh exits $want"
		pass=$((pass + 1))
	else
		echo "not ok $n - $name: run.sh exits $got, expected $want"
		sed 's/^/# /' "$tmp/$name.err"
		fail=$((fail + 1))
	fi
done < "$tmp/list"
echo "$pass passed, $fail failed, 0 skipped"
[ $fail = 0 ]
