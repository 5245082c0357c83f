#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the benchmark (scripts/bench.sh): the five topologies of
# topo.sh are built, and every variant passes traffic with the tools the
# benchmark uses (sockperf ping-pong over TCP and UDP, iperf3), parsed by
# scripts/benchparse.py as the benchmark parses them. It does not judge
# timings. It checks that each variant takes its path: the host's IPv4
# forwarding counter grows for the veth default path and stays still for
# the host and for the three BPF host-routing variants (veth + tc, netkit,
# meta), and meta's pod end counts its redirects.

# R_* are set by the eval of benchparse.py's batch output.
# shellcheck disable=SC2154
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$META_TEST_DIR/topo.sh"

require_cmd ip tc bpftool sockperf iperf3 python3 ethtool
meta_setup bench
PARSE=$META_REPO/scripts/benchparse.py
export METACTL BPF_DIR
out=$(mktemp -d)
defer rm -rf "$out"
defer "$META_TEST_DIR/topo.sh" down
defer pkill -x iperf3
defer pkill -x sockperf
# topo.sh up turns IPv4 forwarding on (the veth default path needs it).
defer sysctl -qw "net.ipv4.ip_forward=$(sysctl -n net.ipv4.ip_forward)"

step "topo.sh up"
if ! "$META_TEST_DIR/topo.sh" up >"$out/up.txt" 2>&1; then
	sed 's/^/#   /' "$out/up.txt"
	fail "topo.sh up"
	meta_exit
fi
ok "topo.sh up: host, veth, veth_bpf, netkit, meta"
check "servers in $TOPO_REMOTE (sockperf TCP and UDP, iperf3)" topo_servers
servers_listen() {
	local s
	s=$(ip netns exec "$TOPO_REMOTE" ss -Hlntu)
	[[ $s == *":$TOPO_TCP_PORT "* && $s == *":$TOPO_UDP_PORT "* && $s == *":5201 "* ]]
}
wait_for 60 "the servers listen" servers_listen

# run_in VARIANT TEST CMD...: run CMD in the variant's client netns; its
# output and exit status are parsed after the last variant, all in one
# python3 start (each costs seconds under TCG), as the benchmark parses them.
specs=()
run_in() {
	local v=$1 kind=$2 test=$3 rc
	shift 3
	topo_exec "$v" timeout 60 "$@" >"$out/$v-$test" 2>&1
	rc=$?
	specs+=("$kind:$out/$v-$test:$rc:$v:$test")
}

# The traffic of each variant, with the counters read around it: FWD[v]
# (the host's forwarded packets), RED[v] (meta's pod end: redirects),
# TALLY[v] (meta2: what tally.bpf.o counted).
declare -A FWD RED TALLY SELECTED
for v in $TOPO_VARIANTS; do
	step "variant $v"
	check "select $v on bw0" topo_select "$v" || continue
	SELECTED[$v]=1
	fwd0=$(topo_forwarded)
	case $v in
	meta | meta2) red0=$(counter eth0 xmit_redirect "$(topo_ns "$v")") ;;
	esac
	[ "$v" = meta2 ] && tally0=$(percpu_sum "$TOPO_PIN/tally_maps/tally")
	run_in "$v" sockperf tcp_lat sockperf ping-pong --tcp -i $TOPO_SERVER -p $TOPO_TCP_PORT -t 1
	run_in "$v" sockperf udp_lat sockperf ping-pong -i $TOPO_SERVER -p $TOPO_UDP_PORT -t 1
	run_in "$v" iperf3 tcp_tput iperf3 -c $TOPO_SERVER -t 1 -J
	FWD[$v]=$(($(topo_forwarded) - fwd0))
	case $v in
	meta | meta2)
		ns=$(topo_ns "$v")
		RED[$v]=$(($(counter eth0 xmit_redirect "$ns") - red0))
		check_eq "$v: redirect errors" "$(counter eth0 xmit_redirect_err "$ns")" 0
		;;
	esac
	[ "$v" = meta2 ] && TALLY[$v]=$(($(percpu_sum "$TOPO_PIN/tally_maps/tally") - tally0))
done

step "parse the clients' output (scripts/benchparse.py batch)"
parsed=$(python3 "$PARSE" batch "${specs[@]}")
eval "$parsed"
# field_of VARIANT TEST KEY: a field of a parsed result, empty if none.
field_of() {
	local var="R_$1_$2_$3"
	echo "${!var:-}"
}
for v in $TOPO_VARIANTS; do
	[ -n "${SELECTED[$v]:-}" ] || continue
	txn=
	for test in tcp_lat udp_lat tcp_tput; do
		err=$(field_of "$v" $test error)
		[ -z "$err" ] || fail "$v $test: $err"
	done
	if [ -z "$(field_of "$v" tcp_lat error)" ]; then
		txn=$(field_of "$v" tcp_lat transactions)
		[ "$txn" -gt 0 ] && ok "$v: $txn TCP round trips, p50 $(field_of "$v" tcp_lat p50_us) us" ||
			fail "$v: no TCP round trip"
	fi
	[ -n "$(field_of "$v" udp_lat error)" ] ||
		ok "$v: $(field_of "$v" udp_lat transactions) UDP round trips, p50 $(field_of "$v" udp_lat p50_us) us"
	if [ -z "$(field_of "$v" tcp_tput error)" ]; then
		bytes=$(field_of "$v" tcp_tput bytes)
		[ "$bytes" -gt 0 ] && ok "$v: iperf3 moved $bytes bytes" || fail "$v: iperf3 moved nothing"
	fi
	fwd=${FWD[$v]}
	case $v in
	veth)
		# Every request and every reply crosses the host's forwarding.
		[ "$fwd" -ge "${txn:-1}" ] && ok "veth: the host forwarded $fwd packets" ||
			fail "veth: the host forwarded only $fwd packets for ${txn:-?} round trips"
		;;
	*)
		# A few stray packets (a late ACK of the previous variant) at most.
		[ "$fwd" -le 5 ] && ok "$v: the host's forwarding is bypassed ($fwd forwarded)" ||
			fail "$v: the host forwarded $fwd packets"
		;;
	esac
	case $v in
	meta | meta2)
		red=${RED[$v]}
		[ "$red" -ge "${txn:-1}" ] && ok "$v: the pod's end redirected $red packets" ||
			fail "$v: xmit_redirect grew by $red for ${txn:-?} round trips"
		;;
	esac
	if [ "$v" = meta2 ]; then
		# The first of the two programs saw every packet the second redirected.
		tally=${TALLY[$v]}
		[ "$tally" -ge "$red" ] && ok "meta2: tally.bpf.o ran first on $tally packets" ||
			fail "meta2: tally.bpf.o counted $tally packets, the pod's end redirected $red"
	fi
done

pkill -x iperf3
pkill -x sockperf
check "topo.sh down" "$META_TEST_DIR/topo.sh" down
check_eq "netkit devices left" "$(ip -o link show type netkit | wc -l)" 0
check_eq "meta devices left" "$(ip -o link show type meta | wc -l)" 0
check_eq "bench namespaces left" "$(ip netns list | grep -c '^bench-')" 0
meta_exit
