# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the meta build scripts: progress, timing, failure reporting.

META_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
META_CACHE=${META_CACHE:-$HOME/.cache/meta}
META_LOGDIR=${META_LOGDIR:-$META_CACHE/logs}
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
