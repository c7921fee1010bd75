#!/bin/bash
# tools/conformance/reason.sh VERDICT RC LIMIT < OUTPUT
# Prints the first relevant line of a selftest's output: the failing
# assertion (file:line: expression | message), the SKIP requirement, the
# signal that killed it, or for a TIMEOUT the last thing it printed.
v=$1 rc=$2 limit=$3
awk -v v="$v" -v rc="$rc" -v limit="$limit" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function noise(s) { return s ~ /addr2line|^ *[0-9]+\t0x|^ *[0-9]+[ \t]+0x[0-9a-f]+|\?\? \?\?:0|^\s*$/ }
{ l[++n] = $0 }
END {
	if (v == "PASS") exit
	last = ""
	for (i = n; i >= 1; i--) if (!noise(l[i])) { last = trim(l[i]); break }
	if (v == "SKIP") {
		for (i = 1; i <= n; i++) if (l[i] ~ /SKIP/) { s = trim(l[i]); sub(/^1\.\.0 # SKIP - /, "", s); sub(/^.*# SKIP -? */, "", s); print s; exit }
		print "exit 4 (SKIP); last output: " last; exit
	}
	msg = ""
	for (i = 1; i <= n; i++) if (l[i] ~ /Test Assertion Failure/) {
		loc = trim(l[i + 1]); m = ""
		for (k = i + 2; k <= n; k++) {
			if (l[k] ~ /^ *pid=[0-9]+ tid=/ || noise(l[k])) continue
			m = trim(l[k]); break
		}
		msg = loc (m != "" ? " | " m : "")
		break
	}
	if (msg == "" && v == "FAIL") {
		for (i = 1; i <= n; i++) if (l[i] ~ /not ok|[Ff]ail|[Ee]rror|[Aa]ssert|[Uu]nable|[Cc]annot|[Ii]nvalid/ && !noise(l[i])) { msg = trim(l[i]); break }
	}
	sig[4] = "SIGILL"; sig[6] = "SIGABRT"; sig[7] = "SIGBUS"; sig[8] = "SIGFPE"; sig[9] = "SIGKILL"; sig[11] = "SIGSEGV"; sig[5] = "SIGTRAP"; sig[15] = "SIGTERM"
	if (v == "TIMEOUT") {
		print "killed after the " limit " guest s limit" (last != "" ? "; last output: " last : "; no output"); exit
	}
	if (rc > 128 && msg == "") {
		s = rc - 128; print "killed by signal " s (s in sig ? " (" sig[s] ")" : "") (last != "" ? "; last output: " last : ""); exit
	}
	if (msg != "") { print msg; exit }
	print "exit " rc (last != "" ? "; last output: " last : "; no output")
}'
