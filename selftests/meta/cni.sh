#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The meta CNI plugin (tools/meta-cni, Documentation/cni.rst) driven by a real
# client: a Go harness on Debian's libcni (tools/meta-cni/harness, the
# library containerd, CRI-O and podman's CNI backend use), with host-local
# IPAM and the reference "tuning" plugin chained after meta (it needs meta's
# result as its prevResult, and its sysctl must show in the pod).
#
#   - bad configurations (unknown mode, missing IPAM, wrong cniVersion, an
#     unknown field, a missing netns, an ifname that exists, a failure after
#     the lease was taken) get the spec's error codes and messages and leave
#     no device, lease, record or pin;
#   - ADD: the pair, addresses, routes both ways, MTU, tuning's sysctl, the
#     links of both ends' programs pinned, the endpoint map; CHECK passes,
#     and fails naming what was broken (a host route, an endpoint entry);
#   - two pods reach each other and a server behind the "NIC" through
#     samples/bpf/host_routing.bpf.o with IP forwarding off, its counters and
#     count.bpf.o's on each primary seeing every packet;
#   - DEL releases everything and is idempotent, also after the pod's netns
#     or the host's end is gone;
#   - 32 pods added, checked and deleted concurrently: no lost or doubled
#     lease, nothing left, the programs freed;
#   - L2 mode with every option; 1.1.0 straight from the plugin: ADD, STATUS,
#     GC releasing only what is not listed as valid.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

CNI_BIN=${CNI_BIN:-$META_REPO/tools/meta-cni/target/release/meta}
HARNESS=${CNI_HARNESS:-$META_REPO/tools/meta-cni/target/harness/meta-cni-harness}
REF=${CNI_REF_PLUGINS:-/usr/lib/cni}

require_cmd ip ping tc bpftool jq sysctl
[ -x "$CNI_BIN" ] || missing "$CNI_BIN (make cni)"
[ -x "$HARNESS" ] || missing "$HARNESS (make cni)"
for p in host-local tuning; do
	[ -x "$REF/$p" ] || missing "$REF/$p (containernetworking-plugins)"
done
meta_setup cni POD1 POD2 REMOTE

# Everything the plugin and the reference plugins write goes to a temporary
# directory (the VM's root is the host's), the pins to this test's bpffs.
T=$(mktemp -d /tmp/meta-cni.XXXXXX)
defer rm -rf "$T"
PIN=$P/links
CNI_PATH=$(dirname "$CNI_BIN"):$REF
SUBNET=10.66.0
ID=cni$$
for o in host_routing count; do
	[ -f "$BPF_DIR/$o.bpf.o" ] || missing "$BPF_DIR/$o.bpf.o (make samples)"
done

# conflist FILE NAME VERSION MODE-OPTIONS IPAM-RANGES [CHAINED...]: a network
# configuration list with meta first ("MODE-OPTIONS" are more of its keys,
# JSON without braces) and the chained plugins' JSON objects after it.
conflist() {
	local f=$1 name=$2 ver=$3 opts=$4 ranges=$5 chained=""
	shift 5
	for c in "$@"; do chained+=", $c"; done
	cat >"$f" <<-EOF
		{"cniVersion": "$ver", "name": "$name", "plugins": [
		  {"type": "meta", "stateDir": "$T/state", "pinDir": "$PIN"${opts:+, $opts},
		   "ipam": {"type": "host-local", "dataDir": "$T/ipam", "ranges": $ranges}}$chained
		]}
	EOF
}

# harness CONFLIST OP ARGS...: libcni; its stdout in $OUT, exit status in $RC.
harness() {
	OUT=$("$HARNESS" -path "$CNI_PATH" -cache "$T/cache" "$@" 2>"$T/harness.err")
	RC=$?
}

# leftovers NET: what is left of network NET: meta devices of the plugin,
# leases, records, pins (one line each). Bash globs, no process: under TCG
# every process start costs about a second.
leftovers() {
	local f n
	shopt -s nullglob globstar
	f=(/sys/class/net/mcni*)
	echo "devices ${#f[@]}"
	n=0
	for f in "$T/ipam/$1"/*; do
		case ${f##*/} in lock | last_reserved_ip*) ;; *) [ -f "$f" ] && n=$((n + 1)) ;; esac
	done
	echo "leases $n"
	n=0
	for f in "$T/state/$1"/**; do [ -f "$f" ] && n=$((n + 1)); done
	echo "records $n"
	f=("$PIN"/**)
	# "$PIN/**" includes "$PIN/" itself when it exists.
	[ -d "$PIN" ] && f=("${f[@]:1}")
	echo "pins ${#f[@]}"
	shopt -u nullglob globstar
}
NOTHING=$(printf 'devices 0\nleases 0\nrecords 0\npins 0')

# refused WHAT CODE MSG NET CONFLIST ID NETNS IFNAME: ADD through libcni fails
# with the CNI error CODE whose msg is MSG, and leaves nothing of NET.
add_refused() {
	local what=$1 code=$2 msg=$3 net=$4 got
	shift 4
	harness "$1" add "$2" "$3" "$4"
	got=$(cni_error "$OUT")
	if [ "$RC" = 2 ]; then
		check_eq "$what: CNI error" "$got" "$code $msg"
	else
		fail "$what: exit $RC, want a CNI error: $OUT $(cat "$T/harness.err")"
	fi
	check_eq "$what: nothing left" "$(leftovers "$net")" "$NOTHING"
}

# cni_error JSON: "CODE MSG" of a CNI error object as libcni's harness
# prints it (Go's json.Marshal of types.Error: {"code":N,"msg":"..."}), in
# bash; MSG unescaped.
cni_error() {
	local re_code='"code": *([0-9]+)' re_msg='"msg": *"(([^"\\]|\\.)*)"' code msg
	[[ $1 =~ $re_code ]] || return 1
	code=${BASH_REMATCH[1]}
	[[ $1 =~ $re_msg ]] || return 1
	msg=${BASH_REMATCH[1]}
	msg=${msg//'\u003c'/<} msg=${msg//'\u003e'/>} msg=${msg//'\u0026'/&}
	msg=${msg//'\"'/'"'} msg=${msg//'\\'/'\'}
	echo "$code $msg"
}

# host_end RESULT: the name of the first interface of a CNI result (the
# host's end; Go's json.Marshal of types100.Result: "interfaces" follows
# "cniVersion", "name" comes first in an interface).
host_end() {
	local re='"interfaces":\[\{"name":"([^"]*)"'
	[[ $1 =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

# trim: without the blanks iproute2 leaves at the ends of its lines.
trim() {
	sed 's/ *$//'
}

# our_progs PREFIX: the ids of the programs that the links pinned under
# $PIN/PREFIX* run, sorted (one bpftool for all: -f shows the pins).
our_progs() {
	bpftool -j -f link show |
		jq -r --arg p "$PIN/$1" '[.[] | select(any(.pinned[]?; startswith($p))) | .prog_id] | unique | map(tostring) | join(" ")'
}

# alive IDS...: those of the program ids that still exist.
alive() {
	bpftool -j prog show |
		jq -r '[.[].id] as $have | [$ARGS.positional[] | select(tonumber as $i | any($have[]; . == $i))] | join(" ")' --args "$@"
}

# only_alive WANT IDS...: of the program ids IDS, exactly WANT still exist.
# shellcheck disable=SC2317 # called through until_true
only_alive() {
	local want=$1
	shift
	[ "$(alive "$@")" = "$want" ]
}

# ip4_key A.B.C.D: the endpoint map's key (the address in network order) as
# map_value reads keys (a little-endian u32).
ip4_key() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $((a | b << 8 | c << 16 | d << 24))
}

# prim_count CID: the packets count.bpf.o counted on the primary of CID.
prim_count() {
	local prog map f=$P/count-$1
	prog=$(link_prog_id "$PIN/$1/eth0/primary-0") || return 1
	map=$(prog_map_id "$prog") || return 1
	bpftool map pin id "$map" "$f" && map_value "$f" 0
	rm -f "$f"
}

# hr_count KEY: a counter of host_routing.bpf.o (0 to the NIC, 1 to a pod,
# 3 into a pod).
hr_count() {
	map_value "$P/hr/maps/counters" "$1"
}

# The "NIC": a veth pair to the netns REMOTE (10.77.0.2, the pods' subnet
# routed back through the host), with host_routing's ingress program.
step "topology"
ip link add cnphys0 type veth peer name cnphys1 netns "$REMOTE" &&
	ip addr add 10.77.0.1/24 dev cnphys0 && ip link set cnphys0 up &&
	ip -n "$REMOTE" addr add 10.77.0.2/24 dev cnphys1 && ip -n "$REMOTE" link set cnphys1 up &&
	ip -n "$REMOTE" route add $SUBNET.0/24 via 10.77.0.1
check_err $? "the NIC cnphys0 and the remote server's side" || meta_exit
defer ip link del cnphys0
mkdir -p "$P/hr"
bpftool prog loadall "$BPF_DIR/host_routing.bpf.o" "$P/hr" type classifier pinmaps "$P/hr/maps" &&
	map_set_u32 "$P/hr/maps/cfg" 0 "$(cat /sys/class/net/cnphys0/ifindex)" &&
	map_set_u32 "$P/hr/maps/cfg" 1 "$(ip4_key 10.77.0.1)" &&
	tc qdisc add dev cnphys0 clsact &&
	tc filter add dev cnphys0 ingress bpf direct-action object-pinned "$P/hr/meta_nic_ingress"
check_err $? "host_routing.bpf.o loaded, configured, on the NIC's ingress" || meta_exit
check_eq "IPv4 forwarding in the host" "$(sysctl -n net.ipv4.ip_forward)" 0

RANGES="[[{\"subnet\": \"$SUBNET.0/24\"}]]"
HR_OPTS="\"mtu\": 1400, \"endpointMap\": \"$P/hr/maps/endpoints\",
   \"programs\": {\"primary\": [{\"object\": \"$BPF_DIR/count.bpf.o\"}],
                  \"peer\": [{\"pinned\": \"$P/hr/meta_pod_egress\"}]}"
# The pods' interface is eth0: tuning 1.1.1 replaces "IFNAME" in sysctl keys
# on ADD but not on CHECK.
TUNING="{\"type\": \"tuning\", \"sysctl\": {\"net.ipv4.conf.eth0.arp_ignore\": \"1\"}, \"dataDir\": \"$T/tuning\"}"
conflist "$T/podnet.conflist" podnet 1.0.0 "$HR_OPTS" "$RANGES" "$TUNING"

step "bad configurations"
conflist "$T/bad.conflist" podnet 1.0.0 '"mode": "l4"' "$RANGES"
add_refused "unknown mode" 7 'invalid "mode": "l4"' podnet "$T/bad.conflist" "$ID-bad" "/run/netns/$POD1" eth0
cat >"$T/bad.conflist" <<-EOF
	{"cniVersion": "1.0.0", "name": "podnet", "plugins": [{"type": "meta", "stateDir": "$T/state"}]}
EOF
add_refused "missing IPAM" 7 'missing "ipam"' podnet "$T/bad.conflist" "$ID-bad" "/run/netns/$POD1" eth0
conflist "$T/bad.conflist" podnet 0.4.0 "" "$RANGES"
add_refused "cniVersion 0.4.0" 1 "incompatible CNI versions" podnet "$T/bad.conflist" "$ID-bad" "/run/netns/$POD1" eth0
conflist "$T/bad.conflist" podnet 1.0.0 '"headrom": 64' "$RANGES"
add_refused "a misspelt option" 2 'unsupported field "headrom": 64' podnet "$T/bad.conflist" "$ID-bad" "/run/netns/$POD1" eth0
add_refused "a missing netns" 3 "CNI_NETNS /run/netns/$POD1-gone does not exist" podnet \
	"$T/podnet.conflist" "$ID-bad" "/run/netns/$POD1-gone" eth0
ip -n "$POD1" link add eth0 type dummy
add_refused "an ifname that exists" 100 "interface \"eth0\" already exists in /run/netns/$POD1" podnet \
	"$T/podnet.conflist" "$ID-bad" "/run/netns/$POD1" eth0
check_eq "the existing eth0 is untouched" "$(links "$POD1" | field eth0 3)" dummy
ip -n "$POD1" link del eth0
# IPv6 is disabled in the pod: the address fails after the lease, the pair and
# the links exist; all of it must be undone.
conflist "$T/bad.conflist" badnet 1.0.0 "$HR_OPTS" "[[{\"subnet\": \"fd00:66::/64\"}]]"
harness "$T/bad.conflist" add "$ID-bad" "/run/netns/$POD1" eth0
got=$(cni_error "$OUT")
got=${got%%:*}
check_eq "a failure after the lease: CNI error" "$RC $got" "2 101 add an address in the pod"
check_eq "a failure after the lease: nothing left" "$(leftovers badnet)" "$NOTHING"
check_eq "a failure after the lease: no endpoint entry" "$(bpftool -j map dump pinned "$P/hr/maps/endpoints")" "[]"

step "ADD through libcni, meta then tuning"
harness "$T/podnet.conflist" add "$ID-pod1" "/run/netns/$POD1" eth0
check_eq "ADD pod1" "$RC" 0 || { cat "$T/harness.err"; meta_exit; }
printf '%s\n' "$OUT" >"$T/pod1.json"
got=$(jq -r '.interfaces as $i | "\(.cniVersion) \($i | length) \($i[1].name) \($i[1].sandbox)" +
	" \($i[1] | has("mac")) \([.ips[] | [.address, .interface]] | tojson) \(.routes | tojson)"' "$T/pod1.json")
check_eq "the result" "$got" \
	"1.0.0 2 eth0 /run/netns/$POD1 false [[\"$SUBNET.2/24\",1]] [{\"dst\":\"0.0.0.0/0\"}]"
H1=$(jq -r '.interfaces[0].name' "$T/pod1.json")
# kind_mtu_up: "KIND MTU UP" of the device in "ip -d -j link show" on stdin.
kind_mtu_up() {
	jq -r '.[0] | "\(.linkinfo.info_kind) \(.mtu) \(any(.flags[]; . == "UP"))"'
}
check_eq "the host's end" "$(ip -d -j link show "$H1" | kind_mtu_up)" "meta 1400 true"
check_eq "the pod's end" "$(ip -n "$POD1" -d -j link show eth0 | kind_mtu_up)" "meta 1400 true"
check_eq "the pod's end is the peer of the host's" "$(sysfs_attr "$POD1" eth0 iflink)" \
	"$(cat "/sys/class/net/$H1/ifindex")"
check_eq "meta's settings of the pair" "$(metactl show "$H1" --json | jq -r '.[0] | "\(.primary) \(.mode)"')" "true l3"
check_eq "the pod's address" "$(ip -n "$POD1" -4 -o addr show dev eth0 | awk '{ print $4 }')" "$SUBNET.2/24"
check_eq "the pod's routes" "$(ip -n "$POD1" -4 route show | trim)" "default dev eth0 proto static scope link"
check_eq "the host's route to the pod" "$(ip -4 route show $SUBNET.2 | trim)" "$SUBNET.2 dev $H1 proto static scope link"
check_eq "tuning's sysctl in the pod" "$(ip netns exec "$POD1" sysctl -n net.ipv4.conf.eth0.arp_ignore)" 1
check_eq "the endpoint entry" "$(map_value "$P/hr/maps/endpoints" "$(ip4_key $SUBNET.2)")" \
	"$(cat "/sys/class/net/$H1/ifindex")"
check_eq "the pinned links" "$(cd "$PIN/$ID-pod1/eth0" && echo *)" "peer-0 primary-0"
check_eq "the peer's link runs the pinned pod-egress program" \
	"$(link_prog_id "$PIN/$ID-pod1/eth0/peer-0")" "$(pinned_id "$P/hr/meta_pod_egress")"
harness "$T/podnet.conflist" check "$ID-pod1" "/run/netns/$POD1" eth0
check_eq "CHECK pod1" "$RC $OUT" "0 "

step "CHECK finds what was broken"
ip route del $SUBNET.2/32 dev "$H1"
bpftool map delete pinned "$P/hr/maps/endpoints" key ${SUBNET//./ } 2
harness "$T/podnet.conflist" check "$ID-pod1" "/run/netns/$POD1" eth0
check_eq "CHECK after a host route and an endpoint entry were removed" "$RC $(jq -r '"\(.code) \(.msg)\n\(.details)"' <<<"$OUT")" \
	"2 103 CHECK: 2 difference(s) from prevResult and the configuration
the host has no route to $SUBNET.2/32 through $H1; endpointMap: $SUBNET.2 leads to nothing, not to $H1 ($(cat "/sys/class/net/$H1/ifindex"))"
ip route add $SUBNET.2/32 dev "$H1" proto static scope link
map_set_u32 "$P/hr/maps/endpoints" "$(ip4_key $SUBNET.2)" "$(cat "/sys/class/net/$H1/ifindex")"
harness "$T/podnet.conflist" check "$ID-pod1" "/run/netns/$POD1" eth0
check_eq "CHECK after the repair" "$RC" 0

step "two pods and a server through the host-routing path"
harness "$T/podnet.conflist" add "$ID-pod2" "/run/netns/$POD2" eth0
check_eq "ADD pod2" "$RC" 0 || { cat "$T/harness.err"; meta_exit; }
H2=$(host_end "$OUT")
check_eq "pod2's address" "$(ip -n "$POD2" -4 -o addr show dev eth0 | awk '{ print $4 }')" "$SUBNET.3/24"
check_eq "the host's route to pod2" "$(ip -4 route show $SUBNET.3 | trim)" "$SUBNET.3 dev $H2 proto static scope link"
c1=$(prim_count "$ID-pod1") c2=$(prim_count "$ID-pod2") pod=$(hr_count 1)
pings "$POD1" $SUBNET.3 3
check_eq "pod1 -> pod2: replies" "$PING_RECEIVED/$PING_SENT" "3/3"
check_eq "pod-to-pod redirects of the pods' egress program" "$(($(hr_count 1) - pod))" 6
check_eq "count.bpf.o on pod2's primary (the requests)" "$(($(prim_count "$ID-pod2") - c2))" 3
check_eq "count.bpf.o on pod1's primary (the replies)" "$(($(prim_count "$ID-pod1") - c1))" 3
nic=$(hr_count 0) into=$(hr_count 3)
pings "$POD2" 10.77.0.2 3
check_eq "pod2 -> the server behind the NIC: replies" "$PING_RECEIVED/$PING_SENT" "3/3"
check_eq "redirects out of the NIC (bpf_redirect_neigh)" "$(($(hr_count 0) - nic))" 3
check_eq "redirects into the pod (bpf_redirect_peer)" "$(($(hr_count 3) - into))" 3
check_eq "IPv4 forwarding still off" "$(sysctl -n net.ipv4.ip_forward)" 0

step "DEL"
prog1=$(link_prog_id "$PIN/$ID-pod1/eth0/primary-0")
for n in 1 2; do
	nsvar=POD$n
	harness "$T/podnet.conflist" del "$ID-pod$n" "/run/netns/${!nsvar}" eth0
	check_eq "DEL pod$n" "$RC $OUT" "0 "
done
check_eq "after DEL" "$(leftovers podnet)" "$NOTHING"
check_eq "no host route to the pods" "$(ip -4 route show proto static)" ""
check_eq "no endpoint entry" "$(bpftool -j map dump pinned "$P/hr/maps/endpoints")" "[]"
check_fail "$(ip -n "$POD1" link show eth0 >/dev/null 2>&1; echo $?)" "pod1's eth0 is gone"
if until_true 10 only_alive "" "$prog1"; then
	ok "count.bpf.o of pod1's primary (id $prog1) is freed"
else
	fail "program $prog1 is still loaded after DEL"
fi
harness "$T/podnet.conflist" del "$ID-pod1" "/run/netns/$POD1" eth0
check_eq "a second DEL" "$RC $OUT" "0 "
# Without tuning from here on: its DEL needs the netns.
conflist "$T/plain.conflist" plain 1.0.0 "$HR_OPTS" "$RANGES"
harness "$T/plain.conflist" add "$ID-gone" "/run/netns/$POD1" eth0
check_eq "ADD, then the pod's netns is deleted" "$RC" 0
cleanup_ns "$POD1"
harness "$T/plain.conflist" del "$ID-gone" "/run/netns/$POD1" eth0
check_eq "DEL without the netns" "$RC $OUT" "0 "
check_eq "after DEL without the netns" "$(leftovers plain)" "$NOTHING"
check_eq "... and no endpoint entry" "$(bpftool -j map dump pinned "$P/hr/maps/endpoints")" "[]"
harness "$T/plain.conflist" add "$ID-nodev" "/run/netns/$POD2" eth0
H=$(host_end "$OUT")
ip link del "$H"
harness "$T/plain.conflist" del "$ID-nodev" "/run/netns/$POD2" eth0
check_eq "DEL after the host's end was deleted" "$RC $OUT" "0 "
check_eq "after DEL without the device" "$(leftovers plain)" "$NOTHING"

step "32 pods at once"
N=32
: >"$T/netns-add.batch"
: >"$T/netns-del.batch"
for ((i = 0; i < N; i++)); do
	echo "netns add $ID-par-$i" >>"$T/netns-add.batch"
	echo "netns del $ID-par-$i" >>"$T/netns-del.batch"
done
defer ip -force -batch "$T/netns-del.batch"
check "$N netns" ip -batch "$T/netns-add.batch"
# failed OUTPUT: the first lines of the harness that report an error.
failed() {
	grep ' error ' <<<"$1" | head -n 5 | sed 's/^/#   /'
}
harness "$T/plain.conflist" parallel add $N "$ID-par" eth0
check_eq "$N ADDs at once" "$RC $(tail -n 1 <<<"$OUT")" "0 $N ok, 0 failed" || failed "$OUT"
check_eq "$N pairs" "$(ip -o link show type meta | grep -c ': mcni')" $N
check_eq "$N distinct leases" "$(find "$T/ipam/plain" -type f -name "$SUBNET.*" | sort -u | wc -l)" $N
check_eq "$N host routes, one per lease" "$(ip -4 route show proto static | awk '{ print $1 }' | sort -u | wc -l)" $N
check_eq "$N endpoint entries" "$(map_entries "$P/hr/maps/endpoints" | wc -l)" $N
ids=$(our_progs "$ID-par-")
# each pod: its own count.bpf.o on the primary, the one pinned pod-egress program on the peer
check_eq "$N count.bpf.o instances and the pinned pod-egress program" "$(wc -w <<<"$ids")" $((N + 1))
harness "$T/plain.conflist" parallel check $N "$ID-par" eth0
check_eq "$N CHECKs at once" "$RC $(tail -n 1 <<<"$OUT")" "0 $N ok, 0 failed" || failed "$OUT"
harness "$T/plain.conflist" parallel del $N "$ID-par" eth0
check_eq "$N DELs at once" "$RC $(tail -n 1 <<<"$OUT")" "0 $N ok, 0 failed" || failed "$OUT"
check_eq "after $N DELs" "$(leftovers plain)" "$NOTHING"
check_eq "no host route left" "$(ip -4 route show proto static)" ""
check_eq "no endpoint entry left" "$(bpftool -j map dump pinned "$P/hr/maps/endpoints")" "[]"
egress=$(pinned_id "$P/hr/meta_pod_egress")
# shellcheck disable=SC2086 # one id per word
if until_true 20 only_alive "$egress" $ids; then
	ok "the $N count.bpf.o instances are freed (the pinned program stays)"
else
	# shellcheck disable=SC2086
	fail "programs still loaded after the DELs: $(alive $ids)"
fi
ip -force -batch "$T/netns-del.batch" 2>/dev/null

step "L2 mode, every option"
setup_ns POD3
no_ipv6 "$POD3"
conflist "$T/l2.conflist" l2net 1.0.0 '"mode": "l2", "mtu": 9000, "policy": "forward", "peerPolicy": "forward",
   "scrub": "none", "peerScrub": "default", "headroom": 32, "tailroom": 16' "[[{\"subnet\": \"10.55.0.0/24\"}]]"
harness "$T/l2.conflist" add "$ID-l2" "/run/netns/$POD3" eth0
check_eq "ADD in L2 mode" "$RC" 0 || cat "$T/harness.err"
printf '%s\n' "$OUT" >"$T/l2.json"
H3=$(jq -r '.interfaces[0].name' "$T/l2.json")
check_eq "the result names both MAC addresses" "$(jq -r '.interfaces | "\(.[0].mac) \(.[1].mac)"' "$T/l2.json")" \
	"$(cat "/sys/class/net/$H3/address") $(ip netns exec "$POD3" cat /sys/class/net/eth0/address)"
check_eq "meta's settings" "$(metactl show "$H3" --json |
	jq -r '.[0] | "\(.mode) \(.policy) \(.peer_policy) \(.scrub) \(.peer_scrub) \(.headroom) \(.tailroom)"')" \
	"l2 pass pass none default 32 16"
check_eq "the gateway's permanent neighbour entry in the pod" \
	"$(ip -n "$POD3" neigh show 10.55.0.1 dev eth0 | trim)" "10.55.0.1 lladdr $(cat "/sys/class/net/$H3/address") PERMANENT"
check_eq "the pod's routes" "$(ip -n "$POD3" -4 route show | trim)" "default via 10.55.0.1 dev eth0 proto static onlink"
pings "" 10.55.0.2 3
check_eq "the host pings the L2 pod" "$PING_RECEIVED/$PING_SENT" "3/3"
harness "$T/l2.conflist" check "$ID-l2" "/run/netns/$POD3" eth0
check_eq "CHECK in L2 mode" "$RC $OUT" "0 "
harness "$T/l2.conflist" del "$ID-l2" "/run/netns/$POD3" eth0
check_eq "DEL in L2 mode" "$RC $OUT" "0 "
check_eq "after DEL in L2 mode" "$(leftovers l2net)" "$NOTHING"

step "1.1.0: ADD, STATUS and GC from the plugin itself"
# plugin COMMAND ID: the plugin run as a runtime would, with $CONF on stdin.
plugin() {
	OUT=$(printf '%s' "$CONF" | CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$POD3 \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH "$CNI_BIN" 2>"$T/plugin.err")
	RC=$?
}
BASE11="{\"cniVersion\": \"1.1.0\", \"name\": \"v11\", \"type\": \"meta\", \"stateDir\": \"$T/state\",
  \"pinDir\": \"$PIN\", \"mtu\": 1300, \"ipam\": {\"type\": \"host-local\", \"dataDir\": \"$T/ipam\",
  \"ranges\": [[{\"subnet\": \"10.44.0.0/24\"}]]}"
CONF="$BASE11}"
plugin STATUS ""
check_eq "STATUS" "$RC $OUT" "0 "
plugin ADD "$ID-v11a"
check_eq "ADD with 1.1.0 (host-local gets 1.0.0)" \
	"$RC $(jq -r '"\(.cniVersion) \([.interfaces[].mtu] | tojson) \(.ips[0].address)"' <<<"$OUT")" \
	"0 1.1.0 [1300,1300] 10.44.0.2/24"
setup_ns POD4
no_ipv6 "$POD4"
OUT=$(printf '%s' "$CONF" | CNI_COMMAND=ADD CNI_CONTAINERID=$ID-v11b CNI_NETNS=/run/netns/$POD4 \
	CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH "$CNI_BIN" 2>"$T/plugin.err")
check_eq "a second ADD with 1.1.0" "$?" 0
CONF="$BASE11, \"cni.dev/valid-attachments\": [{\"containerID\": \"$ID-v11a\", \"ifname\": \"eth0\"}]}"
plugin GC ""
check_eq "GC keeping $ID-v11a" "$RC $OUT" "0 "
check_eq "GC released $ID-v11b only: pairs, leases" \
	"$(ip -o link show type meta | grep -c ': mcni') $(find "$T/ipam/v11" -name '10.44.*' | wc -l)" "1 1"
check_eq "... the one kept has its lease" "$(cd "$T/ipam/v11" && echo 10.44.*)" 10.44.0.2
check_eq "... and its pair" "$(ip -n "$POD3" -o link show eth0 >/dev/null 2>&1 && echo yes)" yes
CONF="$BASE11, \"cni.dev/valid-attachments\": []}"
plugin GC ""
check_eq "GC with no valid attachment" "$RC $OUT" "0 "
check_eq "after GC" "$(leftovers v11)" "$NOTHING"
CONF="${BASE11/\"1.1.0\"/\"1.0.0\"}}"
plugin STATUS ""
check_eq "STATUS with a 1.0.0 configuration" "$RC $(jq -r '"\(.code) \(.msg)"' <<<"$OUT")" \
	"1 1 config version does not allow STATUS"
meta_exit
