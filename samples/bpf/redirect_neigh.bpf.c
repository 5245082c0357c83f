// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_neigh.bpf.c: the pod-egress half of the Cilium host-routing
 * pattern, for the PEER end of a meta pair (the program that runs when the
 * pod transmits). The packet has already been switched to the primary, in
 * the host's netns; bpf_redirect_neigh() sends it straight out of the
 * physical device: a FIB lookup for its destination in the host's netns
 * with the output device forced to that device, then the neighbour
 * subsystem (ARP/ND, resolving if needed) fills in the Ethernet header.
 * No backlog queue, no IP forwarding in the host (ip_forward may be off).
 *
 * Configuration, the map "cfg" (see meta_common.h):
 *	key 0: ifindex of the device to send through (the "physical" NIC)
 *	key 1: optional, an IPv4 address of the host (network byte order):
 *	       packets to it are passed to the host's stack instead. Without
 *	       it the pod's replies to the host (whose source address, with
 *	       no address on the meta primary, is the NIC's) would be sent
 *	       out of the NIC, and the host could not talk to the pod.
 *
 *	bpftool prog load redirect_neigh.bpf.o /sys/fs/bpf/rn type classifier \
 *		pinmaps /sys/fs/bpf/rn_maps
 *	bpftool map update pinned /sys/fs/bpf/rn_maps/cfg \
 *		key 0 0 0 0 value <ifindex as 4 little-endian bytes>
 *	metactl attach meta-host --peer --pinned /sys/fs/bpf/rn
 *
 * The map can be changed at any time; redirect_neigh_rodata.bpf.c is the
 * same program with the ifindex as a load-time constant instead.
 *
 * Unconfigured (ifindex 0) it drops, so that a missing setup step shows as
 * xmit_drop_prog rather than as packets leaking into the host's stack.
 * Passed to the host's stack instead of redirected: packets that are
 * neither IPv4 nor IPv6 (bpf_redirect_neigh() handles only those) and
 * packets to a multicast or broadcast MAC address (the pod's IPv6
 * neighbour discovery and MLD: bpf_redirect_neigh() drops those, and meta
 * would count them as xmit_redirect_err).
 */
#include "meta_common.h"
#include <linux/if_ether.h>

#include <linux/ip.h>

enum {
	CFG_TARGET_IFINDEX,
	CFG_HOST_ADDR,
};

DEFINE_CFG_MAP;

SEC("tc")
int meta_redirect_neigh(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 ifindex, host;

	/* meta runs the program before it pulls the Ethernet header. */
	if ((void *)(eth + 1) > data_end)
		return META_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP) &&
	    eth->h_proto != bpf_htons(ETH_P_IPV6))
		return META_PASS;
	/* Multicast or broadcast: the group bit of the first octet. */
	if (eth->h_dest[0] & 1)
		return META_PASS;
	host = cfg_get(&cfg, CFG_HOST_ADDR);
	if (host && eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return META_DROP;
		if (iph->daddr == host)
			return META_PASS;
	}
	ifindex = cfg_get(&cfg, CFG_TARGET_IFINDEX);
	if (!ifindex)
		return META_DROP;
	/* META_REDIRECT (TC_ACT_REDIRECT) on success. */
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

char _license[] SEC("license") = "GPL";
