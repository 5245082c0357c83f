#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every step from a fresh Debian 12 machine to the verdict, timed.
#
#   scripts/check.sh [TEST...]    (TESTs: run only these selftests)
#
# setup (scripts/setup.sh), the test kernel (scripts/kernel.sh), meta.ko,
# metactl, the BPF samples and the CNI plugin, the unit tests of metactl and
# of the plugin (cargo test, one result each), then one boot of the VM with
# the selftests and doctests (scripts/vm.sh check). The time of each step
# goes to $META_STEPS_FILE, which scripts/vmreport.py prints as a table, with
# the time of each test, before the last line "N passed, N failed, N
# skipped".
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
timed "meta-cni (cargo build, Go harness)" make -s cni

# The unit tests of metactl and of the CNI plugin: one result each for the
# report, their output in a log.
results=$META_LOGDIR/check-host-results.txt
: >"$results"
n=0
# host_tests NAME: cargo test in tools/NAME, one KTAP line in $results.
host_tests() {
	local name=$1 log=$META_LOGDIR/$1-test.log
	n=$((n + 1))
	if timed "$name (cargo test)" cargo test --release --locked --quiet \
		--manifest-path "tools/$name/Cargo.toml" >"$log" 2>&1; then
		echo "ok $n host: $name cargo test ($(grep -o '[0-9]* passed' "$log" | awk '{ n += $1 } END { print n }') tests)" >>"$results"
	else
		echo "not ok $n host: $name cargo test (read $log)" >>"$results"
		tail -n 30 "$log" >&2
	fi
}
host_tests metactl
host_tests meta-cni
export META_HOST_RESULTS=$results

printf '%s\t%s\n' "before the VM" "$(($(date +%s) - T_ALL))" >>"$META_STEPS_FILE"
export META_T_ALL=$T_ALL
exec scripts/vm.sh check "$@"
