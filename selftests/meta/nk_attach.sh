#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netkit's BPF attach API with exact errnos (tc_netkit/nk_attach.c), first
# against a netkit pair (the baseline), then against a meta pair, with the
# same binary: links and BPF_PROG_ATTACH at BPF_NETKIT_PRIMARY/PEER through
# the primary, the queries (count, ids, revision), the order of
# BPF_F_BEFORE/AFTER, link update and detach, link info, and the errnos:
# -ENODEV (no such ifindex), -ENXIO (lo, a veth), -EACCES (the peer), -ESTALE,
# -EEXIST, -ENOENT, -ERANGE, -EBUSY, -EPERM, -EINVAL, -ENOLINK, -ENOSPC. The
# pings through the pair show which end's programs ran. Each subtest is
# one check per kind.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

TCNK=${TCNK:-$META_TEST_DIR/tc_netkit/build}
NKA=$TCNK/nk_attach

require_cmd ip ping
[ -x "$NKA" ] || missing "$NKA (make tcnetkit)"
meta_setup nk_attach POD

check "a veth pair (a device of another kind)" ip link add nka-v0 type veth peer name nka-v1 || meta_exit
defer ip link del nka-v0

per_test=$((300 * META_SCALE))
for kind in netkit meta; do
	step "$kind pair"
	check "$kind: nk_attach create (peer in the pod)" \
		"$NKA" create --kind "$kind" --primary nka-h --peer nka-p --mode l3 --peer-netns "$POD" || continue
	defer ip link del nka-h
	check "$kind: addresses and up" sh -c "ip addr add 10.77.0.1/24 dev nka-h &&
		ip -n $POD addr add 10.77.0.2/24 dev nka-p &&
		ip link set nka-h up && ip -n $POD link set nka-p up" || continue
	check "$kind: ping without programs" ping -c 1 -W 5 -q 10.77.0.2
	ktap_checks "nk_attach ($kind)" "$NKA" test --kind "$kind" --primary nka-h --peer nka-p \
		--peer-netns "$POD" --other lo --other nka-v0 \
		--ping "ping -c 3 -i 0.2 -W 5 -q 10.77.0.2 >/dev/null" --pings 3 -T "$per_test"
	check "$kind: delete the pair" ip link del nka-h
	ip -n "$POD" link show nka-p >/dev/null 2>&1
	check_fail $? "$kind: the peer went with it"
done

meta_exit
