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
# Then, in both modes, the node-scale runs of selftests/meta/pods.sh for
# meta, netkit and veth, BENCH_POD_REPS reps after a warm-up of 50 pods: a
# churn of BENCH_PODS pods made and removed one shard at a time (pods_seq)
# and in BENCH_PODS_PAR shards at once (pods_par), timed, or between two
# insnmark calls (pods_seq_insn, pods_par_insn: instructions per pod); and
# in the timed boot the kernel memory of BENCH_PODS pairs (pairs_mem).
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
PODS=${BENCH_PODS:-1000}
PODS_PAR=${BENCH_PODS_PAR:-8}
POD_REPS=${BENCH_POD_REPS:-2}
IP_PLUGIN_DIR=${IP_PLUGIN_DIR:-$ROOT/tools/iproute2}
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
# shellcheck source-path=SCRIPTDIR source=../selftests/meta/pods.sh
. "$ROOT/selftests/meta/pods.sh"

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

# pods_record KIND REP TEST OK [KEY=VALUE...]: a result line of the pod runs.
pods_record() {
	local kind=$1 rep=$2 test=$3 good=$4 kv fields=""
	shift 4
	for kv in "$@"; do
		fields+=", \"${kv%%=*}\": ${kv#*=}"
	done
	if [ "$good" = 1 ]; then
		echo "{\"variant\": \"$kind\", \"rep\": $rep, \"test\": \"$test\"$fields}" >>"$RESULTS"
	else
		echo "{\"variant\": \"$kind\", \"rep\": $rep, \"test\": \"$test\", \"error\": \"$test failed\"}" >>"$RESULTS"
	fi
}

# pods_clean: whatever a failed pod run left.
pods_clean() {
	local x
	for x in $(ip -o link show | awk -F': ' '$2 ~ /^q[mnv][0-9]+(@|$)/ { sub(/@.*/, "", $2); print $2 }'); do
		ip link del "$x" 2>/dev/null
	done
	for x in $(ip netns list | awk '$1 ~ /^pod-/ { print $1 }'); do
		ip netns del "$x"
	done
}

# pods_runs: the node-scale runs (see the top).
pods_runs() {
	local rep kind par test n good ns
	for rep in $(seq 0 "$POD_REPS"); do
		n=$PODS
		[ "$rep" = 0 ] && n=50
		for kind in meta netkit veth; do
			for par in 1 "$PODS_PAR"; do
				test=pods_seq
				[ "$par" = 1 ] || test=pods_par
				[ "$mode" = insn ] && "$INSNMARK"
				good=1
				pods_cycle "$kind" "$n" "$par" || good=0
				[ "$mode" = insn ] && "$INSNMARK" && MARKS=$((MARKS + 2))
				[ "$good" = 1 ] || pods_clean
				[ "$rep" = 0 ] && continue
				if [ "$mode" = insn ]; then
					pods_record "$kind" "$rep" "${test}_insn" "$good" "pods=$n" "par=$par" \
						"mark_start=$((MARKS - 1))" "mark_end=$MARKS"
				else
					ns=${PODS_RESULT#* ns=}
					ns=${ns%% *}
					pods_record "$kind" "$rep" "$test" "$good" "pods=$n" "par=$par" "ns=${ns:-0}" \
						"us_per_pod=$((${ns:-0} / 1000 / n))"
				fi
			done
			[ "$mode" = time ] && [ "$rep" != 0 ] || continue
			good=1
			pods_mem "$kind" "$n" || good=0
			[ "$good" = 1 ] || pods_clean
			pods_record "$kind" "$rep" pairs_mem "$good" "pairs=$n" \
				"bytes_per_pair=$(echo "$PODS_RESULT" | sed -n 's/.*bytes_per_pair=\(-\?[0-9]*\).*/\1/p')"
		done
		say "pods rep $rep/$POD_REPS done at uptime $(cut -d' ' -f1 /proc/uptime)s"
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
	"$ROOT/selftests/meta/topo.sh" down
	pods_runs
	say "$(grep -c '"error"' "$RESULTS") failed runs of $(wc -l <"$RESULTS")"
	pkill sockperf
	pkill iperf3
	sleep 0.5
	rmmod meta || say "warning: rmmod meta failed"
	echo "# meta-guest: tests done"
	echo "done" >"$rundir/guest-done"
}

main
