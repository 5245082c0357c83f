#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Privilege over the peer's network namespace. The core checks CAP_NET_ADMIN
# in the namespace of the request and in the one a device is created in or
# moved to, but not in the peer's, which only the driver knows about. meta
# checks it:
# - root of a fresh user namespace (no privilege in the host) asks for a pair
#   whose peer goes into the initial netns, by IFLA_NET_NS_PID 1 and by an
#   IFLA_NET_NS_FD of the initial netns: EPERM with meta's message, and no
#   device appears anywhere;
# - allowed: real root putting the peer in a netns owned by a user namespace
#   (a rootless pod); the root of a user namespace creating a pair whose two
#   ends both live in namespaces it owns (a rootless container's own pair);
# - what the core checks afterwards, tried as the user-namespace root: moving
#   its end to the initial netns (EPERM, the end stays), and deleting its end
#   from inside the pod, which deletes the pair as with veth and netkit.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip unshare nsenter python3
meta_setup userns

PERM_MSG="No CAP_NET_ADMIN in the user namespace of the peer's network namespace"
IFINFO=00000000000000000000000000000000
# IFLA_NET_NS_PID (19) of pid 1.
NSPID1=${IFINFO}0800130001000000

# meta devices in the initial netns (the one of pid 1), whatever this test's
# own netns is.
init_meta() { nsenter -t 1 -n ip -o link show type meta | wc -l; }
init_before=$(init_meta)

# in_userns CMD: run the shell command CMD as root of a fresh user namespace
# with a fresh netns; it prints "rc=N" of its last metactl, the meta devices
# of its netns as "links=N", and the output of metactl.
in_userns() {
	unshare -U -r -n bash -c "M='$METACTL'; $1"
}

# refused_into_init WHAT PEERINFO [FD]: as root of a fresh user namespace and
# netns, ask for a pair whose peer info is PEERINFO (hex), holding fd 7 of
# the initial netns when FD is given. The requester's netns lives until the
# initial netns has been counted (a pair made there would vanish with it).
refused_into_init() {
	local what=$1 info=$2 out fifo pid during
	out=$(mktemp)
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	# shellcheck disable=SC2016
	(
		[ -n "${3:-}" ] && exec 7</proc/1/ns/net
		in_userns 'o=$("$M" raw new --name ua --peer-info '"$info"' 2>&1); echo "rc=$?"; echo "$o"
			echo "links=$(ip -o link show type meta | wc -l)"; read -r _ <'"$fifo"
	) >"$out" 2>&1 &
	pid=$!
	has_links() { grep -q '^links=' "$out"; }
	until_true 60 has_links
	during=$(init_meta)
	echo >"$fifo"
	wait "$pid"
	check_eq "$what: exit status (refused)" "$(sed -n 's/^rc=//p' "$out")" 1
	grep -qF "EPERM (errno 1, Operation not permitted): $PERM_MSG" "$out" &&
		ok "$what: EPERM, message '$PERM_MSG'" || fail "$what: message: $(cat "$out")"
	check_eq "$what: meta devices in its own netns" "$(sed -n 's/^links=//p' "$out")" 0
	check_eq "$what: meta devices in the initial netns" "$during" "$init_before"
	rm -f "$out" "$fifo"
}

step "userns root: peer into the initial netns by pid"
refused_into_init "userns root, IFLA_NET_NS_PID 1" "$NSPID1"

step "userns root: peer into the initial netns by fd"
# fd 7: the initial netns, opened by real root and inherited; IFLA_NET_NS_FD
# (28) = 7.
refused_into_init "userns root, IFLA_NET_NS_FD of the initial netns" "${IFINFO}08001c0007000000" fd

step "userns root: a pair of its own, the peer in a second netns it owns"
# A second netns, made inside the user namespace by "unshare -n", holds the
# peer (IFLA_NET_NS_PID of its sleep). Both ends must exist, then go.
out=$(in_userns '
unshare -n sleep 1000 &
inner=$!
for _ in $(seq 100); do
	[ "$(readlink /proc/$inner/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
pid=$(printf "%08x" $inner | sed "s/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/")
# IFLA_IFNAME (3) "ub", then IFLA_NET_NS_PID (19) of the inner sleep.
"$M" raw new --name ua --peer-info '"$IFINFO"'070003007562000008001300$pid 2>&1
echo "rc=$?"
echo "primary=$(ip -o link show type meta | cut -d: -f2 | cut -d@ -f1 | xargs)"
echo "peer=$(nsenter -t $inner -n ip -o link show type meta | cut -d: -f2 | cut -d@ -f1 | xargs)"
ip link del ua
echo "after=$(ip -o link show type meta | wc -l) $(nsenter -t $inner -n ip -o link show type meta | wc -l)"
kill $inner')
check_eq "userns root, own pair: exit status" "$(sed -n 's/^rc=//p' <<<"$out")" 0
check_eq "userns root, own pair: the primary in its netns" "$(sed -n 's/^primary=//p' <<<"$out")" ua
check_eq "userns root, own pair: the peer in its second netns" "$(sed -n 's/^peer=//p' <<<"$out")" ub
check_eq "userns root, own pair: both ends gone after deleting one" "$(sed -n 's/^after=//p' <<<"$out")" "0 0"

step "real root: the peer into a rootless pod's netns"
unshare -U -r -n sleep 100000 &
upid=$!
defer kill "$upid"
netns_differs() { [ "$(readlink "/proc/$upid/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }
wait_for 30 "the rootless pod's netns exists" netns_differs
UPOD=meta-userns-$$
check "ip netns attach $UPOD (the rootless pod's netns)" ip netns attach "$UPOD" "$upid"
defer ip netns del "$UPOD"
check "real root: pair mh / mp with mp in the rootless pod" \
	metactl add mh --peer-name mp --peer-netns "$UPOD"
defer ip link del mh
in_upod() { nsenter -t "$upid" -U -n "$@"; }
check_eq "the rootless pod sees its end" "$(in_upod ip -o link show type meta | cut -d: -f2 | cut -d@ -f1 | xargs)" mp

step "the pod's userns root moves its end to the initial netns"
out=$(in_upod ip link set mp netns 1 2>&1)
rc=$?
check_eq "userns root: ip link set mp netns 1: exit status" "$rc" 2
[[ $out == *"Operation not permitted"* ]] && ok "userns root: moving its end to the initial netns: EPERM" ||
	fail "userns root: moving its end: '$out'"
check_eq "the end stayed in the pod" "$(in_upod ip -o link show type meta | cut -d: -f2 | cut -d@ -f1 | xargs)" mp
check_eq "meta devices in the initial netns after the refused move" "$(init_meta)" "$init_before"

step "the pod's userns root deletes its end"
check "userns root: ip link del mp" in_upod ip link del mp
mh_gone() { ! ip link show mh >/dev/null 2>&1; }
wait_for 30 "the primary went with the peer (as with veth)" mh_gone
check_eq "meta devices in the initial netns at the end" "$(init_meta)" "$init_before"
meta_exit
