// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_dev.bpf.c: a plain META_REDIRECT verdict: bpf_redirect() to the
 * device in the map "cfg" (see meta_common.h), from a meta end.
 *
 *	key 0: target ifindex (in the netns of the end that receives, i.e.
 *	       for a program on the peer end: the primary's, the host's)
 *	key 1: redirect flags: 0 sends out of the target (egress),
 *	       1 (BPF_F_INGRESS) makes the packet arrive on the target
 *
 * The packet is redirected as it is, Ethernet header included: a pair in
 * L3 mode (no MAC addresses) puts 00:00:00:00:00:00 as the destination, so
 * a real receiver on the far side of the target would not take it as
 * PACKET_HOST. For a verdict test a dummy device is enough, whose TX
 * counter shows the redirected packets:
 *
 *	ip link add dum0 type dummy && ip link set dum0 up
 *	bpftool prog load redirect_dev.bpf.o /sys/fs/bpf/rd type classifier \
 *		pinmaps /sys/fs/bpf/rd_maps
 *	bpftool map update pinned /sys/fs/bpf/rd_maps/cfg key 0 0 0 0 \
 *		value <ifindex of dum0 as 4 little-endian bytes>
 *	metactl attach meta-host --peer --pinned /sys/fs/bpf/rd
 *	(ping from the pod; "ip -s link show dum0" counts TX packets,
 *	 "ethtool -S pod0" counts xmit_redirect)
 *
 * Unconfigured (ifindex 0) it drops.
 */
#include "meta_common.h"

enum {
	CFG_TARGET_IFINDEX,
	CFG_REDIRECT_FLAGS,
};

DEFINE_CFG_MAP;

SEC("tc")
int meta_redirect_dev(struct __sk_buff *skb)
{
	__u32 ifindex = cfg_get(&cfg, CFG_TARGET_IFINDEX);
	__u32 flags = cfg_get(&cfg, CFG_REDIRECT_FLAGS) & BPF_F_INGRESS;

	if (!ifindex)
		return META_DROP;
	return bpf_redirect(ifindex, flags);
}

char _license[] SEC("license") = "GPL";
