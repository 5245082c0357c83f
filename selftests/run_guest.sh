#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM of "scripts/vm.sh check":
#
#	selftests/run_guest.sh RUNDIR [SUITE] [TEST...]
#
# Runs the tests of TEST_PROGS in selftests/SUITE/Makefile (default: meta;
# or only the TESTs named) and prints KTAP on stdout: "TAP version 13",
# "1..N", then per test its output as "# " diagnostics and "ok N NAME",
# "ok N NAME # SKIP" (exit 4) or "not ok N NAME # exit=RC" / "# TIMEOUT ...".
#
# Two phases:
# - the tests not in TEST_SERIAL run concurrently, one per guest CPU, each in
#   a network namespace of its own (unshare --net, with a mount namespace
#   whose /sys belongs to that netns), so that each sees its own "initial"
#   namespace: device names, sysctls, counters and pins of one cannot be
#   seen by another. meta.ko is loaded once for them. A test's output is
#   printed as one block when it ends, in the order the tests end.
# - then the tests of TEST_SERIAL, one at a time, in the guest's initial
#   namespace: they unload meta or account for what exists system-wide.
#
# Timeouts are a safety net, not a verdict. Each test gets the timeout of
# "settings" (timeout=N) times META_SCALE, a factor this script measures at
# boot: the cost of starting processes (what dominates the tests under TCG)
# against the reference machine's, never below 1. A test that times out is
# reported with the step it was in (the last "# step: " line it printed).
#
# Afterwards it waits for the freeing of network namespaces to settle, has kmemleak
# scan twice and stores the report (kmemleak.txt), the kernel log
# (dmesg.txt) and the time of each test (times.txt) in RUNDIR, a directory
# writable from the guest. The verdict is the host's (scripts/vmreport.py):
# this script exits 0 when every result was printed.

set -u
exec 2>&1 </dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
rundir=${1:?usage: run_guest.sh RUNDIR [SUITE] [TEST...]}
suite=${2:-meta}
shift 2 2>/dev/null || shift $#
dir=$here/$suite
repo=$(cd "$here/.." && pwd)

now() { cut -d' ' -f1 /proc/uptime; }
ms() { date +%s%3N; }

echo "# meta-guest: up at uptime $(now)s, kernel $(uname -r), $(nproc) cpus"

# vng's init starts the host's systemd-udevd, which applies the host's .link
# files to every device that appears in the initial namespace, a moment after
# it appears: MACAddressPolicy=persistent replaces the random MAC of an L2 end
# moved there (meta's or veth's) with one derived from its name (the fuzzer saw
# fz307 turn into d2:26:e5:ce:ad:12 between two requests; see
# Documentation/meta.rst). The tests own the devices they make: stop it
# (udevadm waits for it to exit).
if pgrep -x systemd-udevd >/dev/null; then
	udevadm control --exit 2>/dev/null
	if pgrep -x systemd-udevd >/dev/null; then
		echo "# meta-guest: systemd-udevd is still running"
	else
		echo "# meta-guest: systemd-udevd stopped"
	fi
fi

# Variables of the suite's Makefile (":=", "=", "+=", "\" continuations).
make_var() {
	awk -v var="$2" '
	{ line = line $0 }
	/\\$/ { sub(/\\$/, " ", line); next }
	{
		if (line ~ "^[ \t]*" var "[ \t]*(:|\\+)?=") {
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

# Calibration: 40 starts of /bin/true on each CPU at boot. The reference, 13 s, is what
# the machine of the figures of Documentation/pipeline.rst measured (debug
# kernel, TCG, 2 cores); a slower or busier host gets proportionally longer
# timeouts and deadlines (META_SCALE, also read by lib.sh's wait_for).
CALIB_REF_MS=${META_CALIB_REF_MS:-13000}
# One loop per CPU at once, as the tests run: on a host whose cores cannot
# run the vCPUs in parallel the concurrent tests are slowed by that too.
# (In a subshell: its background jobs must not reach the lanes' "wait -n".)
calib=$(
	a=$(ms)
	for _ in $(seq "$(nproc)"); do
		(for _ in $(seq 40); do /bin/true; done) &
	done
	wait
	echo $(($(ms) - a))
)
scale=$(((calib + CALIB_REF_MS / 2) / CALIB_REF_MS))
[ "$scale" -lt 1 ] && scale=1
[ -n "${META_SCALE:-}" ] && scale=$META_SCALE
export META_SCALE=$scale
echo "# meta-guest: calibration: 40 process starts on each of $(nproc) cpus in ${calib} ms (reference ${CALIB_REF_MS} ms): scale $scale, test timeout $((timeout * scale))s"
echo "calibration ${calib}ms scale $scale" >"$rundir/calibration.txt"

netns_objs0=$(awk '$1 == "net_namespace" { print $2 }' /proc/slabinfo 2>/dev/null)

mapfile -t all < <(make_var "$dir/Makefile" TEST_PROGS)
mapfile -t serial < <(make_var "$dir/Makefile" TEST_SERIAL)
if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=("${all[@]}")
fi
is_serial() {
	local s
	for s in "${serial[@]}"; do [ "$s" = "$1" ] && return 0; done
	return 1
}

# cpu_ticks: busy and total jiffies of all CPUs (the "cpu" line of
# /proc/stat: busy is everything but idle and iowait, interrupts, softirqs
# and time stolen by the host included), builtins only.
cpu_ticks() {
	local cpu user nice sys idle iowait irq softirq steal rest
	read -r cpu user nice sys idle iowait irq softirq steal rest </proc/stat
	local busy=$((user + nice + sys + irq + softirq + steal))
	echo "$busy $((busy + idle + iowait))"
}
# phase_done NAME START TICKS: one line of phases.txt: the phase's wall time
# and how busy the guest's CPUs were meanwhile (idle CPUs in the concurrent
# phase are room for another lane).
phase_done() {
	local b0 t0 b1 t1 wall busy
	read -r b0 t0 <<<"$3"
	read -r b1 t1 <<<"$(cpu_ticks)"
	wall=$(($(ms) - $2))
	busy=$(((b1 - b0) * 100 / (t1 - t0 + 1)))
	echo "$1 $wall $busy" >>"$rundir/phases.txt"
	echo "# meta-guest: $1 phase: $((wall / 1000)) s, CPUs $busy% busy"
}

out=$(mktemp -d)
: >"$rundir/times.txt"
: >"$rundir/phases.txt"
echo "TAP version 13"
echo "1..${#tests[@]}"

# run_one N TEST ISOLATE: run TEST (number N) with its output in $out/N.log,
# in a netns of its own when ISOLATE is 1; writes its exit code to $out/N.rc.
run_one() {
	local n=$1 t=$2 iso=$3 cmd start rc
	if [ ! -f "$dir/$t" ]; then
		echo "missing $dir/$t" >"$out/$n.log"
		echo missing >"$out/$n.rc"
		return
	fi
	if [ -x "$dir/$t" ]; then cmd=("./$t"); else cmd=(bash "./$t"); fi
	# A netns of its own, and a mount namespace with a sysfs of that netns
	# (/sys/class/net shows the devices of the netns sysfs was mounted in),
	# its own bpffs and its own /run/netns (a tmpfs): pins and named
	# namespaces stay private too, so that two tests may both use "foo".
	[ "$iso" = 1 ] && cmd=(unshare --net --mount -- sh -c \
		'mount -t sysfs sysfs /sys && mount -t tmpfs -o mode=0755 netns /run/netns &&
		ip link set lo up && exec "$@"' sh "${cmd[@]}")
	start=$(ms)
	(cd "$dir" && timeout -k 10 "$((timeout * scale))" "${cmd[@]}") >"$out/$n.log" 2>&1
	rc=$?
	echo "$rc $(($(ms) - start))" >"$out/$n.rc"
}

# report N TEST: print the block of a finished test.
report() {
	local n=$1 t=$2 rc dt name="selftests: $suite: $2" stepline
	read -r rc dt <"$out/$n.rc"
	echo "# $name"
	sed 's/^/# /' "$out/$n.log"
	if [ "$rc" = missing ]; then
		echo "not ok $n $name # missing"
		return
	fi
	echo "# $t: exit $rc after $((dt / 1000)).$(printf %03d $((dt % 1000)))s"
	echo "$t $dt $rc" >>"$rundir/times.txt"
	case $rc in
	0) echo "ok $n $name" ;;
	4) echo "ok $n $name # SKIP" ;;
	124 | 137)
		stepline=$(grep '^# step: ' "$out/$n.log" | tail -n 1)
		echo "not ok $n $name # TIMEOUT $((timeout * scale))s in step '${stepline#\# step: }'"
		;;
	*) echo "not ok $n $name # exit=$rc" ;;
	esac
}

# Phase 1: the concurrent tests, one lane per CPU.
par=()
ser=()
for i in "${!tests[@]}"; do
	if is_serial "${tests[$i]}"; then ser+=("$i"); else par+=("$i"); fi
done
lanes=${META_LANES:-$(nproc)}
loaded_here=0
if [ ${#par[@]} -gt 0 ]; then
	echo "# meta-guest: ${#par[@]} tests on $lanes lanes, each in its own netns (uptime $(now)s)"
	p_start=$(ms) p_ticks=$(cpu_ticks)
	mkdir -p /run/netns
	ko=${META_KO:-$repo/meta/meta.ko}
	if ! grep -q '^meta ' /proc/modules && [ -f "$ko" ]; then
		insmod "$ko" && loaded_here=1
	fi
	declare -A running=()
	# reap_one: wait for a test of a lane to end and print its block; a pid
	# the lanes did not start is skipped.
	reap_one() {
		local done_pid n
		wait -n -p done_pid
		n=${running[$done_pid]:-}
		[ -n "$n" ] || return 0
		unset "running[$done_pid]"
		report "$n" "${tests[$((n - 1))]}"
	}
	for i in "${par[@]}"; do
		while [ ${#running[@]} -ge "$lanes" ]; do
			reap_one
		done
		run_one "$((i + 1))" "${tests[$i]}" 1 &
		running[$!]=$((i + 1))
	done
	while [ ${#running[@]} -gt 0 ]; do
		reap_one
	done
	phase_done concurrent "$p_start" "$p_ticks"
	if [ "$loaded_here" = 1 ] && [ ${#ser[@]} -gt 0 ]; then
		rmmod meta || echo "# meta-guest: rmmod meta after the concurrent tests failed"
	fi
fi

# Phase 2: the serial tests.
p_start=$(ms) p_ticks=$(cpu_ticks)
for i in "${ser[@]}"; do
	echo "# meta-guest: ${tests[$i]} alone (uptime $(now)s)"
	run_one "$((i + 1))" "${tests[$i]}" 0
	report "$((i + 1))" "${tests[$i]}"
done
[ ${#ser[@]} -gt 0 ] && phase_done serial "$p_start" "$p_ticks"
rm -rf "$out"
echo "# meta-guest: tests done at uptime $(now)s"

# Namespaces are freed by a workqueue after their last reference goes; the
# kmemleak scan and the log must not race with that. Wait (bounded) until
# the net_namespace slab stops shrinking: the same count three seconds in a
# row. (Its count includes free objects of per-CPU slabs, so it is not
# compared with the namespaces in use.) Builtins only: a process start
# costs a third of a second here.
netns_objs() {
	local name active rest
	while read -r name active rest; do
		[ "$name" = net_namespace ] && { echo "$active"; return; }
	done </proc/slabinfo
}
if [ -n "$netns_objs0" ]; then
	prev=-1 same=0
	for _ in $(seq $((120 * scale))); do
		objs=$(netns_objs)
		if [ "$objs" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge 3 ] && break
		else
			same=0
		fi
		prev=$objs
		sleep 1
	done
	echo "# meta-guest: netns cleanup settled: net_namespace slab $objs objects ($netns_objs0 at the start, uptime $(now)s)"
else
	echo "# meta-guest: no net_namespace line in /proc/slabinfo: not waiting for netns cleanup"
fi

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
