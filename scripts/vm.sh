#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the meta kernel in a virtme-ng VM and use meta.ko there.
#
#   scripts/vm.sh check [TEST...] one boot: the selftests of selftests/meta/
#                                (KTAP; or only the TESTs named), the KUnit
#                                Rust doctests of the boot, a kmemleak scan
#                                and a scan of the kernel log for splats.
#                                Last line: "N passed, N failed, N skipped".
#   scripts/vm.sh run            one boot: insmod meta/meta.ko, create a pair,
#                                show it, run samples/demo_guest.sh if present,
#                                delete the pair, rmmod.
#   scripts/vm.sh report RUNDIR  the verdict of "check" on a finished run again
#   scripts/vm.sh bench RUNDIR time|insn
#                                one boot of the bench kernel with one vCPU:
#                                scripts/bench-guest.sh (used by
#                                scripts/bench.sh); "insn" loads the insncount
#                                QEMU plugin (tools/insncount), whose marks go
#                                to RUNDIR/marks.txt, under "-icount
#                                shift=BENCH_ICOUNT_SHIFT (2),sleep=off" so
#                                that the counts do not depend on the host.
#                                BENCH_* and META_KO are handed to the guest.
#
# Each boot gets a directory $META_CACHE/runs/<timestamp>-<command>/, writable
# from the guest: console.log (the kernel console), guest.out (the guest
# script's stdout), dmesg.txt, kmemleak.txt, vng.cmd (the command line).
#
# Environment:
#   FLAVOUR           kernel flavour, test (default) or bench (scripts/kernel.sh)
#   META_KVM          1: use KVM, 0: TCG. Default: TCG, unless one short probe
#                     boot under KVM succeeded (cached in $META_CACHE/kvm-probe
#                     per QEMU version and host kernel).
#   META_VM_CPUS      guest CPUs (2)
#   META_VM_MEMORY    guest memory (2G)
#   META_BOOT_TIMEOUT seconds allowed for the boot (600; under TCG the debug
#                     kernel reaches the first test in 25-35 s on an idle host)
#   META_VM_TIMEOUT   seconds for the whole VM (default: boot + every test's
#                     timeout + 120 for "check", boot + 300 for "run")
#   META_KO, META_LANES, FUZZ_*
#                     handed to the guest (another meta.ko; lanes of the
#                     concurrent phase, default one per CPU; the fuzzer's
#                     FUZZ_SECONDS, FUZZ_REQUESTS, FUZZ_SEED)
#   META_VM_SLOW      run on a deliberately slowed VM: QEMU pinned to one host
#                     core and "-icount shift=N" (N = META_VM_SLOW, e.g. 3:
#                     one instruction is 8 ns of guest time), so the guest
#                     sees a machine several times slower than this one and
#                     its timeouts and deadlines are tested; the limits are
#                     multiplied by 4.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

cmd=${1:-}
flavour=${FLAVOUR:-test}
VM_CPUS=${META_VM_CPUS:-2}
VM_MEMORY=${META_VM_MEMORY:-2G}
BOOT_BUDGET=${META_BOOT_TIMEOUT:-600}
KVM_PROBE_TIMEOUT=20
SUITE_DIR=$META_ROOT/selftests/meta

usage() {
	sed -n '4,20s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

kdir=$("$META_ROOT/scripts/kernel.sh" kdir "$flavour")
kimg=$kdir/arch/x86/boot/bzImage

need_kernel() {
	if [ ! -f "$kimg" ] || [ ! -f "$kdir/.meta-key" ]; then
		say "no finished $flavour kernel in $kdir (no bzImage or .meta-key): run 'make kernel'"
		exit 1
	fi
}

# vng options common to every boot: the kernel image without the tree's
# modules (otherwise vng runs "make modules_install" in the kernel tree),
# the host's root read-only over 9p (the virtiofsd of QEMU 7.2 does not
# start here, and vng waits 3 s before falling back), the repository as the
# working directory.
vng_base() {
	VNG=(vng --run "$kimg" --skip-modules --force-9p --cwd "$META_ROOT")
	[ "$(id -u)" -eq 0 ] || VNG+=(--user root)
}

# use_kvm: should the VM use KVM? On these machines /dev/kvm exists but KVM
# guests do not work (QEMU 7.2 aborts at once: "failed to set MSR 0x10a";
# elsewhere guests hang), so the default is TCG unless a probe boot proved KVM
# works. The probe costs at most $KVM_PROBE_TIMEOUT s, once per QEMU version
# and host kernel.
use_kvm() {
	case ${META_KVM:-} in
	1) return 0 ;;
	0) return 1 ;;
	esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local cache=$META_CACHE/kvm-probe key out ok=0 s
	key="$(qemu-system-x86_64 --version | head -n 1); host $(uname -r)"
	if [ -f "$cache" ] && [ "$(head -n 1 "$cache")" = "$key" ]; then
		[ "$(sed -n 2p "$cache")" = 1 ]
		return
	fi
	s=$(date +%s)
	say "kvm probe: one boot under KVM, at most ${KVM_PROBE_TIMEOUT}s (cached in $cache)"
	vng_base
	out=$(timeout -k 5 "$KVM_PROBE_TIMEOUT" "${VNG[@]}" --cpus 1 --memory 1G \
		--append kunit.enable=0 --exec 'echo meta-kvm-probe-ok' \
		</dev/null 2>"$META_LOGDIR/kvm-probe.log") || true
	case $out in *meta-kvm-probe-ok*) ok=1 ;; esac
	printf '%s\n%s\n' "$key" "$ok" >"$cache"
	say "kvm probe: $([ $ok = 1 ] && echo "KVM works" || echo "KVM failed, using TCG; see $META_LOGDIR/kvm-probe.log") ($(($(date +%s) - s))s)"
	[ $ok = 1 ]
}

# The root over 9p with cache=loose (vng's own rootflags plus the cache
# mode; the last rootflags= wins): the host's root does not change during a
# boot, so the guest may cache its dentries, inodes and pages. Without it
# every exec walks and reads through 9p: a process start costs 185 ms
# instead of 124, a python3 start 2.2 s instead of 1.3 (machine D,
# Documentation/pipeline.rst). Writes go to vng's tmpfs overlays and to the
# run directory, a mount of its own.
ROOT_CACHED="rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose"

# new_rundir NAME: a fresh run directory; only the newest 30 are kept.
new_rundir() {
	local d old
	mkdir -p "$META_CACHE/runs"
	while read -r old; do
		rm -rf "$old"
	done < <(find "$META_CACHE/runs" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' |
		sort -rn | tail -n +30 | cut -d' ' -f2-)
	d=$META_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$1
	mkdir -p "$d"
	echo "$d"
}

# on_line LINE: progress for one line of guest output.
on_line() {
	local line=$1
	if [ -z "${T_UP:-}" ]; then
		T_UP=$(date +%s)
		say "vm: guest up after $((T_UP - T_BOOT))s"
	fi
	case $line in "# meta-guest: tests done"*) T_TESTS=$(date +%s) ;; esac
	case $VM_SHOW in
	all) printf '%s\n' "$line" ;;
	ktap)
		case $line in
		"# selftests: "*) say "test: ${line#\# selftests: }" ;;
		"ok "* | "not ok "*) say "$line" ;;
		esac
		;;
	esac
}

# follow FILE: feed the new complete lines of FILE to on_line.
follow() {
	local f=$1 total line
	[ -f "$f" ] || return 0
	total=$(wc -l <"$f")
	[ "$total" -gt "$SEEN" ] || return 0
	while IFS= read -r line; do
		on_line "$line"
	done < <(sed -n "$((SEEN + 1)),${total}p" "$f")
	SEEN=$total
}

VM_PID=
FIFOS=
stop_vm() {
	[ -n "$VM_PID" ] && kill -TERM "$VM_PID" 2>/dev/null
	VM_PID=
	[ -n "$FIFOS" ] && rm -rf "$FIFOS"
	FIFOS=
}

# boot_vm RUNDIR LIMIT GUESTCMD [VNG OPTION...]: boot the VM, run GUESTCMD
# in it, wait at most LIMIT seconds. The guest's stdout goes to
# RUNDIR/guest.out (followed here), the kernel console (vng --verbose) and
# the guest's stderr to RUNDIR/console.log, the exit code of vng (124: timed
# out) to RUNDIR/vm.rc. Sets T_BOOT, T_UP (first guest output), T_TESTS
# (the guest's "tests done" line, if any) and T_END.
boot_vm() {
	local rundir=$1 limit=$2 guestcmd=$3 accel=TCG rc
	shift 3
	vng_base
	if use_kvm; then
		accel=KVM
	else
		VNG+=(--disable-kvm)
	fi
	if [ -n "${META_VM_SLOW:-}" ]; then
		VNG=(taskset -c 0 "${VNG[@]}" "--qemu-opts=-icount shift=$META_VM_SLOW,sleep=on")
		limit=$((limit * 4))
		accel="$accel, slowed: one host core, icount shift=$META_VM_SLOW"
	fi
	VNG+=(--cpus "$VM_CPUS" --memory "$VM_MEMORY" --rwdir "$rundir" --verbose "$@" --exec "$guestcmd")
	printf '%q ' "${VNG[@]}" >"$rundir/vng.cmd"
	echo >>"$rundir/vng.cmd"
	echo "$limit" >"$rundir/vm.timeout"
	: >"$rundir/guest.out"
	say "vm: booting $kimg ($flavour, $accel, $VM_CPUS cpus, $VM_MEMORY, limit ${limit}s)"
	say "vm: run dir $rundir"
	T_BOOT=$(date +%s)
	T_UP=
	T_TESTS=
	SEEN=0
	# QEMU opens its output files once per port (console, script stdout,
	# /dev/stdout, ...) with O_TRUNC and a file offset each: on a regular
	# file they overwrite each other. Through pipes they append.
	FIFOS=$(mktemp -d)
	trap 'stop_vm; exit 130' INT TERM
	mkfifo "$FIFOS/out" "$FIFOS/console"
	cat "$FIFOS/out" >"$rundir/guest.out" &
	local cat_out=$!
	cat "$FIFOS/console" >"$rundir/console.log" &
	local cat_console=$!
	# timeout runs vng (and its qemu) in a process group of its own and
	# kills the whole group when the limit is reached.
	timeout -k 20 "$limit" "${VNG[@]}" </dev/null >"$FIFOS/out" 2>"$FIFOS/console" &
	VM_PID=$!
	while kill -0 "$VM_PID" 2>/dev/null; do
		sleep 1
		follow "$rundir/guest.out"
	done
	rc=0
	wait "$VM_PID" || rc=$?
	VM_PID=
	wait "$cat_out" "$cat_console" || true
	rm -rf "$FIFOS"
	FIFOS=
	trap - INT TERM
	follow "$rundir/guest.out"
	T_END=$(date +%s)
	echo "$rc" >"$rundir/vm.rc"
	case $rc in
	0) ;;
	124 | 137) say "vm: TIMED OUT after ${limit}s" ;;
	*) say "vm: vng exited $rc" ;;
	esac
	if [ -n "$T_TESTS" ]; then
		say "vm: boot $((T_UP - T_BOOT))s, tests $((T_TESTS - T_UP))s," \
			"kmemleak scan and shutdown $((T_END - T_TESTS))s, total $((T_END - T_BOOT))s"
		printf 'VM boot to the first guest output\t%s\nVM: the tests\t%s\nVM: netns wait, kmemleak scan, shutdown\t%s\n' \
			"$((T_UP - T_BOOT))" "$((T_TESTS - T_UP))" "$((T_END - T_TESTS))" >"$rundir/vm-times.tsv"
	elif [ -n "$T_UP" ]; then
		say "vm: boot $((T_UP - T_BOOT))s, guest work $((T_END - T_UP))s, total $((T_END - T_BOOT))s"
	else
		say "vm: no output from the guest after $((T_END - T_BOOT))s"
	fi
}

# TEST_PROGS of the suite's Makefile (same parser as selftests/run_guest.sh).
suite_tests() {
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
	}' "$SUITE_DIR/Makefile"
}

suite_timeout() {
	local t
	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$SUITE_DIR/settings" 2>/dev/null | tail -n 1)
	echo "${t:-45}"
}

do_check() {
	need_kernel
	local rundir ntests limit rc=0
	[ -f "$META_ROOT/meta/meta.ko" ] ||
		say "warning: $META_ROOT/meta/meta.ko is not built: the selftests will fail"
	rundir=$(new_rundir check)
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >"$rundir/tests.list"
	else
		suite_tests >"$rundir/tests.list"
	fi
	ntests=$(wc -l <"$rundir/tests.list")
	limit=${META_VM_TIMEOUT:-$((BOOT_BUDGET + ntests * ($(suite_timeout) + 15) + 120))}
	VM_SHOW=ktap
	# Hangs and lockups are splats (debug.config), with thresholds for TCG.
	# slab_nomerge: the net_namespace cache keeps its name in /proc/slabinfo
	# (run_guest.sh waits there for the namespaces to be freed).
	local guestenv=() v
	for v in FUZZ_REQUESTS FUZZ_SECONDS FUZZ_SEED FUZZ_DEBUG_GREP META_SCALE META_LANES META_KO; do
		[ -n "${!v:-}" ] && guestenv+=("$v=${!v}")
	done
	boot_vm "$rundir" "$limit" \
		"$(printf '%q ' env "${guestenv[@]}" "$META_ROOT/selftests/run_guest.sh" "$rundir" meta "$@")" \
		--append "watchdog_thresh=30 sysctl.kernel.hung_task_timeout_secs=240 slab_nomerge $ROOT_CACHED"
	say "vm: console log $rundir/console.log"
	python3 "$META_ROOT/scripts/vmreport.py" check "$rundir" || rc=$?
	return "$rc"
}

do_run() {
	need_kernel
	local rundir limit rc=0
	if [ ! -f "$META_ROOT/meta/meta.ko" ]; then
		say "$META_ROOT/meta/meta.ko is not built: run make"
		exit 1
	fi
	rundir=$(new_rundir run)
	limit=${META_VM_TIMEOUT:-$((BOOT_BUDGET + 300))}
	VM_SHOW=all
	# The KUnit doctests are for "check"; skip them to boot faster.
	boot_vm "$rundir" "$limit" "$(printf '%q ' "$META_ROOT/scripts/vm-demo.sh" "$rundir")" \
		--append "kunit.enable=0 $ROOT_CACHED"
	python3 "$META_ROOT/scripts/vmreport.py" splats "$rundir" >"$rundir/report.txt" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$rundir/report.txt"
		say "run: FAILED; console log: $rundir/console.log"
		return "$rc"
	fi
	say "run: ok (console log: $rundir/console.log)"
}

do_bench() {
	local rundir=$1 mode=$2 limit plugin guestenv=() v rc=0
	need_kernel
	case $mode in
	time | insn) ;;
	*) usage ;;
	esac
	mkdir -p "$rundir"
	for v in BENCH_REPS BENCH_LAT_S BENCH_TPUT_S BENCH_INSN_REPS BENCH_INSN_S META_KO METACTL; do
		[ -n "${!v:-}" ] && guestenv+=("$v=${!v}")
	done
	limit=${META_VM_TIMEOUT:-$((BOOT_BUDGET + 3600))}
	VM_SHOW=all
	local opts=(--append kunit.enable=0)
	if [ "$mode" = insn ]; then
		plugin=$META_ROOT/tools/insncount/target/release/libinsncount.so
		[ -f "$plugin" ] || { say "no $plugin: cargo build --release in tools/insncount"; exit 1; }
		# -icount: guest time is the instruction count (2^shift ns per
		# instruction; sleep=off: an idle guest jumps to its next timer),
		# so timers, TCP's clocks and sockperf's durations follow the
		# guest's own work, not the host's speed or load: the counts repeat.
		opts+=("--qemu-opts=-plugin $plugin,out=$rundir/marks.txt -icount shift=${BENCH_ICOUNT_SHIFT:-2},sleep=off")
	fi
	boot_vm "$rundir" "$limit" \
		"$(printf '%q ' env "${guestenv[@]}" "$META_ROOT/scripts/bench-guest.sh" "$rundir" "$mode")" \
		"${opts[@]}"
	python3 "$META_ROOT/scripts/vmreport.py" splats "$rundir" >"$rundir/report.txt" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$rundir/report.txt"
		return "$rc"
	fi
	[ "$(cat "$rundir/vm.rc")" = 0 ] || return 1
	grep -q '^# meta-guest: tests done' "$rundir/guest.out" || return 1
	! grep -q '^# bench: FAILED' "$rundir/guest.out"
}

case $cmd in
check)
	shift
	do_check "$@"
	;;
bench)
	[ $# -eq 3 ] || usage
	VM_CPUS=${META_VM_CPUS:-1}
	do_bench "$2" "$3"
	;;
run) do_run ;;
report)
	[ -d "${2:-}" ] || usage
	python3 "$META_ROOT/scripts/vmreport.py" check "$2"
	;;
*) usage ;;
esac
