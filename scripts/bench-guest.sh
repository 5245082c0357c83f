#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM of scripts/bench.sh (bench kernel, one vCPU):
#
#	scripts/bench-guest.sh RUNDIR time|insn
#
# Builds the five topologies of selftests/meta/topo.sh, starts the servers
# in the remote netns, and measures every variant, interleaved: rep 1 runs
# host, veth, veth_bpf, netkit, meta; rep 2 the same; and so on, so that a
# drift of the machine hits all variants alike.
#
#   time  per variant and rep: sockperf ping-pong over TCP and over UDP
#         (BENCH_LAT_S seconds each), iperf3 single-stream TCP
#         (BENCH_TPUT_S seconds), BENCH_REPS reps after one warm-up rep
#         that is not recorded.
#   insn  under the insncount QEMU plugin: per variant and rep, a short
#         (1 s) and a long (BENCH_INSN_S) sockperf ping-pong over TCP and
#         over UDP, each between two insnmark calls; the host turns the
#         marks into instructions per round trip (long minus short, so that
#         process start and exit cancel out). BENCH_INSN_REPS reps.
#
# Writes RUNDIR/results.jsonl (scripts/benchparse.py), RUNDIR/raw/ (every
# tool's output) and RUNDIR/guest-info.json.

set -u
exec 2>&1 </dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
rundir=${1:?usage: bench-guest.sh RUNDIR time|insn}
mode=${2:?usage: bench-guest.sh RUNDIR time|insn}
REPS=${BENCH_REPS:-10}
LAT_S=${BENCH_LAT_S:-3}
TPUT_S=${BENCH_TPUT_S:-3}
INSN_REPS=${BENCH_INSN_REPS:-2}
INSN_S=${BENCH_INSN_S:-3}
META_KO=${META_KO:-$ROOT/meta/meta.ko}
METACTL=${METACTL:-$ROOT/tools/metactl/target/release/metactl}
BPF_DIR=${BPF_DIR:-$ROOT/samples/bpf}
INSNMARK=${INSNMARK:-$ROOT/tools/insncount/target/release/insnmark}
PARSE=$ROOT/scripts/benchparse.py
export METACTL BPF_DIR
RESULTS=$rundir/results.jsonl
RAW=$rundir/raw

# shellcheck source-path=SCRIPTDIR source=../selftests/meta/topo.sh
. "$ROOT/selftests/meta/topo.sh"

say() { echo "# bench: $*"; }
die() {
	say "FAILED: $*"
	echo "# meta-guest: tests done"
	exit 1
}


# sockperf_run PROTO SECONDS OUTFILE: one ping-pong run from the client's
# netns (TOPO_EXEC); its exit status.
sockperf_run() {
	local proto=$1 secs=$2 out=$3 args=(-p "$TOPO_UDP_PORT")
	[ "$proto" = tcp ] && args=(--tcp -p "$TOPO_TCP_PORT")
	timeout $((secs + 30)) "${TOPO_EXEC[@]}" sockperf ping-pong "${args[@]}" -i $TOPO_SERVER \
		-t "$secs" >"$out" 2>&1
}

# lat VARIANT REP PROTO: a latency run, recorded.
lat() {
	local v=$1 rep=$2 proto=$3 f rc
	f=$RAW/$rep-$v-${proto}_lat.txt
	sockperf_run "$proto" "$LAT_S" "$f"
	rc=$?
	[ "$rep" = 0 ] && return
	python3 "$PARSE" sockperf "$f" "$rc" --variant "$v" --rep "$rep" --test "${proto}_lat" >>"$RESULTS"
}

# tput VARIANT REP: a throughput run, recorded.
tput() {
	local v=$1 rep=$2 f rc
	f=$RAW/$rep-$v-tcp_tput.json
	timeout $((TPUT_S + 30)) "${TOPO_EXEC[@]}" iperf3 -c $TOPO_SERVER -t "$TPUT_S" -J >"$f" 2>&1
	rc=$?
	[ "$rep" = 0 ] && return
	python3 "$PARSE" iperf3 "$f" "$rc" --variant "$v" --rep "$rep" --test tcp_tput >>"$RESULTS"
}

MARKS=0
# insn VARIANT REP PROTO: a short and a long run between insnmark calls.
insn() {
	local v=$1 rep=$2 proto=$3 kind secs f rc key
	for kind in short long; do
		secs=1
		[ $kind = long ] && secs=$INSN_S
		f=$RAW/$rep-$v-${proto}_insn_$kind.txt
		key=$rep-$v-$proto-short
		"$INSNMARK"
		sockperf_run "$proto" "$secs" "$f"
		rc=$?
		"$INSNMARK"
		MARKS=$((MARKS + 2))
		if [ $kind = short ]; then
			python3 "$PARSE" sockperf "$f" "$rc" --variant "$v" --rep "$rep" \
				--test "${proto}_insn_short" --extra "mark_start=$((MARKS - 1))" \
				"mark_end=$MARKS" "key=$key" "base_of=1" >>"$RESULTS"
		else
			python3 "$PARSE" sockperf "$f" "$rc" --variant "$v" --rep "$rep" \
				--test "${proto}_insn" --extra "mark_start=$((MARKS - 1))" \
				"mark_end=$MARKS" "base=$key" >>"$RESULTS"
		fi
	done
}

main() {
	mkdir -p "$RAW"
	: >"$RESULTS"
	say "up at uptime $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r), $(nproc) cpu(s), mode $mode"
	[ "$(nproc)" = 1 ] || say "warning: $(nproc) CPUs; the benchmark is meant for one"
	insmod "$META_KO" || die "insmod $META_KO"
	"$ROOT/selftests/meta/topo.sh" up || die "topology"
	topo_servers "$RAW"
	sleep 1
	cat >"$rundir/guest-info.json" <<-EOF
		{"kernel": "$(uname -r)", "guest_cpus": $(nproc), "cpu_model": "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)",
		 "sockperf": "$(sockperf --version 2>&1 | sed -n 's/^sockperf, version //p' | head -n 1)",
		 "iperf3": "$(iperf3 --version 2>&1 | head -n 1)"}
	EOF
	local rep v last
	case $mode in
	time) last=$REPS ;;
	insn) last=$INSN_REPS ;;
	*) die "unknown mode $mode" ;;
	esac
	for rep in $(seq 0 "$last"); do
		for v in $TOPO_VARIANTS; do
			topo_select "$v" || die "select $v"
			TOPO_EXEC=()
			[ -n "$(topo_ns "$v")" ] && TOPO_EXEC=(ip netns exec "$(topo_ns "$v")")
			case $mode in
			time)
				lat "$v" "$rep" tcp
				lat "$v" "$rep" udp
				tput "$v" "$rep"
				;;
			insn)
				# Rep 0 warms up (ARP, caches) without marks.
				if [ "$rep" = 0 ]; then
					sockperf_run tcp 1 "$RAW/0-$v-warm.txt"
				else
					insn "$v" "$rep" tcp
					insn "$v" "$rep" udp
				fi
				;;
			esac
		done
		say "rep $rep/$last done at uptime $(cut -d' ' -f1 /proc/uptime)s"
	done
	say "$(grep -c '"error"' "$RESULTS") failed runs of $(wc -l <"$RESULTS")"
	"$ROOT/selftests/meta/topo.sh" down
	pkill sockperf
	pkill iperf3
	sleep 0.5
	rmmod meta || say "warning: rmmod meta failed"
	echo "# meta-guest: tests done"
	echo "done" >"$rundir/guest-done"
}

main
