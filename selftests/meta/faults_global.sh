#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The faults whose accounting is system-wide, hence in the serial phase
# (faults.sh has the others):
# - loaders of "metactl attach --obj" SIGKILLed at random points, 50 times on
#   both ends at once: every loader either finished or was killed, the pair is
#   consistent (programs shown are alive, traffic passes), and no program is
#   left once both are detached (the SCHED_CLS programs of the whole system
#   are as before);
# - a full backlog (net.core.netdev_max_backlog 2, a global sysctl, and
#   fragments of forwarded pings): xmit_drop_backlog counts the drops, and
#   tx_dropped agrees;
# - leak accounting: at the end, after deleting what the test made, no
#   program, meta device, netns or /proc/net/dev entry is left over, and meta
#   unloads;
# - a link across rmmod: the link is orphaned, can be detached, and its
#   program is freed.
# The runner fails on any kernel splat or kmemleak report.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3 timeout

KILL_CYCLES=50

# sched_cls_ids: the ids of the SCHED_CLS programs that exist, in order, on one
# line (every program this test loads is one; bpftool's own iterator is not).
sched_cls_ids() {
	bpftool -j prog show | python3 -c '
import json, sys
print(" ".join(str(i) for i in sorted(p["id"] for p in json.load(sys.stdin) if p.get("type") == "sched_cls")))'
}

# Before anything is made.
progs_before=$(sched_cls_ids)
named_netns_before=$(ip netns list | awk '{ print $1 }' | sort | xargs)
netns_before=$(netns_inodes)
netdev_before=$(wc -l </proc/net/dev)
meta_loaded && log "meta is loaded at the start"

meta_setup faults-global POD
check "pair" meta_pair "$POD" || meta_exit
defer ip link del mh

ms() { date +%s%3N; }

section() { step "$*"; }

section "loaders SIGKILLed at random points, $KILL_CYCLES times on both ends"
a=$(ms)
check "one timed metactl attach --obj" timeout -s KILL 60 "$METACTL" attach mh --peer --obj "$BPF_DIR/count.bpf.o"
span=$(($(ms) - a))
span=$((span * 3 / 2))
log "a loader takes about $((span * 2 / 3)) ms; kills at 0..$span ms"
rcs=$(mktemp)
defer rm -f "$rcs"
killer() {
	local end=$1 i d
	for ((i = 0; i < KILL_CYCLES / 2; i++)); do
		d=$((RANDOM % span + 1))
		timeout --foreground -s KILL "$((d / 1000)).$(printf %03d $((d % 1000)))" \
			"$METACTL" attach mh "--$end" --obj "$BPF_DIR/count.bpf.o" >/dev/null 2>&1
		echo "$?"
	done
}
killer peer >"$rcs.peer" &
k1=$!
killer primary >"$rcs.primary" &
k2=$!
wait "$k1" "$k2"
cat "$rcs.peer" "$rcs.primary" >"$rcs"
rm -f "$rcs.peer" "$rcs.primary"
# timeout exits 137 (or 124) when it killed metactl.
killed=$(grep -cx -e 124 -e 137 "$rcs")
done_ok=$(grep -cx 0 "$rcs")
other=$(grep -vcx -e 0 -e 124 -e 137 "$rcs")
log "figures: $KILL_CYCLES loaders, $killed killed, $done_ok finished"
check_eq "loaders that failed other than by the kill" "$other" 0
[ "$killed" -gt 0 ] && [ "$done_ok" -gt 0 ] && ok "some loaders were killed, some finished" ||
	fail "$killed killed and $done_ok finished: the kill points missed the loader"
check "metactl show --json after the kills" metactl show mh --json
for end in progs peer_progs; do
	id=$(show_field mh $end)
	if [ -z "$id" ]; then
		ok "$end: none attached"
	elif [ "${id// /}" != "$id" ]; then
		fail "$end: several programs '$id': a loader's replacement was not one step"
	elif prog_alive "$id"; then
		ok "$end: program $id is alive"
	else
		fail "$end: program '$id' is shown but does not exist"
	fi
done
pings "" 10.10.0.2 3
check_eq "pings through the pair after the kills" "$PING_RECEIVED" "$PING_SENT"
check_eq "drops on either end after the kills" "$(drops)" 0
for end in primary peer; do
	# A killed loader may have left an end without a program: detach what is there.
	[ -n "$(show_field mh "$([ $end = peer ] && echo peer_)progs")" ] || continue
	check "detach the $end" metactl detach mh --$end
done
ids_are() { [ "$(sched_cls_ids)" = "$1" ]; }
until_true 60 ids_are "$progs_before"
check_eq "SCHED_CLS programs after detaching (as at the start)" "$(sched_cls_ids)" "$progs_before"

section "a full backlog: xmit_drop_backlog"
# netif_rx() refuses a packet when the CPU's backlog holds more than
# net.core.netdev_max_backlog (a global sysctl, hence here, in the serial
# test). Packets the host forwards are fragmented in the receive softirq,
# before the backlog runs: an 8000-byte ping from the source pod arrives over
# ms (MTU 9000) and leaves over mb (MTU 1500) as six fragments, queued one
# after the other; with a limit of 2 the fourth and later are dropped by mb's
# transmit. The same pings with the limit restored are answered.
setup_ns SPOD DPOD || meta_exit
bl_pair() {
	metactl add "$1" --peer-name "$1p" --peer-netns "$2" && addr_pair "$1" "$1p" "$2" "$4" "$3" &&
		ip -n "$2" route add default via "$4.1"
}
check "pair ms (MTU 9000) to the source pod" bl_pair ms "$SPOD" 9000 10.30.0
check "pair mb (MTU 1500) to the destination pod" bl_pair mb "$DPOD" 1500 10.31.0
defer sysctl -qw "net.ipv4.ip_forward=$(sysctl -n net.ipv4.ip_forward)"
defer sysctl -qw "net.core.netdev_max_backlog=$(sysctl -n net.core.netdev_max_backlog)"
check "forwarding on" sysctl -qw net.ipv4.ip_forward=1
pings "$SPOD" 10.31.0.2 3 -M dont -s 8000
check_eq "8000-byte pings across the host, fragmented on mb: answers" "$PING_RECEIVED" 3
check_eq "no backlog drop with the default limit" "$(counter mb xmit_drop_backlog)" 0
check "netdev_max_backlog 2" sysctl -qw net.core.netdev_max_backlog=2
bl0=$(link_stat "" mb tx dropped)
pings "$SPOD" 10.31.0.2 5 -M dont -s 8000 -W 1
sysctl -qw net.core.netdev_max_backlog=1000
bl=$(counter mb xmit_drop_backlog)
bld=$(($(link_stat "" mb tx dropped) - bl0))
if [ "$bl" -ge "$PING_SENT" ] && [ "$bl" -eq "$bld" ] && [ "$PING_SENT" -gt 0 ]; then
	ok "xmit_drop_backlog counted $bl fragments of $PING_SENT pings, tx_dropped agrees"
else
	fail "xmit_drop_backlog $bl, tx_dropped grew by $bld, for $PING_SENT pings"
fi
check_eq "and no ping came back whole" "$PING_RECEIVED" 0
pings "$SPOD" 10.31.0.2 3 -M dont -s 8000
check_eq "limit restored: answers" "$PING_RECEIVED" 3
check "delete ms" ip link del ms
check "delete mb" ip link del mb
check "delete the pods" cleanup_ns "$SPOD" "$DPOD"

section "leak accounting"
check "delete the pair" ip link del mh
rm -rf "$P"
check "delete the pod's netns" cleanup_ns "$POD"
until_true 60 ids_are "$progs_before"
check_eq "SCHED_CLS programs at the end (as at the start)" "$(sched_cls_ids)" "$progs_before"
check_eq "meta devices in any netns" "$(meta_everywhere)" 0
check_eq "named netns (as at the start)" "$(ip netns list | awk '{ print $1 }' | sort | xargs)" \
	"$named_netns_before"
until_true 60 no_new_netns "$netns_before"
check_eq "netns of processes not there at the start" \
	"$(comm -13 <(echo "$netns_before") <(netns_inodes) | xargs)" ""
check_eq "/proc/net/dev lines (as at the start)" "$(wc -l </proc/net/dev)" "$netdev_before"
unload_meta
check_fail "$([ -e /sys/module/meta ]; echo $?)" "/sys/module/meta is gone"

section "a link across rmmod"
# netkit's link code is built in: a link that outlives the module never calls it.
load_meta || meta_exit
LPIN=/sys/fs/bpf/faults-rmmod-link
check "pair mr" metactl add mr --peer-name mrp
check "a link of an unpinned program on mr, pinned at $LPIN" \
	metactl attach mr --primary --obj "$BPF_DIR/count.bpf.o" --link "$LPIN"
lprog=$(link_field "$LPIN" prog_id)
unload_meta
check_eq "after rmmod: the link is orphaned" "$(link_field "$LPIN" ifindex) $(link_field "$LPIN" type)" \
	"0 netkit"
check "detach the orphaned link" metactl detach --link "$LPIN"
check_eq "the pin is gone" "$([ -e "$LPIN" ]; echo $?)" 1
left=$(wait_freed "$lprog")
check_eq "the link's program is freed with it (still alive)" "$left" ""
log "figures: $SECONDS s, $KILL_CYCLES kill cycles ($killed killed)"
meta_exit
