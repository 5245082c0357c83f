// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_peer.bpf.c: the pod-ingress half of the Cilium host-routing
 * pattern, for the tc ingress hook (clsact, direct-action) of the physical
 * device, not for a meta end: IPv4 packets for the pod are sent with
 * bpf_redirect_peer() to the meta primary; the kernel asks the primary for
 * its peer (ndo_get_peer_dev) and the packet enters the pod's end, in the
 * pod's netns, directly: no backlog queue, no host routing, and no meta
 * transmit (so no meta program runs for it). Anything else goes on into
 * the host's stack (TC_ACT_OK).
 *
 * bpf_redirect_peer() needs tc ingress: from a meta program (which runs in
 * the transmit path) the redirect fails and the packet is dropped.
 *
 * Configuration, the map "cfg" (see meta_common.h):
 *	key 0: ifindex of the meta primary (in this netns)
 *	key 1: the pod's IPv4 address, network byte order
 *	key 2: netmask, network byte order; 0 means 255.255.255.255 (only
 *	       the pod's address)
 *
 *	bpftool prog load redirect_peer.bpf.o /sys/fs/bpf/rp type classifier \
 *		pinmaps /sys/fs/bpf/rp_maps
 *	bpftool map update pinned /sys/fs/bpf/rp_maps/cfg key 0 0 0 0 \
 *		value <ifindex as 4 little-endian bytes>
 *	bpftool map update pinned /sys/fs/bpf/rp_maps/cfg key 1 0 0 0 \
 *		value 10 1 0 2
 *	tc qdisc add dev phys0 clsact
 *	tc filter add dev phys0 ingress bpf da object-pinned /sys/fs/bpf/rp
 */
#include "meta_common.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

enum {
	CFG_META_IFINDEX,
	CFG_POD_ADDR,
	CFG_POD_MASK,
};

DEFINE_CFG_MAP;

SEC("tc")
int meta_redirect_peer(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	__u32 ifindex, addr, mask;

	if ((void *)(iph + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ifindex = cfg_get(&cfg, CFG_META_IFINDEX);
	addr = cfg_get(&cfg, CFG_POD_ADDR);
	mask = cfg_get(&cfg, CFG_POD_MASK);
	if (!mask)
		mask = 0xffffffff;
	if (!ifindex || !addr || (iph->daddr & mask) != (addr & mask))
		return TC_ACT_OK;
	/* TC_ACT_REDIRECT on success. */
	return bpf_redirect_peer(ifindex, 0);
}

char _license[] SEC("license") = "GPL";
