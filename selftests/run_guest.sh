#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM of "scripts/vm.sh check":
#
#	selftests/run_guest.sh RUNDIR [SUITE]
#
# Runs every test of TEST_PROGS in selftests/SUITE/Makefile (default: meta)
# with the per-test timeout of its "settings" (timeout=N, kselftest default
# 45 s) and prints KTAP on stdout: "TAP version 13", "1..N", then per test its
# output as "# " diagnostics and "ok N NAME", "ok N NAME # SKIP" (exit 4) or
# "not ok N NAME # exit=RC" / "# TIMEOUT". Then it has kmemleak scan twice
# and stores the report (kmemleak.txt) and the kernel log (dmesg.txt) in
# RUNDIR, a directory writable from the guest. The verdict is the host's
# (scripts/vmreport.py): this script exits 0 when every result was printed.

set -u
exec 2>&1 </dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
rundir=${1:?usage: run_guest.sh RUNDIR [SUITE]}
suite=${2:-meta}
dir=$here/$suite

now() { cut -d' ' -f1 /proc/uptime; }

echo "# meta-guest: up at uptime $(now)s, kernel $(uname -r), $(nproc) cpus"

# TEST_PROGS of the Makefile: ":=", "=" and "+=" assignments, with "\"
# continuations.
list_tests() {
	awk '
	{ line = line $0 }
	/\\$/ { sub(/\\$/, " ", line); next }
	{
		if (line ~ /^[ \t]*TEST_PROGS[ \t]*(:|\+)?=/) {
			sub(/^[^=]*=/, "", line)
			n = split(line, w, /[ \t]+/)
			for (i = 1; i <= n; i++) if (w[i] != "") print w[i]
		}
		line = ""
	}' "$1"
}

timeout=45
if [ -r "$dir/settings" ]; then
	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$dir/settings" | tail -n 1)
	[ -n "$t" ] && timeout=$t
fi

mapfile -t tests < <(list_tests "$dir/Makefile")
echo "TAP version 13"
echo "1..${#tests[@]}"
n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name="selftests: $suite: $t"
	echo "# $name (timeout ${timeout}s, uptime $(now)s)"
	if [ ! -f "$dir/$t" ]; then
		echo "# missing $dir/$t"
		echo "not ok $n $name # missing"
		continue
	fi
	start=$(date +%s)
	if [ -x "$dir/$t" ]; then
		cmd=("./$t")
	else
		cmd=(bash "./$t")
	fi
	(cd "$dir" && timeout -k 10 "$timeout" "${cmd[@]}") 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $t: exit $rc after $(($(date +%s) - start))s"
	case $rc in
	0) echo "ok $n $name" ;;
	4) echo "ok $n $name # SKIP" ;;
	124 | 137) echo "not ok $n $name # TIMEOUT ${timeout}s" ;;
	*) echo "not ok $n $name # exit=$rc" ;;
	esac
done
echo "# meta-guest: tests done at uptime $(now)s"

# Leaks: objects younger than 5 s are not reported, so scan twice.
debugfs=/sys/kernel/debug
mountpoint -q "$debugfs" || mount -t debugfs debugfs "$debugfs" 2>/dev/null
if [ -w "$debugfs/kmemleak" ]; then
	echo scan >"$debugfs/kmemleak"
	sleep 6
	echo scan >"$debugfs/kmemleak"
	cat "$debugfs/kmemleak" >"$rundir/kmemleak.txt"
	echo "# meta-guest: kmemleak: $(grep -c '^unreferenced object' "$rundir/kmemleak.txt") unreferenced objects (uptime $(now)s)"
else
	echo "# meta-guest: no $debugfs/kmemleak"
fi

dmesg >"$rundir/dmesg.txt"
echo "# meta-guest: done at uptime $(now)s"
echo "done" >"$rundir/guest-done"
