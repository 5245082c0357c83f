#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every step from a fresh Debian 12 machine to the verdict, timed.
#
#   scripts/check.sh [TEST...]    (TESTs: run only these selftests)
#
# setup (scripts/setup.sh), the test kernel (scripts/kernel.sh), meta.ko,
# metactl, the BPF samples, link_meta.so, the netkit API clients (make
# tcnetkit) and the CNI plugin, the unit tests of metactl and of the plugin
# (cargo test), the netkit clients' harness self-test, the self-test of the
# verdict (scripts/vmreport_selftest.py) and the compile-fail tests of the
# Rust abstractions (scripts/compile-fail.sh; one result each),
# then one boot of the VM with the selftests and doctests (scripts/vm.sh
# check). The time of each step goes to $META_STEPS_FILE, which
# scripts/vmreport.py prints as a table, with the time of each test, before
# the last line "N passed, N failed, N skipped".
#
# Environment: everything scripts/vm.sh reads (META_VM_SLOW to run on a
# deliberately slowed VM, META_VM_CPUS, ...), FLAVOUR is always "test".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$META_ROOT"

export FLAVOUR=test
export META_STEPS_FILE=$META_LOGDIR/check-steps.tsv
: >"$META_STEPS_FILE"
T_ALL=$(date +%s)

# timed NAME CMD...: run CMD, record its time under NAME.
timed() {
	local name=$1 s rc=0
	shift
	s=$(date +%s)
	"$@" || rc=$?
	printf '%s\t%s\n' "$name" "$(($(date +%s) - s))" >>"$META_STEPS_FILE"
	return "$rc"
}

calibrate_host
timed "setup (scripts/setup.sh)" scripts/setup.sh
timed "kernel (scripts/kernel.sh build test)" scripts/kernel.sh build test
timed "meta.ko" make -s modules
timed "metactl (cargo build)" make -s metactl
timed "BPF samples" make -s samples
timed "link_meta.so (iproute2 plugin)" make -s iproute2
timed "netkit API clients (make tcnetkit)" make -s tcnetkit
timed "meta-cni (cargo build, Go harness)" make -s cni

# The unit tests of metactl and of the CNI plugin and the netkit clients'
# harness self-test: one result each for the report, their output in a log.
results=$META_LOGDIR/check-host-results.txt
: >"$results"
n=0
# host_result NAME LOG CMD...: run CMD (timed as NAME), one KTAP line in
# $results; with "tests" the count of passed tests from a cargo log.
host_result() {
	local name=$1 log=$2 count
	shift 2
	n=$((n + 1))
	if timed "$name" "$@" >"$log" 2>&1; then
		# The count of cargo's "test result: ok. N passed" lines; other logs
		# give none.
		count=$(grep -o 'test result: [a-z]*\. [0-9]* passed' "$log" |
			awk '{ n += $4 } END { if (n) print " (" n " tests)" }' || true)
		echo "ok $n host: $name$count" >>"$results"
	else
		echo "not ok $n host: $name (read $log)" >>"$results"
		tail -n 30 "$log" >&2
	fi
}
for tool in metactl meta-cni; do
	host_result "$tool (cargo test)" "$META_LOGDIR/$tool-test.log" \
		cargo test --release --locked --quiet --manifest-path "tools/$tool/Cargo.toml"
done
host_result "netkit clients' harness self-test" "$META_LOGDIR/tcnetkit-selftest.log" \
	make -s -C selftests/meta/tc_netkit selftest
# The verdict itself: vmreport.py on made-up runs (each splat pattern, skips,
# missing results) and lib.sh's skip rule.
host_result "verdict self-test (scripts/vmreport_selftest.py)" "$META_LOGDIR/vmreport-selftest.log" \
	python3 scripts/vmreport_selftest.py
# Misuses of the abstractions that must not compile (and one use that must).
host_result "compile-fail tests of the abstractions (rust/compile-fail)" \
	"$META_LOGDIR/compile-fail.log" scripts/compile-fail.sh
export META_HOST_RESULTS=$results

printf '%s\t%s\n' "before the VM" "$(($(date +%s) - T_ALL))" >>"$META_STEPS_FILE"
export META_T_ALL=$T_ALL
exec scripts/vm.sh check "$@"
