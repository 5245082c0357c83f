#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The life of a meta pair: a bare "ip link add type meta" (no netns given)
# creates both ends in the same netns as meta0 and meta1, both report kind
# "meta", each end's iflink is the other's ifindex, nothing appears in the
# initial netns, and deleting either end deletes both. Finally "rmmod meta"
# must succeed.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_root
require_cmd ip python3 insmod rmmod

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

cleanup_ns "$NS"
unload_meta
meta_exit
