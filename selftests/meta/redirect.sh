#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The redirect verdict: a program on the pod's end redirects the pod's
# packets to another device of the host's namespace (a veth standing for the
# physical NIC) with bpf_redirect(); meta hands them to skb_do_redirect() and
# they come out of the veth's other end, in a third namespace, without
# reaching the host end of the pair. A target that does not exist is counted
# as a redirect error.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool
meta_setup redirect POD REMOTE

check "pair" meta_pair "$POD" || meta_exit
check "veth phys0 (host) - phys1 (remote)" ip link add phys0 type veth peer name phys1 netns "$REMOTE"
defer ip link del phys0
check "veth up" sh -c "ip link set phys0 up && ip -n $REMOTE link set phys1 up"
check "load redirect_dev.bpf.o" bpftool prog load "$BPF_DIR/redirect_dev.bpf.o" "$P/prog" \
	type classifier pinmaps "$P/maps" || meta_exit
check "target: phys0" map_set_u32 "$P/maps/cfg" 0 "$(cat /sys/class/net/phys0/ifindex)"
check "attach to the peer" metactl attach mh --peer --pinned "$P/prog"

rx_phys1=$(link_stat "$REMOTE" phys1 rx packets)
rx_mh=$(link_stat "" mh rx packets)
pass0=$(counter mp xmit_pass "$POD")
count_during mp xmit_redirect "$POD" 3 "redirected by the peer's program" \
	ip netns exec "$POD" ping -c 3 -i 0.2 -W 1 -q 10.10.0.1
check_eq "arrived at phys1 in the remote netns" "$(($(link_stat "$REMOTE" phys1 rx packets) - rx_phys1))" 3
check_eq "did not reach the host end" "$(($(link_stat "" mh rx packets) - rx_mh))" 0
check_eq "no redirect errors" "$(counter mp xmit_redirect_err "$POD")" 0

check "target: ifindex 9999, which does not exist" map_set_u32 "$P/maps/cfg" 0 9999
count_during mp xmit_redirect_err "$POD" 2 "redirects to nowhere counted as errors" \
	ip netns exec "$POD" ping -c 2 -i 0.2 -W 1 -q 10.10.0.1
# xmit_pass is the end's transmitted packets (tstats) less its redirects.
check_eq "xmit_pass counted none of the redirects" "$(($(counter mp xmit_pass "$POD") - pass0))" 0
check "detach" metactl detach mh --peer
check "ping from the pod without a program" ip netns exec "$POD" ping -c 1 -W 5 -q 10.10.0.1
check_eq "... its one request in xmit_pass" "$(($(counter mp xmit_pass "$POD") - pass0))" 1
meta_exit
