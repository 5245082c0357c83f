#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the benchmark's node-scale measurements (pods.sh, run by
# scripts/bench-guest.sh with 1000 pods): for meta, netkit and veth, a
# churn of pods in two shards at once, checked while the pods exist (every
# pod's netns, the host's ends up, a pod's address and state), then gone
# without a trace; and the kernel memory of pairs, read from /proc/meminfo.
# It does not judge timings or memory (other tests run beside it); it
# checks that each measurement does what it says and yields its figure.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pods.sh
. "$META_TEST_DIR/pods.sh"

IP_PLUGIN_DIR=${IP_PLUGIN_DIR:-$META_REPO/tools/iproute2}
require_root
require_cmd ip awk
[ -f "$IP_PLUGIN_DIR/link_meta.so" ] || missing "$IP_PLUGIN_DIR/link_meta.so (make tools)"
load_meta || meta_exit
N=12

# What a failed step may have left.
cleanup() {
	local x
	for x in $(ip -o link show | awk -F': ' '$2 ~ /^q[mnv][0-9]+(@|$)/ { sub(/@.*/, "", $2); print $2 }'); do
		ip link del "$x" 2>/dev/null
	done
	for x in $(ip netns list | awk '$1 ~ /^pod-/ { print $1 }'); do
		ip netns del "$x"
	done
}
defer cleanup

# host_ends KIND: the host's ends of KIND's pods or pairs that are up.
host_ends_up() {
	local p
	p=$(_pods_host "$1" "")
	ip -o link show up | awk -F': ' -v p="$p" 'index($2, p) == 1 && substr($2, length(p) + 1) ~ /^[0-9]+(@|$)/' |
		wc -l
}

# PODS_CHECK for pods_cycle: what must hold while the pods exist.
verify_pods() {
	local kind=$1 n=$2 last=$(($2 - 1)) dev
	check_eq "$kind: $n pods' netns" "$(pods_count "$kind")" "$n"
	check_eq "$kind: the host's ends up" "$(host_ends_up "$kind")" "$n"
	dev=$(ip -n "pod-$kind-$last" -o link show up | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }')
	[ -n "$dev" ] && ok "$kind: the last pod's end $dev is up" ||
		fail "$kind: the last pod has no end up"
	check_eq "$kind: the last pod's address" \
		"$(ip -n "pod-$kind-$last" -o -4 addr show dev "${dev:-none}" 2>/dev/null | awk '{ print $4 }')" \
		"$(_pods_addr "$last")/32"
}
PODS_CHECK=verify_pods

for kind in meta netkit veth; do
	step "$kind"
	if pods_cycle "$kind" "$N" 2; then
		if [[ $PODS_RESULT =~ ^pods=$N\ ns=([0-9]+)\ make_ns=([0-9]+)$ ]]; then
			ok "$kind: churn of $N pods in 2 shards: $((BASH_REMATCH[1] / 1000 / N)) us per pod"
		else
			fail "$kind: pods_cycle gave '$PODS_RESULT'"
		fi
	else
		fail "$kind: pods_cycle failed"
	fi
	check_eq "$kind: no pod left" "$(pods_count "$kind")" 0
	check_eq "$kind: no host end left" "$(host_ends_up "$kind")" 0
	if pods_mem "$kind" "$N" &&
		[[ $PODS_RESULT =~ ^pairs=$N\ kmem_kb=(-?[0-9]+)\ bytes_per_pair=(-?[0-9]+)$ ]]; then
		ok "$kind: $N pairs: ${BASH_REMATCH[1]} kB of kernel memory (${BASH_REMATCH[2]} bytes per pair, other tests running)"
	else
		fail "$kind: pods_mem failed or gave '$PODS_RESULT'"
	fi
	check_eq "$kind: no pair left" "$(ip -o link show | grep -c ": $(_pods_host "$kind" "")[0-9]")" 0
done
meta_exit
