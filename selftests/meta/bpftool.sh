#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bpftool (the kernel tree's, built by tc_netkit/Makefile: Debian's 7.1 does
# not know netkit) on netkit links, for a netkit pair (the baseline) and a
# meta pair, both ends in this netns. nk_attach links nk_count at the
# primary's attach point and nk_tally at the peer's and pins both links
# (bpf_link__pin), then exits: the pins hold the links.
#
# - "bpftool net show dev PRIMARY", plain and -j: exactly the two programs,
#   kinds netkit/primary and netkit/peer, with their names, prog and link ids;
#   nothing for the peer device (a query through the peer is -EACCES);
# - "bpftool link show id L", plain and -j: type netkit, the prog id, the
#   ifindex and name of the primary (the peer's for the peer's link, whose
#   device is the peer) and the attach type; "link show pinned" finds it;
# - unpinning the peer's link frees it and its program, and net show lists
#   only the primary's program;
# - after "ip link del" the pinned primary link stays, orphaned: ifindex 0,
#   devname "(detached)" (plain: "ifindex (detached)"), attach type kept;
#   unpinning frees it and its program.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

TCNK=${TCNK:-$META_TEST_DIR/tc_netkit/build}
NKA=$TCNK/nk_attach
BT=$TCNK/bpftool/bpftool

require_cmd ip jq
[ -x "$NKA" ] || missing "$NKA (make tcnetkit)"
[ -x "$BT" ] || missing "$BT (make tcnetkit)"
meta_setup bpftool

# net_entries DEV: the netkit entries of "bpftool -j net show dev DEV", one
# line each: DEVNAME IFINDEX KIND NAME PROG_ID LINK_ID.
net_entries() {
	"$BT" -j net show dev "$1" | jq -r '.[] | .tc[]? | select((.kind // "") | startswith("netkit/"))
		| "\(.devname) \(.ifindex) \(.kind) \(.name // "-") \(.prog_id) \(.link_id // 0)"'
}

# net_plain DEV: the netkit lines of "bpftool net show dev DEV", trailing blanks cut.
net_plain() {
	"$BT" net show dev "$1" | sed -n 's/ *$//; / netkit\//p'
}

# link_json ID: TYPE PROG_ID IFINDEX DEVNAME ATTACH_TYPE of "bpftool -j link show id ID".
link_json() {
	"$BT" -j link show id "$1" | jq -r '(if type == "array" then .[0] else . end)
		| "\(.type) \(.prog_id) \(.ifindex) \(.devname) \(.attach_type)"'
}

# link_plain ID: "bpftool link show id ID" on one line: bpftool prints the
# device and attach type on a second, indented line; runs of blanks become
# two, trailing blanks are cut.
link_plain() {
	"$BT" link show id "$1" | tr '\t\n' '  ' | sed 's/   */  /g; s/ *$//'
}

pinned_link_id() {
	"$BT" -j link show pinned "$1" | jq -r '(if type == "array" then .[0] else . end) | .id'
}

# shellcheck disable=SC2317 # called through wait_for
link_gone() { ! "$BT" link show id "$1" >/dev/null 2>&1; }
# shellcheck disable=SC2317 # called through wait_for
prog_gone() { ! "$BT" prog show id "$1" >/dev/null 2>&1; }

for kind in netkit meta; do
	step "$kind"
	check "$kind: nk_attach create bth0/btp0" \
		"$NKA" create --kind "$kind" --primary bth0 --peer btp0 --mode l3 || continue
	defer ip link del bth0
	pi=$(cat /sys/class/net/bth0/ifindex)
	qi=$(cat /sys/class/net/btp0/ifindex)

	out=$("$NKA" link --dev bth0 --type primary --prog nk_count --pin "$P/$kind-primary" 2>&1)
	read -r _ p1 _ l1 <<<"$out"
	out2=$("$NKA" link --dev bth0 --type peer --prog nk_tally --pin "$P/$kind-peer" 2>&1)
	read -r _ p2 _ l2 <<<"$out2"
	re='^prog_id [0-9]+ link_id [0-9]+$'
	if ! [[ $out =~ $re ]] || ! [[ $out2 =~ $re ]]; then
		fail "$kind: nk_attach link: '$out' '$out2'"
		continue
	fi
	ok "$kind: pinned links $l1 (prog $p1, primary) and $l2 (prog $p2, peer)"

	check_eq "$kind: bpftool -j net show dev bth0" "$(net_entries bth0)" \
		"bth0 $pi netkit/primary nk_count $p1 $l1
bth0 $pi netkit/peer nk_tally $p2 $l2"
	check_eq "$kind: bpftool net show dev bth0" "$(net_plain bth0)" \
		"bth0($pi) netkit/primary nk_count prog_id $p1 link_id $l1
bth0($pi) netkit/peer nk_tally prog_id $p2 link_id $l2"
	check_eq "$kind: bpftool -j net show dev btp0 (the peer)" "$(net_entries btp0)" ""

	check_eq "$kind: bpftool -j link show id $l1" "$(link_json "$l1")" \
		"netkit $p1 $pi bth0 netkit_primary"
	check_eq "$kind: bpftool link show id $l1" "$(link_plain "$l1")" \
		"$l1: netkit  prog $p1  ifindex bth0($pi)  attach_type netkit_primary"
	check_eq "$kind: bpftool -j link show id $l2" "$(link_json "$l2")" \
		"netkit $p2 $qi btp0 netkit_peer"
	check_eq "$kind: bpftool -j link show pinned $P/$kind-primary" "$(pinned_link_id "$P/$kind-primary")" "$l1"

	check "$kind: unpin the peer's link" rm "$P/$kind-peer"
	wait_for 10 "$kind: link $l2 freed" link_gone "$l2"
	wait_for 10 "$kind: prog $p2 freed with it" prog_gone "$p2"
	check_eq "$kind: bpftool -j net show dev bth0 after the unpin" "$(net_entries bth0)" \
		"bth0 $pi netkit/primary nk_count $p1 $l1"

	check "$kind: delete the pair" ip link del bth0
	check_eq "$kind: the orphaned link $l1 (-j)" "$(link_json "$l1")" \
		"netkit $p1 0 (detached) netkit_primary"
	check_eq "$kind: the orphaned link $l1" "$(link_plain "$l1")" \
		"$l1: netkit  prog $p1  ifindex (detached)  attach_type netkit_primary"
	check "$kind: its program $p1 is alive" "$BT" prog show id "$p1"
	check "$kind: unpin the orphaned link" rm "$P/$kind-primary"
	wait_for 10 "$kind: link $l1 freed" link_gone "$l1"
	wait_for 10 "$kind: prog $p1 freed with it" prog_gone "$p1"
done

meta_exit
