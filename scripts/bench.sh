#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The latency and throughput benchmark (make bench): meta against the host,
# veth (default path and BPF host routing) and netkit, in one VM.
#
#   scripts/bench.sh [OUTDIR]
#
# 1. builds the bench kernel (scripts/kernel.sh build bench: the series
#    without the debug set, in a tree of its own), meta.ko against it (in
#    $META_CACHE/bench-module, so the test build in meta/ stays as it is),
#    metactl, the BPF samples and the insncount QEMU plugin;
# 2. boots the VM once (one vCPU, TCG) for the timed runs: sockperf
#    ping-pong over TCP and UDP and iperf3, every variant per rep,
#    interleaved (scripts/bench-guest.sh time);
# 3. boots it once more under the insncount plugin for the guest
#    instructions per round trip (scripts/bench-guest.sh insn), a measure
#    the host's load does not change;
# 4. writes results.jsonl, machine.json, bench.json, bench.md and bench.png
#    (scripts/benchreport.py) to OUTDIR (default Documentation/bench) and
#    prints the table.
#
# Environment: BENCH_REPS (10), BENCH_LAT_S (3), BENCH_TPUT_S (3),
# BENCH_INSN_REPS (3), BENCH_INSN_S (3), BENCH_ICOUNT_SHIFT (2),
# BENCH_SKIP_INSN=1 (no plugin boot), BENCH_SKIP_TIME=1 (no timed boot: only
# the deterministic instruction view, in a few minutes).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

die() {
	say "bench: $*"
	exit 1
}

outdir=$(realpath -m "${1:-$META_ROOT/Documentation/bench}")
export FLAVOUR=bench
export BENCH_REPS=${BENCH_REPS:-10} BENCH_LAT_S=${BENCH_LAT_S:-3} BENCH_TPUT_S=${BENCH_TPUT_S:-3}
export BENCH_INSN_REPS=${BENCH_INSN_REPS:-3} BENCH_INSN_S=${BENCH_INSN_S:-3}
export BENCH_ICOUNT_SHIFT=${BENCH_ICOUNT_SHIFT:-2}
t0=$(date +%s)

"$META_ROOT/scripts/setup.sh"
"$META_ROOT/scripts/kernel.sh" build bench
kdir=$("$META_ROOT/scripts/kernel.sh" kdir bench)

# meta.ko for the bench kernel, built from a copy of the sources.
mod=$META_CACHE/bench-module
build_module() {
	rm -rf "$mod"
	mkdir -p "$mod"
	cp -a "$META_ROOT/Kbuild" "$META_ROOT/meta" "$META_ROOT/include" "$mod/"
	find "$mod" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	make -C "$kdir" M="$mod" "${KMAKE_VARS[@]}" modules
}
step "meta.ko for the bench kernel" "$META_LOGDIR/bench-module.log" build_module
export META_KO=$mod/meta/meta.ko

step "metactl and the BPF samples" "$META_LOGDIR/bench-tools.log" make -C "$META_ROOT" tools
step "insncount (QEMU plugin)" "$META_LOGDIR/bench-insncount.log" \
	cargo build --release --locked --manifest-path "$META_ROOT/tools/insncount/Cargo.toml"

run=$META_CACHE/runs/$(date +%Y%m%d-%H%M%S)-bench
mkdir -p "$run"
say "bench: run dir $run"
: >"$run/results.jsonl"
if [ "${BENCH_SKIP_TIME:-0}" != 1 ]; then
	say "bench: timed runs, $BENCH_REPS reps x 7 variants x (TCP ${BENCH_LAT_S}s, UDP ${BENCH_LAT_S}s, iperf3 ${BENCH_TPUT_S}s)"
	"$META_ROOT/scripts/vm.sh" bench "$run/time" time || die "the timed runs failed; see $run/time/guest.out"
	cat "$run/time/results.jsonl" >>"$run/results.jsonl"
fi
if [ "${BENCH_SKIP_INSN:-0}" != 1 ]; then
	say "bench: instruction counts under icount (shift $BENCH_ICOUNT_SHIFT), $BENCH_INSN_REPS reps x 7 variants x (TCP, UDP) x (1 s, ${BENCH_INSN_S} s of guest time)"
	"$META_ROOT/scripts/vm.sh" bench "$run/insn" insn || die "the instruction runs failed; see $run/insn/guest.out"
	python3 "$META_ROOT/scripts/benchparse.py" marks "$run/insn/results.jsonl" "$run/insn/marks.txt"
	cat "$run/insn/results.jsonl" >>"$run/results.jsonl"
fi

python3 - "$run" <<'EOF' >"$run/machine.json"
import json, os, platform, subprocess, sys
run = sys.argv[1]
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
guest = {}
for boot in ("time", "insn"):
    try:
        with open(os.path.join(run, boot, "guest-info.json")) as f:
            guest = json.load(f)
        break
    except (OSError, ValueError):
        pass
env = os.environ
print(json.dumps({
    "date": sh("date -u +%Y-%m-%dT%H:%MZ"),
    "host_cpu": sh("awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo"),
    "host_cores": os.cpu_count(),
    "host_kernel": platform.release(),
    "qemu": sh("qemu-system-x86_64 --version | head -n 1") + " (TCG, no KVM)",
    "guest_kernel": guest.get("kernel", "?") + " (bench flavour: no KASAN/lockdep)",
    "guest_cpus": guest.get("guest_cpus", "?"),
    "sockperf": guest.get("sockperf", "?"),
    "iperf3": guest.get("iperf3", "?"),
    "method": ((f"{env['BENCH_REPS']} reps, variants interleaved per rep after one unrecorded "
                f"warm-up rep; sockperf ping-pong TCP and UDP {env['BENCH_LAT_S']} s each "
                f"(one-way latency = RTT/2, sockperf's own warm-up excluded), iperf3 -t "
                f"{env['BENCH_TPUT_S']}; " if env.get("BENCH_SKIP_TIME") != "1" else
                "no timed runs (BENCH_SKIP_TIME=1); ")
               + f"instructions: {env['BENCH_INSN_REPS']} reps, (long "
               f"{env['BENCH_INSN_S']} s - short 1 s of guest time) guest instructions / (long - short) "
               "round trips, counted by the insncount TCG plugin in a boot of its own under "
               f"-icount shift={env['BENCH_ICOUNT_SHIFT']},sleep=off (guest time = instructions)"),
    "host_load": env.get("BENCH_HOST_LOAD", "none"),
}, indent=1))
EOF

mkdir -p "$outdir"
cp "$run/results.jsonl" "$run/machine.json" "$outdir/"
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || die "python3-matplotlib is missing (make setup)"
/usr/bin/python3 "$META_ROOT/scripts/benchreport.py" "$outdir" || die "benchreport.py failed"
say "bench: done in $(($(date +%s) - t0))s: $outdir/bench.md, bench.json, bench.png"
