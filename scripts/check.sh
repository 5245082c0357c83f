#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every step from a fresh Debian 12 machine to the verdict, timed.
#
#   scripts/check.sh [TEST...]    (TESTs: run only these selftests)
#
# setup (scripts/setup.sh), the test kernel (scripts/kernel.sh), meta.ko,
# metactl, the BPF samples, link_meta.so and the netkit API clients
# (make tcnetkit), metactl's own tests (cargo test) and the clients' harness
# self-test (one result each), then one boot of the VM with the selftests and doctests
# (scripts/vm.sh check). The time of each step goes to $META_STEPS_FILE,
# which scripts/vmreport.py prints as a table, with the time of each test,
# before the last line "N passed, N failed, N skipped".
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

# metactl's unit tests and the netkit clients' harness self-test: one result
# each for the report, with their output in a log.
results=$META_LOGDIR/check-host-results.txt
log=$META_LOGDIR/metactl-test.log
if timed "metactl (cargo test)" cargo test --release --locked --quiet \
	--manifest-path tools/metactl/Cargo.toml >"$log" 2>&1; then
	echo "ok 1 host: metactl cargo test ($(grep -o '[0-9]* passed' "$log" | awk '{ n += $1 } END { print n }') tests)" >"$results"
else
	echo "not ok 1 host: metactl cargo test (read $log)" >"$results"
	tail -n 30 "$log" >&2
fi
log=$META_LOGDIR/tcnetkit-selftest.log
if timed "netkit clients' harness (make selftest)" \
	make -s -C selftests/meta/tc_netkit selftest >"$log" 2>&1; then
	echo "ok 2 host: tc_netkit harness self-test" >>"$results"
else
	echo "not ok 2 host: tc_netkit harness self-test (read $log)" >>"$results"
	tail -n 30 "$log" >&2
fi
export META_HOST_RESULTS=$results

printf '%s\t%s\n' "before the VM" "$(($(date +%s) - T_ALL))" >>"$META_STEPS_FILE"
export META_T_ALL=$T_ALL
exec scripts/vm.sh check "$@"
