#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control plane of meta: only the primary is a handle, and every malformed
# request gets a precise errno and extended ack message and changes nothing
# (no device appears or changes, no program reference is kept).

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip bpftool python3 setpriv
meta_setup control POD
PASS_ID=$(pin_prog "$BPF_DIR/pass.bpf.o" "$P/pass") || { fail "load pass.bpf.o"; meta_exit; }
XDP_ID=$(pin_prog "$BPF_DIR/pass.bpf.o" "$P/xdp" xdp) || { fail "load pass.bpf.o as XDP"; meta_exit; }

check "metactl add mh --peer-name mp --peer-netns POD" \
	metactl add mh --peer-name mp --peer-netns "$POD" || meta_exit
defer ip link del mh
check "attach a program to the primary" metactl attach mh --primary --pinned "$P/pass"
check "attach a program to the peer" metactl attach mh --peer --pinned "$P/pass"

before=$(meta_state "$POD")


u32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
new() { metactl raw new --name mx "$@"; }
chg() { metactl raw change --name mh "$@"; }

log "malformed creation requests"
refused "PRIMARY is read-only" 22 "Primary attribute is read-only" new --data 2=01
refused "BPF_ID is read-only" 22 "Program id is read-only" new --data 13="$(u32 1)"
refused "PEER_BPF_ID is read-only" 22 "Program id is read-only" new --data 14="$(u32 1)"
refused "PAIRING is reserved" 22 "Pairing mode is not supported" new --data 10="$(u32 0)"
refused "MODE 2 is out of range" 22 "Provided device mode can only be L2 or L3" new --data 5="$(u32 2)"
refused "POLICY 1 is not a policy" 22 "Provided default xmit policy not supported" new --data 3="$(u32 1)"
refused "PEER_POLICY 7 is not a policy" 22 "Provided default xmit policy not supported" new --data 4="$(u32 7)"
refused "SCRUB 2 is out of range" 34 "integer out of range" new --data 6="$(u32 2)"
refused "PEER_SCRUB 9 is out of range" 34 "integer out of range" new --data 7="$(u32 9)"
refused "MODE in 2 bytes is too short" 34 "Attribute failed policy validation" new --data 5=0100
refused "MODE in 8 bytes is too long" 22 "meta attribute has the wrong size" new --data 5=0100000000000000
refused "HEADROOM in 4 bytes is too long" 22 "meta attribute has the wrong size" new --data 8="$(u32 64)"
refused "BPF_FD in 8 bytes is too long" 22 "meta attribute has the wrong size" new --data 11=ffffffffffffffff
refused "unknown attribute 15" 22 "Unknown meta attribute" new --data 15="$(u32 0)"
refused "unknown attribute 0" 22 "Unknown meta attribute" new --data 0="$(u32 0)"
refused "PEER_INFO without an ifinfomsg" 34 "Attribute failed policy validation" new --peer-info 0000000000000000
refused "PEER_INFO with a negative ifindex" 22 "ifindex can't be negative" \
	new --peer-info "00000000ffffffff0000000000000000"
# ifinfomsg, then IFLA_IFNAME (3) of 20 characters.
refused "PEER_INFO with a name too long" 34 "Attribute failed policy validation" \
	new --peer-info "00000000000000000000000000000000180003006161616161616161616161616161616161616161"
# ifinfomsg, then IFLA_NET_NS_PID (19) of a process that does not exist.
refused "PEER_INFO with a netns pid that does not exist" 3 \
	"Cannot find the network namespace of the peer" \
	new --peer-info "00000000000000000000000000000000080013003f420f00"
refused "BPF_FD of a closed fd" 9 "Program fd is not an open file descriptor" new --data 11="$(u32 999)"
refused "BPF_FD of a file that is not a BPF program" 22 \
	"Program fd does not refer to a SCHED_CLS BPF program" new --data 12="$(u32 0)"
refused "attach an XDP program" 22 "Program fd does not refer to a SCHED_CLS BPF program" \
	metactl attach mh --primary --pinned "$P/xdp"
refused "MAC address in L3 mode" 95 "MAC address is not supported in L3 mode" \
	new --link-attr 1=020000000001
refused "multicast MAC address in L2 mode" 99 "MAC address is not a valid unicast address" \
	new --link-attr 1=010000000001 --data 5="$(u32 0)"
refused "MAC address of 4 bytes" 22 "MAC address must be 6 bytes" \
	new --link-attr 1=02000001 --data 5="$(u32 0)"
refused "a name that exists" 17 "" metactl add mh
refused "a peer name that exists" 17 "A device with the name of the peer or primary exists" \
	metactl add mx --peer-name mh

log "strict parsing"
IFI=00000000000000000000000000000000
refused "trailing bytes after the last meta attribute" 22 \
	"Trailing bytes after the last meta attribute" new --data 3="$(u32 0)" --data-tail 010203
refused "a duplicate POLICY (the last would win)" 22 "Duplicate meta attribute" \
	new --data 3="$(u32 0)" --data 3="$(u32 2)"
refused "PEER_INFO with an IFLA_LINKINFO of its own" 22 "Peer info cannot carry IFLA_LINKINFO" \
	new --peer-info "${IFI}10001200090001006d65746100000000"
refused "PEER_INFO with IFLA_IFNAME twice" 22 "Duplicate attribute in peer info" \
	new --peer-info "${IFI}070003006d710000070003006d710000"
refused "PEER_INFO with trailing bytes" 22 "Trailing bytes after the last attribute of peer info" \
	new --peer-info "${IFI}070003006d7100000102"
refused "PEER_INFO: IFLA_NET_NS_FD of a closed fd" 9 "Cannot find the network namespace of the peer" \
	new --peer-info "${IFI}08001c00e7030000"
refused "PEER_INFO: IFLA_NET_NS_FD of a file that is not a netns (/dev/null)" 22 \
	"Cannot find the network namespace of the peer" new --peer-info "${IFI}08001c0000000000"
refused "peer MTU 0" 22 "mtu less than device minimum" new --peer-info "${IFI}0800040000000000"
refused "peer MTU 65536" 22 "mtu greater than device maximum" new --peer-info "${IFI}0800040000000100"
refused "primary MTU 70000" 22 "mtu greater than device maximum" new --link-attr 4="$(u32 70000)"
refused "BPF_FD -2" 9 "Program fd is not an open file descriptor" new --data 11=feffffff
check "a pinned array map" bpftool map create "$P/map" type array key 4 value 4 entries 1 name control_map
refused "BPF_FD of a map" 22 "Program fd does not refer to a SCHED_CLS BPF program" \
	with_fd "$P/map" "$METACTL" raw new --name mx --data 11=@FD@

log "refusals after a good program fd: every unwind path drops its reference"
# The program is freed at the end of the test only if none of these kept a
# reference ("no program reference is left behind" below).
refused "good BPF_FD, then a closed PEER_BPF_FD" 9 "Program fd is not an open file descriptor" \
	with_fd "$P/pass" "$METACTL" raw new --name mx --data 11=@FD@ --data 12="$(u32 999)"
refused "good BPF_FD and PEER_BPF_FD, peer netns pid that does not exist" 3 \
	"Cannot find the network namespace of the peer" \
	with_fd "$P/pass" "$METACTL" raw new --name mx --data 11=@FD@ --data 12=@FD@ \
	--peer-info "${IFI}080013003f420f00"
refused "good BPF_FD, a peer name that exists (mh)" 17 \
	"A device with the name of the peer or primary exists" \
	with_fd "$P/pass" "$METACTL" raw new --name mx --data 11=@FD@ --peer-info "${IFI}070003006d680000"
refused "good PEER_BPF_FD, primary name equal to the peer name" 17 \
	"A device with the name of the peer or primary exists" \
	with_fd "$P/pass" "$METACTL" raw new --name mz --data 12=@FD@ --peer-info "${IFI}070003006d7a0000"

log "changes after creation"
refused "MODE after creation" 13 "meta operating mode cannot be changed after device creation" \
	chg --data 5="$(u32 0)"
refused "SCRUB after creation" 13 "meta scrubbing cannot be changed after device creation" \
	chg --data 6="$(u32 0)"
refused "PEER_SCRUB after creation" 13 "meta scrubbing cannot be changed after device creation" \
	chg --data 7="$(u32 0)"
refused "HEADROOM after creation" 13 "meta headroom cannot be changed after device creation" \
	chg --data 8=4000
refused "TAILROOM after creation" 13 "meta tailroom cannot be changed after device creation" \
	chg --data 9=4000
refused "PEER_INFO after creation" 13 "meta peer info cannot be changed after device creation" \
	chg --peer-info 00000000000000000000000000000000
refused "a bad policy with a good program leaves the program" 22 \
	"Provided default xmit policy not supported" chg --data 3="$(u32 5)" --data 11="$(u32 0)"
refused "MAC address change in L3 mode (no IFLA_INFO_DATA)" 95 "" chg --no-data --link-attr 1=020000000002

log "meta settings with a generic attribute that the core would refuse after them"
MIXED="meta settings cannot be changed together with other link attributes"
refused "policy drop with a MAC address in L3 mode" 22 "$MIXED" \
	chg --data 3="$(u32 2)" --link-attr 1=020000000002
refused "policy drop with MTU 70000" 22 "$MIXED" chg --data 3="$(u32 2)" --link-attr 4="$(u32 70000)"
refused "peer policy drop with an unknown master" 22 "$MIXED" \
	chg --data 4="$(u32 2)" --link-attr 10="$(u32 99999)"
refused "a program fd with MTU 70000" 22 "$MIXED" \
	with_fd "$P/pass" "$METACTL" raw change --name mh --data 11=@FD@ --link-attr 4="$(u32 70000)"
refused "a peer program fd with an unknown master" 22 "$MIXED" \
	with_fd "$P/pass" "$METACTL" raw change --name mh --data 12=@FD@ --link-attr 10="$(u32 99999)"
refused "detach with MTU 0" 22 "$MIXED" chg --data 11=ffffffff --link-attr 4="$(u32 0)"
check "a generic attribute alone still works: MTU 1400" ip link set mh mtu 1400
check_eq "MTU of mh" "$(cat /sys/class/net/mh/mtu)" 1400
check "back to MTU 1500" ip link set mh mtu 1500
before=$(meta_state "$POD")

log "the peer is not a handle"
peer="ip netns exec $POD $METACTL"
refused "set through the peer" 13 "meta link settings can be changed only through the primary device" \
	$peer set mp --policy drop
refused "attach through the peer" 13 "meta link settings can be changed only through the primary device" \
	$peer attach mp --primary --obj "$BPF_DIR/pass.bpf.o"
refused "detach through the peer" 13 "meta link settings can be changed only through the primary device" \
	$peer detach mp --peer
show=$(ip netns exec "$POD" "$METACTL" show mp --json)
check_eq "the peer shows no program ids" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(d["prog_id"], d["peer_prog_id"], d["primary"])' "$show")" \
	"None None False"

log "privilege"
refused "add without CAP_NET_ADMIN" 1 "" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$METACTL" add mu
refused "detach without CAP_NET_ADMIN" 1 "" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$METACTL" detach mh --primary

log "no program reference is left behind"
show=$(metactl show mh --json)
check_eq "the programs are still the ones attached" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(d["prog_id"], d["peer_prog_id"])' "$show")" \
	"$PASS_ID $PASS_ID"
check "delete the pair" ip link del mh
rm -f "$P/pass" "$P/xdp"
prog_gone() { ! prog_alive "$1"; }
for id in "$PASS_ID" "$XDP_ID"; do
	until_true 60 prog_gone "$id"
	if prog_alive "$id"; then
		fail "program $id is still alive after its last user went away"
	else
		ok "program $id is freed"
	fi
done
count_meta() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
check_eq "meta devices left in the initial netns" "$(metactl show --json | count_meta)" 0
check_eq "meta devices left in the pod netns" "$(ip netns exec "$POD" "$METACTL" show --json | count_meta)" 0
meta_exit
