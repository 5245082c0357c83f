#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The life of a meta pair: a bare "ip link add type meta" (no netns given)
# creates both ends in the same netns as meta0 and meta1, both report kind
# "meta", each end's iflink is the other's ifindex, nothing appears in the
# initial netns, and deleting either end deletes both. Finally "rmmod meta"
# while a pair exists and a ping flood crosses it succeeds and deletes the
# pair.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_root
require_cmd ip ping ethtool insmod rmmod
require_metactl

load_meta || meta_exit
setup_ns NS || meta_exit

# pair_round VICTIM: create a pair in $NS, check it, delete VICTIM.
pair_round() {
	local victim=$1 snap a b iflink
	log "round: create a pair, then delete $victim"
	check "ip -n $NS link add type meta" ip -n "$NS" link add type meta || return 1

	snap=$(links "$NS")
	check_eq "links of kind meta in the netns" "$(of_kind meta <<<"$snap")" "meta0 meta1"
	check_eq "links of kind meta in the initial netns" "$(links | of_kind meta)" ""
	for a in meta0 meta1; do
		check_eq "$a: linkinfo.info_kind" "$(field $a 3 <<<"$snap")" meta
	done
	for a in meta0 meta1; do
		b=meta1
		[ $a = meta1 ] && b=meta0
		iflink=$(ip netns exec "$NS" cat /sys/class/net/$a/iflink 2>/dev/null)
		if [ -z "$iflink" ]; then
			fail "$a: no /sys/class/net/$a/iflink"
			continue
		fi
		check_eq "$a: iflink (sysfs) is $b's ifindex" "$iflink" "$(field $b 2 <<<"$snap")"
	done

	check "ip -n $NS link del $victim" ip -n "$NS" link del "$victim"
	snap=$(links "$NS")
	check_eq "links named meta0/meta1 or of kind meta after deleting $victim" \
		"$( (of_kind meta <<<"$snap"; field meta0 1 <<<"$snap"; field meta1 1 <<<"$snap") | xargs)" ""
}

pair_round meta0
pair_round meta1

step "rmmod while a pair exists and traffic flows"
mount_bpffs
no_ipv6 "" "$NS"
check "pair mh/mp with its peer in $NS" meta_pair "$NS" || meta_exit
passed_over() { [ "$(counter mh xmit_pass)" -gt "$1" ]; }
ping -i 0.01 -c 1000000 -W 1 -q 10.10.0.2 >/dev/null 2>&1 &
pid=$!
p0=$(counter mh xmit_pass)
wait_for 60 "the flood crosses the pair" passed_over $((p0 + 20))
check "rmmod meta with a pair and a ping flood" rmmod meta
META_LOADED=0
kill -INT "$pid"
wait "$pid"
check_fail "$(ip link show mh >/dev/null 2>&1; echo $?)" "the primary is gone"
check_fail "$(ip -n "$NS" link show mp >/dev/null 2>&1; echo $?)" "the peer is gone"
check_fail "$(meta_loaded; echo $?)" "meta is unloaded"
check_fail "$([ -e /sys/module/meta ]; echo $?)" "/sys/module/meta is gone"
cleanup_ns "$NS"
meta_exit
