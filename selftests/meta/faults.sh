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
# - privilege: a non-root user in the pod (EPERM), root in the pod through the
#   peer (EACCES), root of a user namespace that does not own the netns
#   (EPERM), and a non-root user in the host (EPERM) can neither attach,
#   replace nor detach, even with a program fd in hand; the pod sees no
#   program ids; each refusal leaves the state as it was;
# - links outlive their device: a link whose device is deleted, or goes with
#   its netns, is orphaned (ifindex 0) and can still be detached;
# - at the end, after deleting what the test made, none of its programs,
#   meta devices, named netns or /proc/net/dev entries is left.
# It runs concurrently with other tests, in a netns of its own, so its
# accounting is of what it made itself; faults_global.sh has the faults
# whose accounting is system-wide (killed loaders, a full backlog, rmmod).
# The runner fails on any kernel splat or kmemleak report.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3 iperf3 ss setpriv unshare nsenter timeout

REPLACEMENTS=1000
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# Before anything is made (in this test's netns).
named_netns_before=$(ip netns list | awk '{ print $1 }' | sort | xargs)
netdev_before=$(wc -l </proc/net/dev)

meta_setup faults POD
PASS_ID=$(pin_prog "$BPF_DIR/pass.bpf.o" "$P/pass") || { fail "load pass.bpf.o"; meta_exit; }
COUNT_ID=$(pin_prog "$BPF_DIR/count.bpf.o" "$P/count") || { fail "load count.bpf.o"; meta_exit; }
check "pair" meta_pair "$POD" || meta_exit
defer ip link del mh

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
	# Ids are allocated in increasing order.
	[ "$id" -gt "$COUNT_ID" ] && ok "the peer runs a new program, id $id" ||
		fail "the peer's program id is '$id', not a new program"
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

section "what this test made is gone"
check "delete the pair" ip link del mh
check_eq "the link on the deleted primary is orphaned" "$(link_field "$P/link_del" ifindex)" 0
check_eq "and still holds its program" "$(link_field "$P/link_del" prog_id)" "$COUNT_ID"
rm -f "$P/link_del"
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
rm -rf "$P"
check "delete the pod's netns" cleanup_ns "$POD"
left=$(wait_freed "$PASS_ID" "$COUNT_ID")
check_eq "the pinned programs freed with their pins and links (still alive)" "$left" ""
check_eq "meta devices in this test's netns" "$(ip -o link show type meta | wc -l)" 0
check_eq "named netns (as at the start)" "$(ip netns list | awk '{ print $1 }' | sort | xargs)" \
	"$named_netns_before"
check_eq "/proc/net/dev lines (as at the start)" "$(wc -l </proc/net/dev)" "$netdev_before"
log "figures: $SECONDS s, $n replacements, $sent bytes and $packets packets through the primary under iperf3, $REFUSED_REQUESTS refused requests"
meta_exit
