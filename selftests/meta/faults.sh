#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults, load and bad input around programs and privileges:
# - 1000 replacements of the primary's program (pass.bpf.o and count.bpf.o
#   in turn, "metactl attach --repeat" from one process, as a process start
#   costs about a second under TCG) under policy drop, while iperf3 (TCP)
#   crosses the pair: iperf3 is started before and stopped after them, its
#   connection survives, packets crossed meanwhile, no end drops anything
#   (a moment without a program would count a policy drop), count.bpf.o saw
#   packets, and the program shown is the last one attached;
# - the loader exits right after attaching, closing its fd: the program stays
#   attached and runs (its counter map counts the pings), and is freed once
#   detached;
# - loaders of "metactl attach --obj" SIGKILLed at random points, 50 times on
#   both ends at once: every loader either finished or was killed, the pair is
#   consistent (programs shown are alive, traffic passes), and no program is
#   left once both are detached;
# - privilege: a non-root user in the pod (EPERM), root in the pod through the
#   peer (EACCES), root of a user namespace that does not own the netns
#   (EPERM), and a non-root user in the host (EPERM) can neither attach,
#   replace nor detach, even with a program fd in hand; the pod sees no
#   program ids; each refusal leaves the state as it was;
# - a full backlog (net.core.netdev_max_backlog 2, fragments of forwarded
#   pings): xmit_drop_backlog counts the drops, and tx_dropped agrees;
# - leak accounting: at the end, after deleting what the test made, no
#   program, meta device, netns or /proc/net/dev entry is left over, and meta
#   unloads.
# The runner fails on any kernel splat or kmemleak report.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3 iperf3 ss setpriv unshare nsenter timeout

REPLACEMENTS=1000
KILL_CYCLES=50
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

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

meta_setup faults POD
PASS_ID=$(pin_prog "$BPF_DIR/pass.bpf.o" "$P/pass") || { fail "load pass.bpf.o"; meta_exit; }
COUNT_ID=$(pin_prog "$BPF_DIR/count.bpf.o" "$P/count") || { fail "load count.bpf.o"; meta_exit; }
check "pair" meta_pair "$POD" || meta_exit
defer ip link del mh

# show_field DEV KEY [NS]: a key of "metactl show DEV --json" (None: null);
# for "progs" and "peer_progs", the program ids of that end, space-separated.
show_field() {
	local out
	if [ -n "${3:-}" ]; then
		out=$(nsenter --net="/run/netns/$3" "$METACTL" show "$1" --json) || return 1
	else
		out=$("$METACTL" show "$1" --json) || return 1
	fi
	python3 -c '
import json, sys
v = json.loads(sys.argv[1])[0][sys.argv[2]]
print(*v["prog_ids"]) if isinstance(v, dict) else print(v)' "$out" "$2"
}

# drops: the 9 drop counters (xmit_drop_*, xmit_redirect_err) of both ends,
# summed.
drops() {
	{
		ethtool -S mh
		ip netns exec "$POD" ethtool -S mp
	} | awk '$1 ~ /^xmit_(drop_.*|redirect_err):$/ { n += $2; c++ } END { print c == 18 ? n : "?" }'
}

# pin_map_of PROG_ID PATH: pin the (first) map of program PROG_ID at PATH.
pin_map_of() {
	local map
	map=$(bpftool -j prog show id "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["map_ids"][0])') &&
		bpftool map pin id "$map" "$2"
}

# wait_freed ID...: wait (up to 60 s, scaled) until none of the programs
# exists, a program is freed after an RCU grace period; prints those alive.
none_alive() {
	local id
	for id in "$@"; do
		prog_alive "$id" && return 1
	done
	return 0
}
wait_freed() {
	local id
	until_true 60 none_alive "$@" && return 0
	for id in "$@"; do
		prog_alive "$id" && echo "$id"
	done
	return 1
}

ms() { date +%s%3N; }

section() { step "$*"; }

section "$REPLACEMENTS replacements of the primary's program under iperf3"
check "attach pass to the primary" metactl attach mh --primary --pinned "$P/pass"
# Policy drop on the primary while its program is replaced: a moment without
# a program would drop (xmit_drop_policy), not deliver.
check "policy drop on the primary" metactl set mh --policy drop
pin_map_of "$COUNT_ID" "$P/count_map" || fail "pin the map of count.bpf.o"
ip netns exec "$POD" iperf3 -s -1 -B 10.10.0.2 >/dev/null 2>&1 &
srv=$!
defer kill "$srv"
wait_for 60 "iperf3 server listens" sh -c "ip netns exec '$POD' ss -Htln 'sport = :5201' | grep -q ."
iperf_out=$(mktemp)
defer rm -f "$iperf_out"
# The load spans the replacements: iperf3 runs for an hour and is stopped
# once they are done; what it saw is read from the counters.
iperf3 -c 10.10.0.2 -t 3600 >"$iperf_out" 2>&1 &
cli=$!
defer kill "$cli"
pass_start=$(counter mh xmit_pass)
passed_over() { [ "$(counter mh xmit_pass)" -gt "$1" ]; }
until_true 120 passed_over $((pass_start + 100))
pass0=$(counter mh xmit_pass)
bytes0=$(link_stat "" mh tx bytes)
[ "$pass0" -gt $((pass_start + 100)) ] && ok "iperf3 traffic crosses before the replacements ($((pass0 - pass_start)) packets)" ||
	fail "iperf3 traffic did not start: xmit_pass $pass_start -> $pass0 ($(head -c 300 "$iperf_out"))"
# pass and count in turn, from one process: count is the last one.
t0=$(ms)
check "metactl attach --repeat $((REPLACEMENTS / 2)) (pass, count): $REPLACEMENTS replacements" \
	metactl attach mh --primary --pinned "$P/pass" --pinned "$P/count" --repeat $((REPLACEMENTS / 2))
t1=$(ms)
packets=$(($(counter mh xmit_pass) - pass0))
bytes=$(($(link_stat "" mh tx bytes) - bytes0))
running=0
kill -0 "$cli" 2>/dev/null && running=1
check_eq "iperf3 still runs after the $REPLACEMENTS replacements" "$running" 1
[ "$packets" -gt 0 ] && ok "traffic crossed during the replacements: $packets packets, $bytes bytes" ||
	fail "no packet crossed during the replacements"
# Attach and detach a second program around the one that passes, under the
# same load: links and direct attachments, appended and inserted before.
RACES=10
for ((i = 0; i < RACES; i++)); do
	"$METACTL" attach mh --primary --pinned "$P/pass" --link "$P/race_link" --append &&
		"$METACTL" detach --link "$P/race_link" &&
		"$METACTL" attach mh --primary --pinned "$P/pass" --before "$COUNT_ID" &&
		"$METACTL" detach mh --primary --id "$PASS_ID" || break
done
check_eq "$RACES rounds of attach and detach beside the program, under iperf3" "$i" "$RACES"
running=0
kill -0 "$cli" 2>/dev/null && running=1
check_eq "iperf3 still runs after the attach and detach rounds" "$running" 1
kill -INT "$cli" 2>/dev/null
wait "$cli" 2>/dev/null
check_eq "drops on either end (policy drop on the primary) after the replacements" "$(drops)" 0
counted=$(map_value "$P/count_map" 0)
[ "${counted:-0}" -gt 0 ] && [ "$counted" -le "$(counter mh xmit_pass)" ] &&
	ok "count.bpf.o ran: it counted $counted packets" ||
	fail "count.bpf.o counted '$counted' of $(counter mh xmit_pass) packets"
check_eq "the program shown is the last one attached" "$(show_field mh progs)" "$COUNT_ID"
log "figures: $REPLACEMENTS replacements in $((t1 - t0)) ms during iperf3; $packets packets, $bytes bytes passed by the primary meanwhile"
check "policy pass on the primary" metactl set mh --policy pass
check "detach the primary" metactl detach mh --primary
rm -f "$P/count_map"
n=$REPLACEMENTS
sent=$bytes

section "the loader exits after attaching: the program stays until detached"
check "metactl attach --obj count.bpf.o to the peer" metactl attach mh --peer --obj "$BPF_DIR/count.bpf.o"
id=$(show_field mh peer_progs)
if [ -z "$id" ] || [ "${id// /}" != "$id" ]; then
	fail "the peer runs '$id', not one program"
else
	case " $progs_before $PASS_ID $COUNT_ID " in
	*" $id "*) fail "the peer's program id is '$id', not a new program" ;;
	*) ok "the peer runs a new program, id $id" ;;
	esac
fi
check "bpftool prog show id $id (no process holds an fd)" bpftool prog show id "$id"
pin_map_of "$id" "$P/orphan_map" || fail "pin the map of program $id"
pings "$POD" 10.10.0.1 5
check_eq "pings from the pod answered" "$PING_RECEIVED" "$PING_SENT"
check_eq "packets the orphaned program counted" "$(map_value "$P/orphan_map" 0)" "$PING_SENT"
check "detach the peer" metactl detach mh --peer
rm -f "$P/orphan_map"
check_eq "the peer's programs after detach" "[$(show_field mh peer_progs)]" "[]"
left=$(wait_freed "$id")
check_eq "program $id freed after detach (still alive)" "$left" ""

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
want=$(echo "$progs_before $PASS_ID $COUNT_ID" | xargs -n 1 | sort -n | xargs)
ids_are() { [ "$(sched_cls_ids)" = "$1" ]; }
until_true 60 ids_are "$want"
check_eq "SCHED_CLS programs after detaching (the pinned ones)" "$(sched_cls_ids)" "$want"

section "privilege"
check "attach pass to the primary" metactl attach mh --primary --pinned "$P/pass"
check "attach count to the peer" metactl attach mh --peer --pinned "$P/count"
check_eq "root in the host sees both ids" "$(show_field mh progs) $(show_field mh peer_progs)" \
	"$PASS_ID $COUNT_ID"
before=$(meta_state "$POD")



EPERM_MSG="EPERM (errno 1, Operation not permitted)"
PEER_MSG="programs attach through the primary, in its namespace"
in_pod=(ip netns exec "$POD")
in_pod_sys=(nsenter --net="/run/netns/$POD")

log "a non-root user in the pod"
out=$("${in_pod[@]}" "${NOBODY[@]}" "$METACTL" show mp --json)
check_eq "non-root in the pod: ids and role of the peer" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(d["progs"], d["peer_progs"], d["primary"])' "$out")" \
	"None None False"
refused "non-root in the pod: detach" 1 "$EPERM_MSG" \
	"${in_pod[@]}" "${NOBODY[@]}" "$METACTL" detach mp --peer
# The load fails already: BPF_PROG_LOAD's EPERM, before any attach.
refused "non-root in the pod: attach to the peer" 1 "Operation not permitted" \
	"${in_pod[@]}" "${NOBODY[@]}" "$METACTL" attach mp --peer --obj "$BPF_DIR/pass.bpf.o"
refused "non-root in the pod: set a policy" 1 "$EPERM_MSG" \
	"${in_pod[@]}" "${NOBODY[@]}" "$METACTL" set mp --peer-policy drop

log "root in the pod, through the peer"
refused "root in the pod: replace the peer's program" 13 "$PEER_MSG" \
	"${in_pod_sys[@]}" "$METACTL" attach mp --peer --pinned "$P/pass"
refused "root in the pod: replace the primary's program" 13 "$PEER_MSG" \
	"${in_pod_sys[@]}" "$METACTL" attach mp --primary --pinned "$P/count"
refused "root in the pod: detach" 13 "$PEER_MSG" "${in_pod_sys[@]}" "$METACTL" detach mp --primary

log "root of a user namespace that does not own the netns"
refused "userns root in the pod: detach" 1 "$EPERM_MSG" \
	"${in_pod_sys[@]}" unshare -U -r "$METACTL" detach mp --peer
refused "userns root in the pod: attach a link" 1 "Operation not permitted" \
	"${in_pod_sys[@]}" unshare -U -r "$METACTL" attach mp --peer --obj "$BPF_DIR/pass.bpf.o" \
	--link /sys/fs/bpf/faults-userns-link
refused "userns root in the host: replace the primary's program" 1 "$EPERM_MSG" \
	unshare -U -r "$METACTL" attach mh --primary --pinned "$P/count"
refused "userns root in the host: detach" 1 "$EPERM_MSG" unshare -U -r "$METACTL" detach mh --peer
out=$("${in_pod_sys[@]}" unshare -U -r "$METACTL" show mp --json)
check_eq "userns root in the pod: ids of the peer" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(d["progs"], d["peer_progs"])' "$out")" \
	"None None"

log "a non-root user in the host"
refused "non-root in the host: detach the primary's program" 1 "$EPERM_MSG" \
	"${NOBODY[@]}" "$METACTL" detach mh --primary
check_eq "the programs after the refusals" "$(show_field mh progs) $(show_field mh peer_progs)" \
	"$PASS_ID $COUNT_ID"
log "figures: $REFUSED_REQUESTS refused requests"

section "links outlive their device"
# nk_type primary|peer: BPF_NETKIT_PRIMARY or _PEER (enum bpf_attach_type of
# the stable UAPI, include/uapi/linux/bpf.h).
nk_type() {
	case $1 in
	primary) echo 54 ;;
	peer) echo 55 ;;
	esac
}
# link_field PIN KEY: a key of "metactl link PIN".
link_field() {
	"$METACTL" link "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
mh_ifindex=$(cat /sys/class/net/mh/ifindex)
check "a link of count on the primary, pinned" \
	metactl attach mh --primary --pinned "$P/count" --link "$P/link_del" --append
check_eq "the link: type, device, end" \
	"$(link_field "$P/link_del" type) $(link_field "$P/link_del" ifindex) $(link_field "$P/link_del" end)" \
	"netkit $mh_ifindex primary"
check_eq "the link's fdinfo: ifindex and attach type" "$(link_field "$P/link_del" fdinfo)" \
	"{'ifindex': '$mh_ifindex', 'attach_type': '$(nk_type primary) (primary)'}"
link_del_id=$(link_field "$P/link_del" id)
check_eq "the primary's array lists the link" \
	"$(metactl show mh --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["progs"]["link_ids"])')" \
	"[0, $link_del_id]"
setup_ns LPOD || fail "a pod for a pair that goes with its netns"
check "pair ml with its peer in $LPOD" metactl add ml --peer-name mlp --peer-netns "$LPOD"
check "a link of pass on ml's peer end, pinned" \
	metactl attach ml --peer --pinned "$P/pass" --link "$P/link_ns" --append
check_eq "the link's end" "$(link_field "$P/link_ns" end)" peer
check "delete the pod's netns (and with it the pair)" cleanup_ns "$LPOD"
gone() { ! ip link show ml >/dev/null 2>&1; }
until_true 60 gone
check "ml is gone with its peer's netns" gone
check_eq "the link is orphaned: no device" "$(link_field "$P/link_ns" ifindex)" 0
check_eq "its fdinfo says so too" "$(link_field "$P/link_ns" fdinfo)" \
	"{'ifindex': '0', 'attach_type': '$(nk_type peer) (peer)'}"
check "detaching the orphaned link succeeds and does nothing" metactl detach --link "$P/link_ns"

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
	metactl add "$1" --peer-name "$1p" --peer-netns "$2" &&
		ip link set "$1" mtu "$3" && ip -n "$2" link set "$1p" mtu "$3" &&
		ip addr add "$4.1/24" dev "$1" && ip -n "$2" addr add "$4.2/24" dev "$1p" &&
		ip link set "$1" up && ip -n "$2" link set "$1p" up &&
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
check_eq "the link on the deleted primary is orphaned" "$(link_field "$P/link_del" ifindex)" 0
check_eq "and still holds its program" "$(link_field "$P/link_del" prog_id)" "$COUNT_ID"
rm -f "$P/link_del"
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
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
log "figures: $SECONDS s, $n replacements, $KILL_CYCLES kill cycles ($killed killed), $sent bytes and $packets packets through the primary under iperf3, $REFUSED_REQUESTS refused requests"
meta_exit
