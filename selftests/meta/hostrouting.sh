#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Cilium host-routing pattern with meta (samples/setup-host-routing.sh):
# the pod's egress program redirects with bpf_redirect_neigh() to the
# "physical" device, a tc ingress program on that device brings replies into
# the pod with bpf_redirect_peer(); pings cross both ways with IP forwarding
# off, so the host's stack is bypassed. The sample fails on any missing reply
# or if the redirect counter of the pod's end did not grow.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_root
require_cmd ip ping tc bpftool ethtool
require_metactl
load_meta || meta_exit
mount_bpffs
sample=$META_REPO/samples/setup-host-routing.sh
defer "$sample" --cleanup
check_eq "IPv4 forwarding on the host" "$(sysctl -n net.ipv4.ip_forward)" 0
out=$(METACTL=$METACTL BPF_DIR=$BPF_DIR "$sample" 2>&1)
rc=$?
check_eq "samples/setup-host-routing.sh exit status" "$rc" 0 || printf '%s\n' "$out" | sed 's/^/#   /'
red=$(counter pod0 xmit_redirect pod)
[ "${red:-0}" -ge 3 ] && ok "the pod's end redirected $red packets" || fail "xmit_redirect of pod0: '$red'"
check_eq "redirect errors" "$(counter pod0 xmit_redirect_err pod)" 0
check "cleanup" "$sample" --cleanup
check_fail "$(ip link show meta-host >/dev/null 2>&1; echo $?)" "the pair is gone after the cleanup"
meta_exit
