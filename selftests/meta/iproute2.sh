#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iproute2's ip with tools/iproute2/link_meta.so (IP_LIB_DIR): every option
# of "ip link add ... type meta" reaches the kernel and reads back the same
# from "ip -d -j link show" (linkinfo.info_data) and from "metactl show
# --json"; "ip link set ... type meta" changes the policies; a change the
# kernel refuses shows its extended ack message and changes nothing;
# iproute2's parse errors create nothing; programs are not in the plugin's
# grammar (they attach through bpf(2), as on netkit): "bpf PINNED" is an
# unknown option for either end and ip shows no program ids; pairs made by
# ip pass traffic in L3 and in L2; the command of the issue works as written.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip bpftool python3 ping
meta_setup iproute2 POD L3NS L2NS

IP_PLUGIN_DIR=${IP_PLUGIN_DIR:-$META_REPO/tools/iproute2}
[ -f "$IP_PLUGIN_DIR/link_meta.so" ] || missing "$IP_PLUGIN_DIR/link_meta.so (make tools)"

# ipm ARGS...: ip with the plugin.
ipm() {
	IP_LIB_DIR=$IP_PLUGIN_DIR ip "$@"
}

# A pinned SCHED_CLS program, for "bpf PINNED" (which the prototype's plugin
# accepted): the words are refused although the program exists.
pin_samples pass

# Compares linkinfo.info_data of ip (argv[1]) with the wanted KEY=VALUE
# pairs (argv[3:], VALUE "-": KEY is absent) and with metactl's JSON
# (argv[2]) field by field; prints "ok" or the differences.
CMP='
import json, sys
link = json.loads(sys.argv[1])[0]
li = link.get("linkinfo", {})
d = li.get("info_data", {})
m = json.loads(sys.argv[2])[0]
bad = []
if li.get("info_kind") != "meta":
    bad.append("info_kind %r" % li.get("info_kind"))
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    got = str(d[k]) if k in d else "-"
    if got != v:
        bad.append("%s=%s, want %s" % (k, got, v))
pol = {"forward": "pass", "blackhole": "drop"}
role = {"primary": True, "peer": False}
for ik, mk, names in [("mode", "mode", None), ("type", "primary", role),
                      ("policy", "policy", pol), ("peer_policy", "peer_policy", pol),
                      ("scrub", "scrub", None), ("peer_scrub", "peer_scrub", None),
                      ("headroom", "headroom", None), ("tailroom", "tailroom", None)]:
    iv = d.get(ik)
    if names and iv is not None:
        iv = names.get(iv, iv)
    if iv != m.get(mk):
        bad.append("ip %s=%r but metactl %s=%r" % (ik, d.get(ik), mk, m.get(mk)))
# No program keys (bpf_id, ...): the kernel reports no programs through
# netlink and the plugin prints none.
unknown = set(d) - {"mode", "type", "policy", "peer_policy", "scrub", "peer_scrub",
                    "headroom", "tailroom"}
if unknown:
    bad.append("unexpected keys %s" % sorted(unknown))
print("; ".join(bad) or "ok")'

# info_is WHAT NS DEV KEY=VALUE...: DEV (in NS, empty: the initial netns)
# shows KEY=VALUE in linkinfo.info_data of "ip -d -j link show", and ip and
# metactl agree. (One ip, one metactl and one python3.)
info_is() {
	local what=$1 netns=$2 dev=$3 ipj mj nsarg=() nsexec=()
	shift 3
	if [ -n "$netns" ]; then
		nsarg=(-n "$netns")
		nsexec=(ip netns exec "$netns")
	fi
	if ! ipj=$(ipm "${nsarg[@]}" -d -j link show dev "$dev" 2>&1); then
		fail "$what: ip -d -j link show dev $dev: $ipj"
		return 1
	fi
	if ! mj=$("${nsexec[@]}" "$METACTL" show "$dev" --json 2>&1); then
		fail "$what: metactl show $dev --json: $mj"
		return 1
	fi
	check_eq "$what" "$(python3 -c "$CMP" "$ipj" "$mj" "$@")" ok
}

log "help"
out=$(ipm link help meta 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [[ "$out" == *"Usage: ... meta [ mode MODE ] [ POLICY ] [ scrub SCRUB ]"* ]]; then
	ok "ip link help meta prints the usage"
else
	fail "ip link help meta: exit $rc, '$out'"
fi
BPF2="Programs attach through bpf(2) on the primary, as on netkit"
UNKNOWN_BPF='meta: unknown option "bpf"?'
if [[ "$out" == *"$BPF2"* && "$out" == *"(BPF_NETKIT_PRIMARY, BPF_NETKIT_PEER)"* ]]; then
	ok "ip link help meta: '$BPF2 (BPF_NETKIT_PRIMARY, BPF_NETKIT_PEER)'"
else
	fail "ip link help meta does not say that programs attach through bpf(2): '$out'"
fi
if [[ "$out" != *PINNED* && "$out" != *"[ bpf"* ]]; then
	ok "ip link help meta: no bpf option"
else
	fail "ip link help meta still offers a bpf option: '$out'"
fi

log "requested interface indexes"
check "ip link add idx0 index 4242 type meta peer name idx1 index 4243 netns POD" \
	ipm link add idx0 index 4242 type meta peer name idx1 index 4243 netns "$POD"
check_eq "the primary's ifindex" "$(cat /sys/class/net/idx0/ifindex 2>&1)" 4242
check_eq "the peer's ifindex" "$(sysfs_attr "$POD" idx1 ifindex)" 4243
check_eq "the primary's iflink is the peer's ifindex" "$(cat /sys/class/net/idx0/iflink 2>&1)" 4243
check "delete idx0" ip link del idx0

log "every option round-trips"
check "ip link add host0 type meta (every option) peer ... netns POD" \
	ipm link add host0 type meta mode l3 blackhole scrub none headroom 64 tailroom 32 \
	peer forward scrub default name pod0 netns "$POD" mtu 1400 ||
	meta_exit
defer ip link del host0
info_is "host0 as created" "" host0 mode=l3 type=primary policy=blackhole peer_policy=forward \
	scrub=none peer_scrub=default headroom=64 tailroom=32
info_is "pod0 as created" "$POD" pod0 mode=l3 type=peer \
	policy=forward peer_policy=blackhole scrub=default peer_scrub=none headroom=64 tailroom=32
check_eq "pod0: the peer's generic options (mtu)" "$(sysfs_attr "$POD" pod0 mtu)" 1400
out=$(ipm -d link show dev host0)
want="meta mode l3 type primary policy blackhole peer policy forward scrub none peer scrub default headroom 64 tailroom 32"
if [[ "$out" == *"$want"* && "$out" != *"bpf id"* ]]; then
	ok "ip -d link show host0: '$want', no program ids"
else
	fail "ip -d link show host0 lacks '$want' or shows program ids: $out"
fi

log "changes"
check "ip link set host0 type meta forward peer blackhole" \
	ipm link set host0 type meta forward peer blackhole
info_is "host0 after forward peer blackhole" "" host0 policy=forward peer_policy=blackhole
check "ip link set host0 type meta blackhole peer forward" \
	ipm link set host0 type meta blackhole peer forward
info_is "host0 after blackhole peer forward" "" host0 policy=blackhole peer_policy=forward \
	mode=l3 headroom=64

log "changes the kernel refuses (ip exits 2 with the extended ack message)"
before=$(meta_state "$POD")
refused_status "ip link set host0 type meta mode l2" 2 \
	"meta operating mode cannot be changed after device creation" \
	ipm link set host0 type meta mode l2
refused_status "ip link set host0 type meta headroom 128" 2 \
	"meta headroom cannot be changed after device creation" \
	ipm link set host0 type meta headroom 128
refused_status "ip link set host0 type meta forward scrub default" 2 \
	"meta scrubbing cannot be changed after device creation" \
	ipm link set host0 type meta forward scrub default
refused_status "ip link set pod0 type meta forward, through the peer" 2 \
	"meta link settings can be changed only through the primary device" \
	ipm -n "$POD" link set pod0 type meta forward

log "no bpf option: programs attach through bpf(2) (ip exits 1, nothing sent)"
refused_status "ip link set host0 type meta bpf PINNED" 1 "$UNKNOWN_BPF" \
	ipm link set host0 type meta bpf "$P/pass"

log "parse errors: iproute2's message, nothing created"
parse_err() {
	local what=$1 status=$2 msg=$3
	shift 3
	expect_status "ip link add bad0 type meta $what" "$status" "$msg" \
		ipm link add bad0 type meta "$@"
}
parse_err "mode l4" 255 'Error: argument "l4" is wrong: mode must be either "l3" or "l2"' mode l4
parse_err "mode" 255 'Command line is not complete' mode
parse_err "scrub some" 255 'Error: argument "some" is wrong: scrub must be either "default" or "none"' \
	scrub some
parse_err "headroom 65536" 255 'Error: argument "65536" is wrong: headroom must be 0-65535 bytes' \
	headroom 65536
parse_err "tailroom -1" 255 'Error: argument "-1" is wrong: tailroom must be 0-65535 bytes' tailroom -1
parse_err "forward blackhole" 255 'Error: duplicate "policy": "blackhole" is the second value.' \
	forward blackhole
parse_err "peer blackhole forward" 255 'Error: duplicate "peer policy": "forward" is the second value.' \
	peer blackhole forward
parse_err "headroom 1 headroom 2" 255 'Error: duplicate "headroom": "2" is the second value.' \
	headroom 1 headroom 2
parse_err "bogus" 1 'meta: unknown option "bogus"?' bogus
# The prototype's "bpf PINNED", for either end: for the primary an unknown
# option (with the usage, which says where programs attach); after "peer",
# "bpf" is the first of the peer's generic options, the peer's name, and
# PINNED a second one (iproute2's iplink_parse()).
parse_err "bpf PINNED" 1 "$UNKNOWN_BPF" bpf "$P/pass"
out=$(ipm link add bad0 type meta bpf /x 2>&1 </dev/null)
rc=$?
if [ "$rc" -eq 1 ] && [[ "$out" == *"$UNKNOWN_BPF"* && "$out" == *"$BPF2"* ]]; then
	ok "ip link add bad0 type meta bpf /x: exit 1, '$UNKNOWN_BPF', and the usage: '$BPF2'"
else
	fail "ip link add bad0 type meta bpf /x: exit $rc, want 1 with '$UNKNOWN_BPF' and '$BPF2': '$out'"
fi
parse_err "peer bpf PINNED" 255 "Error: either \"dev\" is duplicate, or \"$P/pass\" is a garbage." \
	peer bpf "$P/pass"
parse_err "peer name pod9 type veth" 255 'Error: duplicate "type": "veth" is the second value.' \
	peer name pod9 type veth
snap=$(links)
check_eq "meta links of the initial netns after the errors" "$(of_kind meta <<<"$snap")" host0
check_eq "bad0 does not exist" "$(field bad0 1 <<<"$snap")" ""

log "traffic"
check "ip link add host2 type meta peer name pod2 netns L3NS (L3, the default)" \
	ipm link add host2 type meta peer name pod2 netns "$L3NS" || meta_exit
defer ip link del host2
check "ip link add host3 type meta mode l2 peer name pod3 netns L2NS address 02:00:00:00:03:02" \
	ipm link add host3 type meta mode l2 peer name pod3 netns "$L2NS" address 02:00:00:00:03:02 ||
	meta_exit
defer ip link del host3
info_is "host2: the defaults" "" host2 mode=l3 type=primary policy=forward peer_policy=forward \
	scrub=default peer_scrub=default headroom=0 tailroom=0
info_is "pod3: L2" "$L2NS" pod3 mode=l2 type=peer policy=forward peer_policy=forward
check_eq "pod3: the address given to the peer" "$(sysfs_attr "$L2NS" pod3 address)" 02:00:00:00:03:02
ip addr add 10.20.0.1/24 dev host2 && ip -n "$L3NS" addr add 10.20.0.2/24 dev pod2 &&
	ip link set host2 up && ip -n "$L3NS" link set pod2 up
check_err $? "L3: addresses on both ends, both up"
ip addr add 10.30.0.1/24 dev host3 && ip -n "$L2NS" addr add 10.30.0.2/24 dev pod3 &&
	ip link set host3 up && ip -n "$L2NS" link set pod3 up
check_err $? "L2: addresses on both ends, both up"
pings "" 10.20.0.2 3
check_eq "L3: replies to ping host2 -> pod2" "$PING_RECEIVED" 3
pings "$L2NS" 10.30.0.1 3
check_eq "L2: replies to ping pod3 -> host3 (ARP)" "$PING_RECEIVED" 3

log "the command of the issue"
check "ip link del host0" ip link del host0
check "ip link add host0 type meta mode l2 blackhole peer name pod0 netns POD" \
	ipm link add host0 type meta mode l2 blackhole peer name pod0 netns "$POD"
info_is "host0: mode l2, policy blackhole" "" host0 mode=l2 type=primary policy=blackhole \
	peer_policy=forward

meta_exit
