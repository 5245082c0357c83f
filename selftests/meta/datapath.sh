#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The transmit path of meta between the initial netns and a pod netns, in L3
# and L2 mode: packets cross, each verdict and drop cause is seen in the
# counters of the end that transmitted (ethtool -S) and in the per-CPU
# statistics (ip -s link), a program is replaced atomically, carrier follows
# both ends, and deleting the pod's netns deletes the pair. Then the room
# options: headroom and tailroom given at creation are read back on both
# ends and pings of 56 to 8000 bytes cross; and the primary, with a program
# attached, is moved to another netns, where the program still runs on what
# it transmits, and back.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

mh_gone() { ! ip link show mh >/dev/null 2>&1; }

require_cmd ip ping ethtool bpftool python3
meta_setup datapath POD
pin_samples pass drop next verdict count

# ping_ok N / ping_fails N: N pings from the initial netns to the pod.
ping_ok() {
	check "$1 pings from the host to the pod" ping -c "$1" -i 0.2 -W 5 -q 10.10.0.2
}
ping_fails() {
	pings "" 10.10.0.2 "$1" -W 1
	check_eq "$PING_SENT pings from the host to the pod: answers" "$PING_RECEIVED" 0
}


# prog_ids progs|peer_progs: the ids in the end's array, in order, space-separated.
prog_ids() {
	show_field mh "$1"
}

pair_up_primary() {
	ip addr add 10.10.0.1/24 dev mh && ip link set mh up
}
pair_up() {
	ip addr add 10.10.0.1/24 dev mh &&
		ip -n "$POD" addr add 10.10.0.2/24 dev mp &&
		ip link set mh up && ip -n "$POD" link set mp up
}

for mode in l3 l2; do
	log "mode $mode"
	check "metactl add mh --peer-name mp --peer-netns POD --mode $mode" \
		metactl add mh --peer-name mp --peer-netns "$POD" --mode "$mode" || meta_exit
	check "the peer is in the pod netns" ip -n "$POD" link show mp
	check "addresses and up" pair_up
	flags=$(ip -o link show mh)
	mac=$(cat /sys/class/net/mh/address)
	if [ $mode = l3 ]; then
		[[ $flags == *NOARP* ]] && ok "L3: NOARP" || fail "L3: no NOARP: $flags"
		check_eq "L3: no MAC address" "$mac" 00:00:00:00:00:00
	else
		[[ $flags != *NOARP* ]] && ok "L2: ARP" || fail "L2: NOARP: $flags"
		pmac=$(ip netns exec "$POD" cat /sys/class/net/mp/address)
		if [ "$mac" != 00:00:00:00:00:00 ] && [ "$mac" != "$pmac" ]; then
			ok "L2: random MACs $mac and $pmac"
		else
			fail "L2: MACs $mac and $pmac"
		fi
		check "L2: the MAC address can be set" ip link set mh address 02:00:00:00:00:aa
	fi

	if [ $mode = l3 ]; then
		count_during mh xmit_pass "" 3 "$mode: passed by the primary" ping_ok 3
	else
		ping_ok 3
		n=$(counter mh xmit_pass)
		[ "$n" -ge 3 ] && ok "$mode: $n passed by the primary" || fail "$mode: $n passed by the primary"
	fi
	if [ $mode = l3 ]; then
		# L2 adds ARP, in both directions, at times of its own.
		check_eq "$mode: replies passed by the peer" "$(counter mp xmit_pass "$POD")" \
			"$(counter mh xmit_pass)"
	fi
	tx=$(link_stat "" mh tx packets)
	rx=$(link_stat "$POD" mp rx packets)
	[ $mode = l3 ] && check_eq "$mode: tx packets of the primary are rx packets of the peer" "$tx" "$rx"
	[ "$tx" -ge 3 ] && ok "$mode: $tx packets crossed" || fail "$mode: only $tx packets crossed"

	if [ $mode = l2 ]; then
		check "delete the L2 pair" ip link del mh
		continue
	fi

	log "policies without a program"
	check "primary policy drop" metactl set mh --policy drop
	drops_during mh xmit_drop_policy "dropped by the primary's policy" ping_fails 2
	check "primary policy pass" metactl set mh --policy pass
	ping_ok 1
	check "peer policy drop" metactl set mh --peer-policy drop
	count_during mp xmit_drop_policy "$POD" sent "replies dropped by the peer's policy" ping_fails 2
	check "peer policy pass" metactl set mh --peer-policy pass
	ping_ok 1

	log "verdicts of programs"
	check "attach drop to the primary" metactl attach mh --primary --pinned "$P/drop"
	drop_id=$(pinned_id "$P/drop")
	check_eq "the primary's programs" "$(prog_ids progs)" "$drop_id"
	drops_during mh xmit_drop_prog "dropped by the primary's program" ping_fails 2
	check_eq "tx_dropped counts them" \
		"$(($(link_stat "" mh tx dropped) >= 2))" 1
	check "replace drop by next (NEXT passes)" metactl attach mh --primary --pinned "$P/next"
	count_during mh xmit_pass "" 2 "next: passed" ping_ok 2
	check "replace next by a program returning 3 (TC_ACT_PIPE), not a meta verdict" \
		metactl attach mh --primary --pinned "$P/verdict"
	drops_during mh xmit_drop_verdict "dropped for the unknown verdict" ping_fails 2
	check "back to next on the primary" metactl attach mh --primary --pinned "$P/next"
	next_id=$(pinned_id "$P/next")

	log "several programs on one end run in order until one decides"
	check "append drop after next on the primary" metactl attach mh --primary --pinned "$P/drop" --append
	check_eq "the primary's programs, in order" "$(prog_ids progs)" "$next_id $drop_id"
	drops_during mh xmit_drop_prog "next, then drop: dropped by the second program" ping_fails 2
	check "detach drop" metactl detach mh --primary --id "$drop_id"
	check "insert drop before next" metactl attach mh --primary --pinned "$P/drop" --before "$next_id"
	check_eq "the primary's programs, in order" "$(prog_ids progs)" "$drop_id $next_id"
	drops_during mh xmit_drop_prog "drop first: dropped" ping_fails 2
	check "detach drop" metactl detach mh --primary --id "$drop_id"
	check "policy drop on the primary" metactl set mh --policy drop
	count_during mh xmit_pass "" 2 "with a program attached the policy is not consulted (next passes)" \
		ping_ok 2
	check "policy pass on the primary" metactl set mh --policy pass
	check "attach drop to the peer" metactl attach mh --peer --pinned "$P/drop"
	count_during mp xmit_drop_prog "$POD" sent "replies dropped by the peer's program" ping_fails 2
	check "detach the peer's program" metactl detach mh --peer
	check "detach the primary's program" metactl detach mh --primary
	check_eq "no programs" "[$(prog_ids progs)] [$(prog_ids peer_progs)]" "[] []"
	ping_ok 1
	check "attach a program object (pass.bpf.o) to the primary" \
		metactl attach mh --primary --obj "$BPF_DIR/pass.bpf.o"
	count_during mh xmit_pass "" 2 "pass: passed" ping_ok 2
	check "detach" metactl detach mh --primary

	log "carrier and a peer that is down"
	check "peer down" ip -n "$POD" link set mp down
	check_eq "no carrier on the primary" "$(cat /sys/class/net/mh/carrier 2>/dev/null)" 0
	# Without carrier the core puts the noop qdisc in front of the device: the
	# packets are dropped before meta's transmit (xmit_drop_peer_down only
	# counts the race of a peer going down during a transmit).
	count_during mh xmit_pass "" 0 "nothing crosses while the peer is down" ping_fails 2
	check "peer up" ip -n "$POD" link set mp up
	check_eq "carrier on the primary" "$(cat /sys/class/net/mh/carrier)" 1
	ping_ok 1

	log "deleting the pod's netns deletes the pair"
	cleanup_ns "$POD"
	until_true 60 mh_gone
	check_fail "$(ip link show mh >/dev/null 2>&1; echo $?)" "the primary is gone with the pod's netns"
	setup_ns POD || meta_exit
	no_ipv6 "$POD"
done

log "headroom and tailroom at creation, and traffic through them"
check "metactl add mh --peer-name mp --peer-netns POD --headroom 128 --tailroom 64" \
	metactl add mh --peer-name mp --peer-netns "$POD" --headroom 128 --tailroom 64 || meta_exit
check "addresses and up" pair_up
room() {
	python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["headroom"], d["tailroom"])'
}
check_eq "the primary's headroom and tailroom" "$(metactl show mh --json | room)" "128 64"
check_eq "the peer's" "$(ip netns exec "$POD" "$METACTL" show mp --json | room)" "128 64"
# MTU 9000 on both ends: the 8000-byte pings cross as one packet each.
check "MTU 9000 on both ends" ip link set mh mtu 9000
check "MTU 9000 on the peer" ip -n "$POD" link set mp mtu 9000
for size in 56 1400 8000; do
	count_during mh xmit_pass "" sent "$size-byte pings to the pod: passed by the primary" \
		pings "" 10.10.0.2 3 -s "$size"
	check_eq "$size-byte pings: answers" "$PING_RECEIVED" 3
done

log "the primary, with a program attached, moved to another netns and back"
setup_ns OTHER || meta_exit
no_ipv6 "$OTHER"
check "attach count.bpf.o to the primary" metactl attach mh --primary --pinned "$P/count"
cid=$(prog_ids progs)
map=$(prog_map_id "$cid")
check "pin count.bpf.o's map" bpftool map pin id "$map" "$P/count_map"
check "move the primary to $OTHER" ip link set mh netns "$OTHER"
check "its address and up there" ip -n "$OTHER" addr add 10.10.0.1/24 dev mh
check "up" ip -n "$OTHER" link set mh up
check_eq "the program moved with it" \
	"$(ip netns exec "$OTHER" "$METACTL" show mh --json |
		python3 -c 'import json,sys; print(*json.load(sys.stdin)[0]["progs"]["prog_ids"])')" "$cid"
n0=$(map_value "$P/count_map" 0)
count_during mh xmit_pass "$OTHER" sent "pings from $OTHER through the moved primary: passed" \
	pings "$OTHER" 10.10.0.2 3
check_eq "answers" "$PING_RECEIVED" 3
check_eq "count.bpf.o ran on each of them" "$(($(map_value "$P/count_map" 0) - n0))" "$PING_SENT"
check "move it back (to this test's netns)" ip -n "$OTHER" link set mh netns $$
check "its address and up here" pair_up_primary
pings "" 10.10.0.2 3
check_eq "pings from here again: answers" "$PING_RECEIVED" 3
check_eq "the program is still attached" "$(prog_ids progs)" "$cid"
check "delete the pair" ip link del mh
cleanup_ns "$OTHER"
meta_exit
