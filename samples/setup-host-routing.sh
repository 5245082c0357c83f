#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Cilium "BPF host routing" pattern with a meta pair instead of a veth
# pair, on one machine (a VM with the meta kernel and meta.ko loaded):
#
#   netns pod                 host netns                       netns remote
#   pod0 10.1.0.2/32  ==meta==  meta-host
#   default dev pod0            phys0 10.2.0.1/24  ==veth==  phys1 10.2.0.2/24
#                                                            10.1.0.0/24 via 10.2.0.1
#
#   pod -> remote: pod0 transmits; meta switches the packet to meta-host and
#     runs the PEER end's program, redirect_neigh.bpf.o: bpf_redirect_neigh()
#     to phys0 (FIB + neighbour lookup in the host netns, no backlog queue,
#     no IP forwarding).
#   remote -> pod: redirect_peer.bpf.o on the tc ingress of phys0:
#     bpf_redirect_peer() to meta-host, whose ndo_get_peer_dev makes the
#     packet arrive on pod0 in the pod's netns directly.
#
# The host's net.ipv4.ip_forward is left as it is (0 in a fresh VM): the
# pings work without it because the host's stack is bypassed both ways.
# The host itself reaches the pod through a route to 10.1.0.2 via meta-host
# (the primary transmits, the policy passes); the pod's replies to the
# host's address 10.2.0.1 are passed to the host's stack by redirect_neigh
# (its cfg key 1) instead of being sent out of phys0.
#
# Usage:
#   samples/setup-host-routing.sh            clean up leftovers, set up, ping
#                                            remote from the pod, the pod from
#                                            remote and from the host, show the
#                                            counters; leaves everything set up
#   samples/setup-host-routing.sh --cleanup  remove everything it creates
#
# Environment:
#   METACTL   the metactl binary (default: tools/metactl/target/release/metactl)
#   BPF_DIR   where the *.bpf.o are (default: samples/bpf; built into a
#             temporary directory with samples/bpf/Makefile if missing there)
#   PIN_DIR   bpffs directory for the pinned programs and maps
#             (default: /sys/fs/bpf/meta-host-routing)
#
# Needs: root, ip, tc (clsact, bpf object-pinned), bpftool, ping, ethtool,
# the meta module (ip link add type meta must work) and metactl.

set -eEuo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
METACTL=${METACTL:-$ROOT/tools/metactl/target/release/metactl}
BPF_DIR=${BPF_DIR:-$ROOT/samples/bpf}
PIN_DIR=${PIN_DIR:-/sys/fs/bpf/meta-host-routing}

POD_NS=pod
REMOTE_NS=remote
META_DEV=meta-host
POD_DEV=pod0
PHYS_DEV=phys0
REMOTE_DEV=phys1
POD_ADDR=10.1.0.2
POD_NET=10.1.0.0/24
HOST_ADDR=10.2.0.1
REMOTE_ADDR=10.2.0.2

step() { echo "# host-routing: $*"; }
die() {
	echo "# host-routing: FAILED: $*" >&2
	exit 1
}
trap 'echo "# host-routing: FAILED: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR

# run CMD...: show a command, then run it (set -e stops on failure).
run() {
	echo "\$ $*"
	"$@"
}

# le32 N: the 4 bytes of N, little endian, as bpftool wants them.
le32() {
	local v=$1
	echo "$((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255))"
}

# ip4 A.B.C.D: the 4 bytes of an IPv4 address in network order.
ip4() {
	echo "${1//./ }"
}

ifindex() {
	cat "/sys/class/net/$1/ifindex"
}

cleanup() {
	step "cleanup"
	tc qdisc del dev "$PHYS_DEV" clsact 2>/dev/null || true
	ip link del "$PHYS_DEV" 2>/dev/null || true
	# Deleting the primary deletes the peer too.
	ip link del "$META_DEV" 2>/dev/null || true
	ip netns del "$POD_NS" 2>/dev/null || true
	ip netns del "$REMOTE_NS" 2>/dev/null || true
	rm -rf "$PIN_DIR"
}

check_tools() {
	local t missing=
	[ "$(id -u)" = 0 ] || die "must run as root"
	for t in ip tc bpftool ping ethtool; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	[ -z "$missing" ] || die "missing tools:$missing"
	[ -x "$METACTL" ] || die "no metactl at $METACTL (cargo build --release in tools/metactl, or set METACTL)"
	if [ ! -d /sys/module/meta ]; then
		modprobe meta 2>/dev/null || die "the meta module is not loaded (insmod meta/meta.ko)"
	fi
}

# The objects: from BPF_DIR, or built into a temporary directory.
find_objects() {
	local o
	for o in redirect_neigh redirect_peer; do
		if [ ! -f "$BPF_DIR/$o.bpf.o" ]; then
			local out
			out=$(mktemp -d /tmp/meta-bpf.XXXXXX)
			step "no $BPF_DIR/$o.bpf.o: building the samples into $out"
			make -s -C "$ROOT/samples/bpf" O="$out" >&2 || die "building the BPF samples failed"
			BPF_DIR=$out
			break
		fi
	done
}

mount_bpffs() {
	if ! mountpoint -q /sys/fs/bpf; then
		run mount -t bpf bpf /sys/fs/bpf
	fi
}

setup() {
	step "namespaces $POD_NS and $REMOTE_NS"
	run ip netns add "$POD_NS"
	run ip netns add "$REMOTE_NS"
	ip -n "$POD_NS" link set lo up
	ip -n "$REMOTE_NS" link set lo up

	step "meta pair: $META_DEV (primary, host) <-> $POD_DEV (peer, netns $POD_NS), L3 mode"
	run "$METACTL" add "$META_DEV" --peer-name "$POD_DEV" --peer-netns "$POD_NS" --mode l3
	run ip link set "$META_DEV" up
	run ip -n "$POD_NS" addr add "$POD_ADDR/32" dev "$POD_DEV"
	run ip -n "$POD_NS" link set "$POD_DEV" up
	run ip -n "$POD_NS" route add default dev "$POD_DEV"
	# For the host's own traffic to the pod (through the stack and meta's
	# primary); the forwarded traffic does not use it.
	run ip route add "$POD_ADDR/32" dev "$META_DEV"

	step "the \"physical\" NIC: veth $PHYS_DEV (host) <-> $REMOTE_DEV (netns $REMOTE_NS)"
	run ip link add "$PHYS_DEV" type veth peer name "$REMOTE_DEV" netns "$REMOTE_NS"
	run ip addr add "$HOST_ADDR/24" dev "$PHYS_DEV"
	run ip link set "$PHYS_DEV" up
	run ip -n "$REMOTE_NS" addr add "$REMOTE_ADDR/24" dev "$REMOTE_DEV"
	run ip -n "$REMOTE_NS" link set "$REMOTE_DEV" up
	run ip -n "$REMOTE_NS" route add "$POD_NET" via "$HOST_ADDR"

	step "BPF programs and maps pinned under $PIN_DIR"
	mkdir -p "$PIN_DIR"
	run bpftool prog load "$BPF_DIR/redirect_neigh.bpf.o" "$PIN_DIR/redirect_neigh" \
		type classifier pinmaps "$PIN_DIR/redirect_neigh_maps"
	# shellcheck disable=SC2046
	run bpftool map update pinned "$PIN_DIR/redirect_neigh_maps/cfg" \
		key 0 0 0 0 value $(le32 "$(ifindex "$PHYS_DEV")")
	# The host's own address: the pod's packets to it go to the host's stack.
	# shellcheck disable=SC2046
	run bpftool map update pinned "$PIN_DIR/redirect_neigh_maps/cfg" \
		key 1 0 0 0 value $(ip4 "$HOST_ADDR")
	run bpftool prog load "$BPF_DIR/redirect_peer.bpf.o" "$PIN_DIR/redirect_peer" \
		type classifier pinmaps "$PIN_DIR/redirect_peer_maps"
	# shellcheck disable=SC2046
	run bpftool map update pinned "$PIN_DIR/redirect_peer_maps/cfg" \
		key 0 0 0 0 value $(le32 "$(ifindex "$META_DEV")")
	# shellcheck disable=SC2046
	run bpftool map update pinned "$PIN_DIR/redirect_peer_maps/cfg" \
		key 1 0 0 0 value $(ip4 "$POD_ADDR")

	step "pod egress: redirect_neigh on the meta PEER end (runs when $POD_DEV transmits)"
	run "$METACTL" attach "$META_DEV" --peer --pinned "$PIN_DIR/redirect_neigh"

	step "pod ingress: redirect_peer on the tc ingress of $PHYS_DEV"
	run tc qdisc add dev "$PHYS_DEV" clsact
	run tc filter add dev "$PHYS_DEV" ingress bpf direct-action object-pinned "$PIN_DIR/redirect_peer"
	run tc filter show dev "$PHYS_DEV" ingress
	run "$METACTL" show
}

show_counters() {
	step "counters"
	echo "host net.ipv4.ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
	run ip netns exec "$POD_NS" ethtool -S "$POD_DEV"
	run ip -n "$POD_NS" -s link show "$POD_DEV"
	run ip -s link show "$META_DEV"
	run ip -s link show "$PHYS_DEV"
}

# ethtool_stat NETNS DEV NAME: one ethtool -S counter.
ethtool_stat() {
	ip netns exec "$1" ethtool -S "$2" | awk -v n="$3:" '$1 == n { print $2 }'
}

main() {
	case ${1:-} in
	--cleanup)
		cleanup
		return
		;;
	"") ;;
	*)
		sed -n '/^# Usage:/,/^# Needs:/s/^# \{0,1\}//p' "$0" >&2
		exit 2
		;;
	esac
	check_tools
	find_objects
	mount_bpffs
	cleanup
	setup

	local before after
	before=$(ethtool_stat "$POD_NS" "$POD_DEV" xmit_redirect)
	step "ping $REMOTE_ADDR (netns $REMOTE_NS) from the pod"
	if ! run ip netns exec "$POD_NS" ping -c 3 -i 0.2 -W 2 "$REMOTE_ADDR"; then
		show_counters
		die "no reply from $REMOTE_ADDR"
	fi
	after=$(ethtool_stat "$POD_NS" "$POD_DEV" xmit_redirect)
	[ "$((after - before))" -ge 3 ] ||
		die "xmit_redirect of $POD_DEV went from $before to $after: the pod's packets did not go through redirect_neigh"
	step "ok: 3 pings crossed; $POD_DEV xmit_redirect $before -> $after"

	step "ping the pod from $REMOTE_NS (in through redirect_peer)"
	run ip netns exec "$REMOTE_NS" ping -c 2 -i 0.2 -W 2 "$POD_ADDR" ||
		{ show_counters; die "no reply from the pod to $REMOTE_NS"; }
	step "ping the pod from the host (out through meta's primary, back through the host address exception of redirect_neigh)"
	run ping -c 2 -i 0.2 -W 2 "$POD_ADDR" ||
		{ show_counters; die "no reply from the pod to the host"; }
	show_counters
	step "left set up; remove with: $0 --cleanup"
}

main "$@"
