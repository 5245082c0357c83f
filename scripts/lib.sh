# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared helpers for the meta build scripts: progress, timing, failure reporting.

META_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
META_CACHE=${META_CACHE:-$HOME/.cache/meta}
META_LOGDIR=${META_LOGDIR:-$META_CACHE/logs}
export META_CACHE META_LOGDIR
mkdir -p "$META_CACHE" "$META_LOGDIR"

# Toolchain facts of these machines (see DEVELOPERS.md).
export PATH=/usr/lib/llvm-19/bin:$HOME/.cargo/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
KMAKE_VARS=(LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN="$HOME/.cargo/bin/bindgen")

_t0=$(date +%s)
elapsed() { echo $(( $(date +%s) - _t0 )); }
say() { printf '[meta %4ss] %s\n' "$(elapsed)" "$*" >&2; }

# step NAME LOG CMD...: run a long step with its output in LOG; on failure
# name the step and the log, show its tail, and exit.
step() {
	local name=$1 log=$2; shift 2
	local s; s=$(date +%s)
	say "$name: started (log: $log)"
	if "$@" >"$log" 2>&1; then
		say "$name: done in $(( $(date +%s) - s ))s"
	else
		local rc=$?
		say "$name: FAILED (exit $rc) after $(( $(date +%s) - s ))s; read $log"
		tail -n 40 "$log" >&2
		exit "$rc"
	fi
}

# calibrate_host: a short fixed CPU workload (3 million iterations of a
# Python loop, single-threaded), printed so that runs on different machines
# can be compared; stored in $META_LOGDIR/host-calibration.txt.
calibrate_host() {
	local t
	t=$(python3 -c '
import time
t = time.perf_counter()
x = 0
for i in range(3_000_000):
    x += i
print(round((time.perf_counter() - t) * 1000))')
	echo "host: $(nproc) cpus, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1), python loop ${t} ms" \
		>"$META_LOGDIR/host-calibration.txt"
	say "calibration: $(cat "$META_LOGDIR/host-calibration.txt")"
}
