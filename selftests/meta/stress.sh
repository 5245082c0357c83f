#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and faults, in one process per batch so that TCG's cost of starting
# processes does not dominate:
# - 1000 create/delete cycles of a pair (ip -batch), and 100 with the peer
#   moved into a fresh netns that is then deleted, which deletes the pair;
# - 32 pairs at once, each passing traffic to its pod;
# - the peer's netns deleted, and either end deleted, while a ping flood
#   crosses;
# - four processes changing the same pair's policies and programs at once.
# Afterwards no meta device is left. The runner fails on any kernel splat.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3
meta_setup stress POD
batch=$(mktemp)
defer rm -f "$batch"

n_meta() {
	ip -o link show type meta | wc -l
}

step "1000 create/delete cycles"
for i in $(seq 1000); do
	echo "link add type meta"
	if [ $((i % 2)) = 0 ]; then echo "link del meta0"; else echo "link del meta1"; fi
done >"$batch"
check "ip -batch: 1000 x (add, delete one end)" ip -batch "$batch"
check_eq "meta devices left" "$(n_meta)" 0

step "100 cycles with the peer in a fresh netns, deleted with its netns"
for i in $(seq 100); do
	echo "netns add meta-stress-$i"
	echo "link add type meta"
	echo "link set meta0 netns meta-stress-$i"
	echo "netns del meta-stress-$i"
done >"$batch"
check "ip -batch: 100 x (netns add, add, move the peer, netns del)" ip -batch "$batch"
no_meta() { [ "$(n_meta)" = 0 ]; }
until_true 60 no_meta
check_eq "meta devices left after the netns are gone" "$(n_meta)" 0

step "32 pairs at once, all passing traffic"
: >"$batch"
for i in $(seq 32); do
	echo "link add s$i type meta"
done >>"$batch"
check "ip -batch: 32 pairs" ip -batch "$batch"
# Bare "ip link add NAME type meta" names the primary; the peer gets metaN.
peers=$(ip -o link show type meta | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep -v '^s' | sort -V)
check_eq "32 peers" "$(echo "$peers" | wc -w)" 32
i=0
: >"$batch"
for p in $peers; do
	i=$((i + 1))
	echo "link set $p netns $POD"
done >"$batch"
check "move the 32 peers into the pod netns" ip -batch "$batch"
: >"$batch.pod"
i=0
for p in $peers; do
	i=$((i + 1))
	echo "addr add 10.30.$i.2/24 dev $p"
	echo "link set $p up"
done >"$batch.pod"
check "addresses and up in the pod (ip -batch)" ip -n "$POD" -batch "$batch.pod"
for i in $(seq 32); do
	echo "addr add 10.30.$i.1/24 dev s$i"
	echo "link set s$i up"
done >"$batch"
check "addresses and up on the primaries (ip -batch)" ip -batch "$batch"
rm -f "$batch.pod"
# 32 pings at once: each either gets its reply or fails after 5 s (TCG).
fails=0
pids=()
for i in $(seq 32); do
	ping -c 1 -W 5 -q "10.30.$i.2" >/dev/null 2>&1 &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || fails=$((fails + 1))
done
check_eq "pairs that did not answer a ping" "$fails" 0
: >"$batch"
for i in $(seq 32); do echo "link del s$i"; done >"$batch"
check "delete the 32 pairs" ip -batch "$batch"
check_eq "meta devices left in the pod" "$(ip -n "$POD" -o link show type meta | wc -l)" 0

step "faults under traffic"
passed_over() { [ "$(counter mh xmit_pass)" -gt "$1" ]; }
# flood: a ping flood through the pair that spans the fault; returns once it
# is seen crossing (xmit_pass of mh grew), its pid in $pid.
flood() {
	local p0
	p0=$(counter mh xmit_pass)
	ping -i 0.01 -c 1000000 -W 1 -q 10.10.0.2 >/dev/null 2>&1 &
	pid=$!
	wait_for 60 "the flood crosses the pair" passed_over $((p0 + 20))
}
check "pair" meta_pair "$POD"
flood
check "delete the pod's netns during a flood" ip netns del "$POD"
kill -INT "$pid"
wait "$pid"
mh_gone() { ! ip link show mh >/dev/null 2>&1; }
until_true 60 mh_gone
check_fail "$(ip link show mh >/dev/null 2>&1; echo $?)" "the primary went with the pod's netns"
for victim in mh mp; do
	setup_ns POD || meta_exit
	no_ipv6 "$POD"
	check "pair" meta_pair "$POD"
	flood
	if [ $victim = mh ]; then
		check "delete the primary during a flood" ip link del mh
	else
		check "delete the peer during a flood" ip -n "$POD" link del mp
	fi
	kill -INT "$pid"
	wait "$pid"
	check_eq "meta devices left after deleting $victim" \
		"$(( $(n_meta) + $(ip -n "$POD" -o link show type meta | wc -l) ))" 0
	cleanup_ns "$POD"
done

step "concurrent netlink requests on one pair"
setup_ns POD || meta_exit
no_ipv6 "$POD"
pin_samples pass drop
check "pair" meta_pair "$POD"
flood
for w in 1 2 3 4; do
	(
		for i in $(seq 15); do
			case $(((w + i) % 4)) in
			0) "$METACTL" set mh --policy pass --peer-policy pass ;;
			1) "$METACTL" attach mh --peer --pinned "$P/pass" ;;
			2) "$METACTL" attach mh --primary --pinned "$P/drop" ;;
			3) "$METACTL" detach mh --primary ;;
			esac || exit 1
		done
	) &
done
rc=0
for job in $(jobs -p); do
	[ "$job" = "$pid" ] && continue
	wait "$job" || rc=1
done
kill -INT "$pid"
wait "$pid"
check_eq "every concurrent request succeeded" "$rc" 0
check "detach both" sh -c "'$METACTL' detach mh --primary && '$METACTL' detach mh --peer"
check "the pair still passes traffic" ping -c 2 -W 2 -q 10.10.0.2
check "delete" ip link del mh
check_eq "meta devices left" "$(n_meta)" 0
meta_exit
