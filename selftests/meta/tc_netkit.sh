#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Upstream's BPF selftest prog_tests/tc_netkit.c (Linux 6.12), built by
# tc_netkit/Makefile ("make tcnetkit") twice with our harness: tc_netkit from
# the file as it is, against the kernel's own netkit (CONFIG_NETKIT=y): the
# baseline, which must pass for the second run to mean anything; then
# tc_meta, the same file with only the device kind ("meta") and the default
# device names (meta1, meta0) substituted, against meta. Every subtest of
# each binary is one check. The tests attach through netkit's BPF API
# (links and BPF_PROG_ATTACH at BPF_NETKIT_PRIMARY/PEER), query, and send an
# ICMP echo through the primary (the peer in the netns "foo").
#
# Upstream's tests use the fixed netns "foo" and fixed device names in what
# they take for the initial netns: the runner gives this test, like every
# concurrent one, a netns, a mount namespace and a /run/netns of its own.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

TCNK=${TCNK:-$META_TEST_DIR/tc_netkit/build}

require_root
require_cmd ip
for b in tc_netkit tc_meta; do
	[ -x "$TCNK/$b" ] || missing "$TCNK/$b (make tcnetkit)"
done
load_meta || meta_exit

# What the tests create; an earlier failure may leave it behind.
leftovers() {
	ip netns list 2>/dev/null | awk '$1 == "foo"'
	ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^(nk0|nk1|meta0|meta1)(@|$)/ { sub(/@.*/, "", $2); print $2 }'
}
cleanup() {
	ip link del nk1 2>/dev/null
	ip link del meta1 2>/dev/null
	ip netns del foo 2>/dev/null
}
defer cleanup
# The tests set net.ipv4.ping_group_range to "0 0" (ICMP sockets for root);
# run by hand in the initial netns, it gets it back as it was.
defer sysctl -qw "net.ipv4.ping_group_range=$(sysctl -n net.ipv4.ping_group_range)"

check_eq "nothing of the tests exists before" "$(leftovers | xargs)" ""

# Per test of the binary (it runs them one by one, each in a child).
per_test=$((300 * META_SCALE))

ktap_checks "tc_netkit (netkit)" "$TCNK/tc_netkit" -T "$per_test"
check_eq "tc_netkit left nothing" "$(leftovers | xargs)" ""
cleanup

ktap_checks "tc_meta (meta)" "$TCNK/tc_meta" -T "$per_test"
check_eq "tc_meta left nothing" "$(leftovers | xargs)" ""

meta_exit
