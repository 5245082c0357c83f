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
# A SCHED_CLS program that is never attached.
DROP_ID=$(pin_prog "$BPF_DIR/drop.bpf.o" "$P/drop") || { fail "load drop.bpf.o"; meta_exit; }

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
RETIRED="Programs attach through bpf(2) with BPF_NETKIT_PRIMARY or BPF_NETKIT_PEER, not netlink"
for t in 11 12 13 14; do
	refused "attribute $t (the prototype's program attach) is retired" 22 "$RETIRED" \
		new --data $t="$(u32 1)"
done
refused "PAIRING is reserved" 22 "Pairing mode is not supported" new --data 10="$(u32 0)"
refused "MODE 2 is out of range" 22 "Provided device mode can only be L2 or L3" new --data 5="$(u32 2)"
refused "POLICY 1 is not a policy" 22 "Provided default xmit policy not supported" new --data 3="$(u32 1)"
refused "PEER_POLICY 7 is not a policy" 22 "Provided default xmit policy not supported" new --data 4="$(u32 7)"
refused "SCRUB 2 is out of range" 34 "integer out of range" new --data 6="$(u32 2)"
refused "PEER_SCRUB 9 is out of range" 34 "integer out of range" new --data 7="$(u32 9)"
refused "MODE in 2 bytes is too short" 34 "Attribute failed policy validation" new --data 5=0100
refused "MODE in 8 bytes is too long" 22 "meta attribute has the wrong size" new --data 5=0100000000000000
refused "HEADROOM in 4 bytes is too long" 22 "meta attribute has the wrong size" new --data 8="$(u32 64)"
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

log "netkit's attach API: refusals in netkit's order, and none changes the arrays"
# meta_state includes both ends' program ids and revisions ("metactl show").
NOTMETA="not a meta (or netkit) device"
refused "attach to lo (another kind)" 6 "$NOTMETA" metactl attach lo --primary --pinned "$P/pass"
refused "attach an XDP program" 22 "" metactl attach mh --primary --pinned "$P/xdp" --append
check "a pinned array map" bpftool map create "$P/map" type array key 4 value 4 entries 1 name control_map
# metactl's own check, before any attach: a failure without errno.
refused "attach a map as a program" - "is not a program fd" \
	metactl attach mh --primary --pinned "$P/map" --append
refused "the same program twice on one end" 17 "the program is attached to this end already" \
	metactl attach mh --primary --pinned "$P/pass" --append
refused "expected revision 999" 116 "revision mismatch" \
	metactl attach mh --primary --obj "$BPF_DIR/pass.bpf.o" --append --revision 999
refused "before a program that does not exist" 2 "" \
	metactl attach mh --primary --obj "$BPF_DIR/pass.bpf.o" --before 999999
refused "replace a program that is not attached" 2 "" \
	metactl attach mh --peer --obj "$BPF_DIR/pass.bpf.o" --replace "$DROP_ID"
refused "detach a program that is not attached" 2 "" metactl detach mh --peer --id "$DROP_ID"

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
refused "a good policy with a retired attribute changes nothing" 22 "$RETIRED" \
	chg --data 3="$(u32 2)" --data 11="$(u32 0)"
refused "MAC address change in L3 mode (no IFLA_INFO_DATA)" 95 "" chg --no-data --link-attr 1=020000000002

log "meta settings with a generic attribute that the core would refuse after them"
MIXED="meta settings cannot be changed together with other link attributes"
refused "policy drop with a MAC address in L3 mode" 22 "$MIXED" \
	chg --data 3="$(u32 2)" --link-attr 1=020000000002
refused "policy drop with MTU 70000" 22 "$MIXED" chg --data 3="$(u32 2)" --link-attr 4="$(u32 70000)"
refused "peer policy drop with an unknown master" 22 "$MIXED" \
	chg --data 4="$(u32 2)" --link-attr 10="$(u32 99999)"
refused "peer policy pass with MTU 0" 22 "$MIXED" chg --data 4="$(u32 0)" --link-attr 4="$(u32 0)"
# IFLA_INFO_SLAVE_DATA goes to the master's slave_changelink after meta's
# changelink (without a master the core refuses it: EOPNOTSUPP).
refused "policy drop with IFLA_INFO_SLAVE_DATA (no master)" 22 "$MIXED" \
	chg --data 3="$(u32 2)" --info-attr 5=

log "meta settings with the header's flags (up): all or nothing"
is_up() { echo $(($(cat "/sys/class/net/$1/flags") & 1)); }
policy_of() { [[ $("$METACTL" show "$1") =~ \ policy\ ([a-z]+) ]] && echo "${BASH_REMATCH[1]}"; }
check "mh down" ip link set mh down
before=$(meta_state "$POD")
refused "up with POLICY 1: mh stays down" 22 "Provided default xmit policy not supported" \
	chg --up --data 3="$(u32 1)"
refused "up with MODE: mh stays down" 13 "meta operating mode cannot be changed after device creation" \
	chg --up --data 3="$(u32 2)" --data 5="$(u32 0)"
check "up with policy drop in one request" chg --up --data 3="$(u32 2)"
check_eq "mh is up" "$(is_up mh)" 1
check_eq "mh's policy" "$(policy_of mh)" drop
check "down with policy pass in one request" chg --down --data 3="$(u32 0)"
check_eq "mh is down" "$(is_up mh)" 0
check_eq "mh's policy" "$(policy_of mh)" pass
check "mh up again" ip link set mh up
before=$(meta_state "$POD")
check "a generic attribute alone still works: MTU 1400" ip link set mh mtu 1400
check_eq "MTU of mh" "$(cat /sys/class/net/mh/mtu)" 1400
check "back to MTU 1500" ip link set mh mtu 1500
before=$(meta_state "$POD")

log "the peer is not a handle"
peer="ip netns exec $POD $METACTL"
refused "set through the peer" 13 "meta link settings can be changed only through the primary device" \
	$peer set mp --policy drop
PEERMSG="programs attach through the primary, in its namespace"
refused "attach through the peer" 13 "$PEERMSG" $peer attach mp --primary --obj "$BPF_DIR/pass.bpf.o"
refused "link through the peer" 13 "$PEERMSG" $peer attach mp --peer --obj "$BPF_DIR/pass.bpf.o" \
	--link /sys/fs/bpf/control-peer-link
refused "detach through the peer" 13 "$PEERMSG" $peer detach mp --peer
show=$(ip netns exec "$POD" "$METACTL" show mp --json)
check_eq "the peer shows no programs" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(d["progs"], d["peer_progs"], d["primary"])' "$show")" \
	"None None False"

log "privilege"
refused "add without CAP_NET_ADMIN" 1 "" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$METACTL" add mu
refused "detach without CAP_NET_ADMIN" 1 "" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$METACTL" detach mh --primary

log "no program reference is left behind"
show=$(metactl show mh --json)
check_eq "the programs are still the ones attached" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(d["progs"]["prog_ids"], d["peer_progs"]["prog_ids"])' "$show")" \
	"[$PASS_ID] [$PASS_ID]"
check "delete the pair" ip link del mh
rm -f "$P/pass" "$P/xdp" "$P/map" "$P/drop"
prog_gone() { ! prog_alive "$1"; }
for id in "$PASS_ID" "$XDP_ID" "$DROP_ID"; do
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
