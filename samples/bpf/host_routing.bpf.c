// SPDX-License-Identifier: GPL-2.0
/*
 * host_routing.bpf.c: the Cilium host-routing pattern of redirect_neigh.bpf.c
 * and redirect_peer.bpf.c for every pod of a node at once, the example of the
 * meta CNI plugin (Documentation/cni.rst). The plugin keeps the map
 * "endpoints" ("endpointMap" in the network configuration): a pod's IPv4
 * address -> the ifindex of its meta primary, added at ADD, removed at DEL.
 *
 * meta_pod_egress, for the PEER end of every pod (it runs when a pod
 * transmits; the packet is already on the primary, in the host's netns):
 *   - to another pod of the node: bpf_redirect() to the egress of that pod's
 *     primary, whose transmit hands it to the pod (and runs its primary
 *     program);
 *   - to the host's address cfg[1]: passed to the host's stack;
 *   - other IPv4 and IPv6: bpf_redirect_neigh() out of the NIC cfg[0];
 *   - non-IP, multicast and broadcast: passed (as redirect_neigh.bpf.c).
 * meta_nic_ingress, for the tc ingress (clsact, direct-action) of the NIC:
 *   IPv4 to a pod of the node: bpf_redirect_peer() into it; the rest goes on
 *   into the host's stack.
 * Neither needs IP forwarding in the host.
 *
 * The map "counters" (array of __u64, read with bpftool map dump):
 *	key 0: pod egress redirected to the NIC
 *	key 1: pod egress redirected to another pod of the node
 *	key 2: pod egress passed to the host's stack
 *	key 3: NIC ingress redirected into a pod
 *
 *	bpftool prog loadall host_routing.bpf.o /sys/fs/bpf/hr type classifier \
 *		pinmaps /sys/fs/bpf/hr/maps
 *	bpftool map update pinned /sys/fs/bpf/hr/maps/cfg key 0 0 0 0 \
 *		value <ifindex of the NIC as 4 little-endian bytes>
 *	tc qdisc add dev eth0 clsact
 *	tc filter add dev eth0 ingress bpf da \
 *		object-pinned /sys/fs/bpf/hr/meta_nic_ingress
 *	network configuration: "endpointMap": "/sys/fs/bpf/hr/maps/endpoints",
 *	"programs": {"peer": [{"pinned": "/sys/fs/bpf/hr/meta_pod_egress"}]}
 */
#include "meta_common.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

enum {
	CFG_NIC_IFINDEX,
	CFG_HOST_ADDR,
};

enum {
	COUNT_TO_NIC,
	COUNT_TO_POD,
	COUNT_TO_HOST,
	COUNT_INTO_POD,
	__COUNT_MAX,
};

DEFINE_CFG_MAP;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* IPv4 address, network order */
	__type(value, __u32);	/* ifindex of the pod's meta primary */
} endpoints SEC(".maps");

DEFINE_COUNTERS_MAP(__COUNT_MAX);

static __always_inline void count(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* A redirect helper's verdict, counted under key when it is a redirect. */
static __always_inline long counted(__u32 key, long verdict)
{
	if (verdict == TC_ACT_REDIRECT)
		count(key);
	return verdict;
}

/* The primary of the pod that has the IPv4 destination of the packet, or 0. */
static __always_inline __u32 endpoint_of(struct iphdr *iph)
{
	__u32 *ifindex = bpf_map_lookup_elem(&endpoints, &iph->daddr);

	return ifindex ? *ifindex : 0;
}

SEC("tc")
int meta_pod_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	int ip = meta_unicast_ip(eth, data_end);
	__u32 nic, pod, host;

	if (ip <= 0)
		return ip < 0 ? META_DROP : META_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		if ((void *)(iph + 1) > data_end)
			return META_DROP;
		host = cfg_get(&cfg, CFG_HOST_ADDR);
		if (host && iph->daddr == host) {
			count(COUNT_TO_HOST);
			return META_PASS;
		}
		pod = endpoint_of(iph);
		if (pod)
			return counted(COUNT_TO_POD, bpf_redirect(pod, 0));
	}
	nic = cfg_get(&cfg, CFG_NIC_IFINDEX);
	if (!nic)
		return META_DROP;
	return counted(COUNT_TO_NIC, bpf_redirect_neigh(nic, NULL, 0, 0));
}

SEC("tc")
int meta_nic_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	__u32 pod;

	if ((void *)(iph + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	pod = endpoint_of(iph);
	if (!pod)
		return TC_ACT_OK;
	return counted(COUNT_INTO_POD, bpf_redirect_peer(pod, 0));
}

char _license[] SEC("license") = "GPL";
