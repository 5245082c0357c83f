#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The topologies of the benchmark (scripts/bench.sh, run in the VM by
# scripts/bench-guest.sh) and of its smoke test (bench.sh in this
# directory). Sourced, not run. All seven variants exist side by side; a
# client in each "pod" talks to a server in the netns bench-remote, which
# is reached over a veth pair that plays the physical NIC (the wire):
#
#   netns bench-remote   bw1 10.9.0.2/24, route 10.8.0.0/16 via 10.9.0.1
#   host netns           bw0 10.9.0.1/24 (the NIC), ip_forward=1
#
#   host      the client runs in the host netns itself (the limit)
#   veth      netns bench-veth: eth0 10.8.1.2/24, default via 10.8.1.1
#             <veth> bh1 10.8.1.1/24: routed and forwarded by the host
#   veth_bpf  netns bench-vbpf: eth0 10.8.2.2/24, default via 10.8.2.1
#             <veth> bh2 10.8.2.1/24; tc ingress of bh2: redirect_neigh to
#             bw0; tc ingress of bw0: redirect_peer to bh2 (Cilium's BPF
#             host routing before netkit)
#   netkit    netns bench-nk: eth0 10.8.3.2/32, default dev eth0
#             <netkit, L3> bh3; the peer's program (BPF_NETKIT_PEER,
#             attached through libbpf) is redirect_neigh to bw0; tc ingress
#             of bw0: redirect_peer to bh3
#   meta      netns bench-meta: eth0 10.8.4.2/32, default dev eth0
#             <meta, L3> bh4; the peer's program (BPF_NETKIT_PEER, the same way)
#             is redirect_neigh to bw0; tc ingress of bw0: redirect_peer to
#             bh4
#   netkit2   as netkit (netns bench-nk2, 10.8.5.2, bh5), with two programs
#             on the pod's end: tally.bpf.o (counts, returns next), then
#             redirect_neigh
#   meta2     as meta (netns bench-meta2, 10.8.6.2, bh6), the same two
#
# Every BPF variant runs the same two programs (samples/bpf/
# redirect_neigh.bpf.o, one instance, and redirect_peer.bpf.o, one
# instance per variant for its map). Only one variant has a program on
# bw0 at a time: topo_select installs it; host and veth get no clsact on
# bw0 at all.
#
# Run, not sourced, for the steps that must stop at the first failure:
#
#	topo.sh up      build every variant (stops at the first failing step,
#	                naming it on stderr)
#	topo.sh down    remove everything "up" made, also after a partial "up"
#
# Needs: METACTL, BPF_DIR (the *.bpf.o), meta.ko loaded, ip, tc, bpftool.

# shellcheck source-path=SCRIPTDIR source=bpfmap.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/bpfmap.sh"

# shellcheck disable=SC2034 # for the scripts that source this file
TOPO_VARIANTS="host veth veth_bpf netkit meta netkit2 meta2"
TOPO_REMOTE=bench-remote
TOPO_SERVER=10.9.0.2
TOPO_PIN=${TOPO_PIN:-/sys/fs/bpf/meta-bench}
TOPO_TCP_PORT=11111
TOPO_UDP_PORT=11112

# topo_ns VARIANT: the client's netns (empty for host).
topo_ns() {
	case $1 in
	host) echo "" ;;
	veth) echo bench-veth ;;
	veth_bpf) echo bench-vbpf ;;
	netkit) echo bench-nk ;;
	meta) echo bench-meta ;;
	netkit2) echo bench-nk2 ;;
	meta2) echo bench-meta2 ;;
	*) return 1 ;;
	esac
}

# topo_hostdev VARIANT: the host's end of the pod's device.
topo_hostdev() {
	case $1 in
	veth) echo bh1 ;;
	veth_bpf) echo bh2 ;;
	netkit) echo bh3 ;;
	meta) echo bh4 ;;
	netkit2) echo bh5 ;;
	meta2) echo bh6 ;;
	*) return 1 ;;
	esac
}

# topo_exec VARIANT CMD...: run CMD in the client's netns.
topo_exec() {
	local ns
	ns=$(topo_ns "$1")
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

_topo_ifindex() {
	echo "$(<"/sys/class/net/$1/ifindex")"
}


# _topo_ip4 A.B.C.D: the address as the u32 whose little-endian bytes are
# the address in network order.
_topo_ip4() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $((a | b << 8 | c << 16 | d << 24))
}

_topo_noipv6() {
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# _topo_pod NS DEV ADDR/LEN GW|dev [OLDNAME]: addresses and routes of a pod
# (DEV renamed from OLDNAME first, if given), one ip for them all (a process
# start costs about a second under TCG).
_topo_pod() {
	local ns=$1 dev=$2 addr=$3 gw=$4 route
	route="default via $gw"
	[ "$gw" = dev ] && route="default dev $dev"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 &&
		{
			[ -z "${5:-}" ] || echo "link set $5 name $dev"
			printf 'link set lo up\naddr add %s dev %s\nlink set %s up\nroute add %s\n' \
				"$addr" "$dev" "$dev" "$route"
		} | ip -n "$ns" -batch -
}

# _topo_rp VARIANT POD: redirect_peer for VARIANT's host device, pinned at
# $TOPO_PIN/rp_VARIANT, configured for the pod's address POD.
_topo_rp() {
	local v=$1 dev pod=${2:?}
	dev=$(topo_hostdev "$v")
	{
		echo "prog load $BPF_DIR/redirect_peer.bpf.o $TOPO_PIN/rp_$v type classifier pinmaps $TOPO_PIN/rp_${v}_maps"
		map_set_u32_cmd "$TOPO_PIN/rp_${v}_maps/cfg" 0 "$(_topo_ifindex "$dev")"
		map_set_u32_cmd "$TOPO_PIN/rp_${v}_maps/cfg" 1 "$(_topo_ip4 "$pod")"
	} | bpftool batch file - >/dev/null
}

# topo_up: build every variant; call it with set -e (topo.sh up).
topo_up() {
	_topo_noipv6
	sysctl -qw net.ipv4.ip_forward=1
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	mkdir -p "$TOPO_PIN"
	local ns
	# The netns, the wire (bw0, the remote server's bw1) and the host's ends
	# of the two veth variants, in one ip.
	{
		for ns in $TOPO_REMOTE bench-veth bench-vbpf bench-nk bench-meta bench-nk2 bench-meta2; do
			echo "netns add $ns"
		done
		echo "link add bw0 type veth peer name bw1 netns $TOPO_REMOTE"
		echo "addr add 10.9.0.1/24 dev bw0"
		echo "link set bw0 up"
		# veth: the host's stack routes and forwards.
		echo "link add bh1 type veth peer name eth0 netns bench-veth"
		echo "addr add 10.8.1.1/24 dev bh1"
		echo "link set bh1 up"
		# veth with BPF host routing.
		echo "link add bh2 type veth peer name eth0 netns bench-vbpf"
		echo "addr add 10.8.2.1/24 dev bh2"
		echo "link set bh2 up"
	} | ip -batch -
	ip netns exec $TOPO_REMOTE sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	printf 'link set lo up\naddr add %s/24 dev bw1\nlink set bw1 up\nroute add 10.8.0.0/16 via 10.9.0.1\n' \
		$TOPO_SERVER | ip -n $TOPO_REMOTE -batch -

	# redirect_neigh, one instance for every variant, to bw0; tally, one
	# instance for the two-program variants, before rn.
	{
		echo "prog load $BPF_DIR/redirect_neigh.bpf.o $TOPO_PIN/rn type classifier pinmaps $TOPO_PIN/rn_maps"
		map_set_u32_cmd "$TOPO_PIN/rn_maps/cfg" 0 "$(_topo_ifindex bw0)"
		echo "prog load $BPF_DIR/tally.bpf.o $TOPO_PIN/tally type classifier pinmaps $TOPO_PIN/tally_maps"
	} | bpftool batch file - >/dev/null

	_topo_pod bench-veth eth0 10.8.1.2/24 10.8.1.1

	_topo_pod bench-vbpf eth0 10.8.2.2/24 10.8.2.1
	tc -batch - <<-EOF
		qdisc add dev bh2 clsact
		filter add dev bh2 ingress bpf direct-action object-pinned $TOPO_PIN/rn
	EOF
	_topo_rp veth_bpf 10.8.2.2

	_topo_netkit bh3 bench-nk 10.8.3.2 netkit
	_topo_meta bh4 bench-meta 10.8.4.2 meta
	# The same with two programs on the pod's end: tally, then rn.
	_topo_netkit bh5 bench-nk2 10.8.5.2 netkit2 "$TOPO_PIN/tally"
	_topo_meta bh6 bench-meta2 10.8.6.2 meta2 "$TOPO_PIN/tally"
}

# _topo_peer_progs DEV [FIRST]: the pod's end of DEV runs FIRST (if given),
# then rn, attached through netkit's API on the host's end DEV.
_topo_peer_progs() {
	if [ -n "${2:-}" ]; then
		"$METACTL" attach "$1" --peer --pinned "$2" --append || return 1
	fi
	"$METACTL" attach "$1" --peer --pinned "$TOPO_PIN/rn" --append
}

# _topo_netkit DEV NS ADDR VARIANT [FIRST]: Debian 12's ip knows no netkit
# options; a bare add makes an L3 pair with the policy pass and a peer named
# nk<N>, the netkit device whose link (iflink) is DEV ("nk0@bh3").
_topo_netkit() {
	local dev=$1 ns=$2 addr=$3 v=$4 peer="" name
	ip link add "$dev" type netkit || return 1
	# "5: nk0@bh3: <...": nk0 is the peer of bh3.
	while read -r _ name _; do
		[ "${name#*@}" = "$dev:" ] && peer=${name%@*}
	done < <(ip -o link show type netkit)
	[ -n "$peer" ] || return 1
	printf 'link set %s netns %s\nlink set %s up\nroute add %s/32 dev %s\n' \
		"$peer" "$ns" "$dev" "$addr" "$dev" | ip -batch - &&
		_topo_pod "$ns" eth0 "$addr/32" dev "$peer" &&
		_topo_peer_progs "$dev" "${5:-}" &&
		_topo_rp "$v" "$addr"
}

# _topo_meta DEV NS ADDR VARIANT [FIRST]: the same with meta, the peer
# created in NS directly.
_topo_meta() {
	local dev=$1 ns=$2 addr=$3 v=$4
	"$METACTL" add "$dev" --peer-name eth0 --peer-netns "$ns" --mode l3 &&
		printf 'link set %s up\nroute add %s/32 dev %s\n' "$dev" "$addr" "$dev" | ip -batch - &&
		_topo_pod "$ns" eth0 "$addr/32" dev &&
		_topo_peer_progs "$dev" "${5:-}" &&
		_topo_rp "$v" "$addr"
}

# topo_select VARIANT: the program of VARIANT on the ingress of bw0 (none
# for host and veth).
topo_select() {
	tc qdisc del dev bw0 clsact 2>/dev/null
	case $1 in
	veth_bpf | netkit | meta | netkit2 | meta2)
		tc qdisc add dev bw0 clsact &&
			tc filter add dev bw0 ingress bpf direct-action object-pinned "$TOPO_PIN/rp_$1"
		;;
	esac
}

# topo_servers [LOGDIR]: the servers in the remote netns: sockperf over TCP
# (TOPO_TCP_PORT) and over UDP (TOPO_UDP_PORT), in the background, their
# output in LOGDIR/server-{tcp,udp}.txt (default: discarded), and an iperf3
# daemon; the exit status of iperf3's start.
topo_servers() {
	local tcp=/dev/null udp=/dev/null
	[ -n "${1:-}" ] && tcp=$1/server-tcp.txt && udp=$1/server-udp.txt
	ip netns exec $TOPO_REMOTE sockperf server --tcp -i $TOPO_SERVER -p $TOPO_TCP_PORT >"$tcp" 2>&1 &
	ip netns exec $TOPO_REMOTE sockperf server -i $TOPO_SERVER -p $TOPO_UDP_PORT >"$udp" 2>&1 &
	ip netns exec $TOPO_REMOTE iperf3 -s -B $TOPO_SERVER -D
}

# topo_down: remove everything topo_up made (also after a partial topo_up).
topo_down() {
	local ns
	tc qdisc del dev bw0 clsact 2>/dev/null
	for dev in bw0 bh1 bh2 bh3 bh4 bh5 bh6; do
		ip link del "$dev" 2>/dev/null
	done
	for ns in $TOPO_REMOTE bench-veth bench-vbpf bench-nk bench-meta bench-nk2 bench-meta2; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TOPO_PIN"
	return 0
}

# topo_forwarded: the host's IPv4 ForwDatagrams (Ip: line of /proc/net/snmp).
topo_forwarded() {
	awk '$1 == "Ip:" && $2 ~ /^[0-9]+$/ { print $7 }' /proc/net/snmp
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eEuo pipefail
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
	case ${1:-} in
	up)
		trap 'echo "topo.sh: failed (exit $?): $BASH_COMMAND" >&2' ERR
		topo_up
		;;
	down) topo_down ;;
	*)
		echo "usage: $0 up|down" >&2
		exit 2
		;;
	esac
fi
