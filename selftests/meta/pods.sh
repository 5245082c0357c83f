#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pods at node scale, for the benchmark (scripts/bench-guest.sh pods) and
# its smoke test (bench_pods.sh in this directory). Sourced, not run.
#
# A pod is what a CNI plugin makes for a container: a netns, a pair with one
# end (the host's, qm<I>, qn<I> or qv<I>) in the initial netns and the other
# in the pod, an address on the pod's end, both ends up. The same work for
# the three kinds, with Debian's ip (link_meta.so for meta's grammar):
#
#   meta    ip link add qm<I> type meta peer name eth0 netns pod-meta-<I>
#   veth    ip link add qv<I> type veth peer name eth0 netns pod-veth-<I>
#   netkit  ip link add qn<I> type netkit, then the peer (nk<N>, named by
#           the kernel; Debian 12's ip knows no netkit options) moved into
#           pod-netkit-<I>
#
# ip runs in batches: one process for the host's side of a shard of pods,
# one per pod for its side (ip -n), so that the work measured is the
# kernel's, not process starts.
#
#   pods_cycle KIND N PAR   N pods made and removed again, in PAR shards at
#                           once; PODS_RESULT="pods=N ns=<elapsed> make_ns=
#                           <of which making them>". PODS_CHECK, if set, is
#                           called as "$PODS_CHECK KIND N" while they exist.
#   pods_mem KIND N         N pairs in the initial netns: PODS_RESULT=
#                           "pairs=N kmem_kb=<kernel memory they take>
#                           bytes_per_pair=<the same per pair>"
#
# Needs: ip with IP_PLUGIN_DIR (link_meta.so) for meta, meta.ko loaded.

PODS_NET=10.77

# _pods_ip KIND ARGS...: ip, with meta's plugin for meta.
_pods_ip() {
	local kind=$1
	shift
	if [ "$kind" = meta ]; then
		IP_LIB_DIR=${IP_PLUGIN_DIR:?} ip "$@"
	else
		ip "$@"
	fi
}

# _pods_host KIND I: the host's end of pod I.
_pods_host() {
	case $1 in
	meta) echo "qm$2" ;;
	netkit) echo "qn$2" ;;
	veth) echo "qv$2" ;;
	esac
}

# _pods_addr I: the address of pod I's end.
_pods_addr() {
	echo "$PODS_NET.$(($1 / 250)).$(($1 % 250 + 1))"
}

# _pods_make KIND FIRST LAST: pods FIRST..LAST, up with their addresses.
_pods_make() {
	local kind=$1 first=$2 last=$3 i peer
	local -A peers
	for ((i = first; i <= last; i++)); do
		echo "netns add pod-$kind-$i"
		case $kind in
		meta | veth) echo "link add $(_pods_host "$kind" "$i") type $kind peer name eth0 netns pod-$kind-$i" ;;
		netkit) echo "link add $(_pods_host "$kind" "$i") type netkit" ;;
		esac
	done | _pods_ip "$kind" -batch - || return 1
	if [ "$kind" = netkit ]; then
		# "nk3@qn7": the peer nk3 of qn7.
		while IFS=@ read -r peer i; do
			[[ $i == qn* ]] || continue
			i=${i#qn}
			((i >= first && i <= last)) && peers[$i]=$peer
		done < <(ip -o link show type netkit | awk -F': ' '{ print $2 }')
		for ((i = first; i <= last; i++)); do
			[ -n "${peers[$i]:-}" ] || return 1
			echo "link set ${peers[$i]} netns pod-$kind-$i"
		done | ip -batch - || return 1
	fi
	for ((i = first; i <= last; i++)); do
		peer=${peers[$i]:-eth0}
		printf 'addr add %s/32 dev %s\nlink set %s up\n' "$(_pods_addr "$i")" "$peer" "$peer" |
			ip -n "pod-$kind-$i" -batch - || return 1
	done
	for ((i = first; i <= last; i++)); do
		echo "link set $(_pods_host "$kind" "$i") up"
	done | ip -batch -
}

# _pods_remove KIND FIRST LAST: the pods FIRST..LAST gone, devices and netns.
_pods_remove() {
	local kind=$1 first=$2 last=$3 i
	for ((i = first; i <= last; i++)); do
		echo "link del $(_pods_host "$kind" "$i")"
		echo "netns del pod-$kind-$i"
	done | ip -batch -
}

# _pods_shards N PAR FN KIND: FN KIND FIRST LAST for PAR shards of 0..N-1 at
# once; fails if any shard fails.
_pods_shards() {
	local n=$1 par=$2 fn=$3 kind=$4 s first last pids=() rc=0
	for ((s = 0; s < par; s++)); do
		first=$((s * n / par))
		last=$(((s + 1) * n / par - 1))
		((last >= first)) || continue
		"$fn" "$kind" "$first" "$last" &
		pids+=($!)
	done
	for s in "${pids[@]}"; do
		wait "$s" || rc=1
	done
	return $rc
}

# pods_count KIND: the pods of KIND that exist (their netns).
pods_count() {
	ip netns list | grep -c "^pod-$1-"
}

# pods_cycle KIND N PAR: see the top.
pods_cycle() {
	local kind=$1 n=$2 par=$3 t0 t1
	PODS_RESULT=
	t0=$(date +%s%N)
	_pods_shards "$n" "$par" _pods_make "$kind" || return 1
	t1=$(date +%s%N)
	[ -z "${PODS_CHECK:-}" ] || "$PODS_CHECK" "$kind" "$n"
	_pods_shards "$n" "$par" _pods_remove "$kind" || return 1
	PODS_RESULT="pods=$n ns=$(($(date +%s%N) - t0)) make_ns=$((t1 - t0))"
}

# _pods_kmem: the kernel's slab, per-CPU and vmalloc memory in kB.
_pods_kmem() {
	awk '$1 == "Slab:" || $1 == "Percpu:" || $1 == "VmallocUsed:" { kb += $2 } END { print kb }' /proc/meminfo
}

# _pods_pairs KIND N add|del: N pairs of KIND in the initial netns (the
# host's ends qm<I>, qn<I> or qv<I>; the peers qmp<I>, nk<N> or qvp<I>), or
# their removal.
_pods_pairs() {
	local kind=$1 n=$2 op=$3 i h
	for ((i = 0; i < n; i++)); do
		h=$(_pods_host "$kind" "$i")
		if [ "$op" = del ]; then
			echo "link del $h"
		elif [ "$kind" = netkit ]; then
			echo "link add $h type netkit"
		else
			echo "link add $h type $kind peer name ${h:0:2}p$i"
		fi
	done | _pods_ip "$kind" -batch -
}

# pods_mem KIND N: see the top. The figure is read with the pairs in place,
# against a baseline read just before.
pods_mem() {
	local kind=$1 n=$2 m0 m1
	PODS_RESULT=
	m0=$(_pods_kmem)
	_pods_pairs "$kind" "$n" add || return 1
	m1=$(_pods_kmem)
	_pods_pairs "$kind" "$n" del || return 1
	PODS_RESULT="pairs=$n kmem_kb=$((m1 - m0)) bytes_per_pair=$(((m1 - m0) * 1024 / n))"
}
