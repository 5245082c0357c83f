/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the meta sample programs.
 *
 * The verdicts are the project's UAPI (include/uapi/linux/if_meta.h, found
 * through -I../../include/uapi): a meta program returns META_PASS (0),
 * META_DROP (2), META_REDIRECT (7, what bpf_redirect*() return) or
 * META_NEXT (-1, "no opinion": meta treats it as pass). These are the
 * tc/tcx TC_ACT_* values, so the same objects also work as tc programs.
 */
#ifndef META_SAMPLES_COMMON_H
#define META_SAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_meta.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/*
 * A small configuration array: __u32 keys 0..CFG_ENTRIES-1, __u32 values.
 * Pinned with "bpftool prog load ... pinmaps DIR" it is DIR/cfg and can be
 * set after load:
 *
 *	bpftool map update pinned DIR/cfg key 0 0 0 0 value 5 0 0 0
 *
 * bpftool takes the key and value as bytes: host order (little endian on
 * x86) for numbers such as an ifindex, network order for IPv4 addresses
 * (10.1.0.2 is "value 10 1 0 2").
 */
#define CFG_ENTRIES 4

#define DEFINE_CFG_MAP						\
	struct {						\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__uint(max_entries, CFG_ENTRIES);		\
		__type(key, __u32);				\
		__type(value, __u32);				\
	} cfg SEC(".maps")

static __always_inline __u32 cfg_get(void *map, __u32 key)
{
	__u32 *v = bpf_map_lookup_elem(map, &key);

	return v ? *v : 0;
}

/* An array of N __u64 counters named "counters", read with bpftool map dump. */
#define DEFINE_COUNTERS_MAP(n)					\
	struct {						\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__uint(max_entries, n);				\
		__type(key, __u32);				\
		__type(value, __u64);				\
	} counters SEC(".maps")

/*
 * What a pod-egress program may redirect with bpf_redirect_neigh(): 1 for a
 * unicast IPv4 or IPv6 frame, 0 for anything else (ARP, multicast and
 * broadcast such as the pod's neighbour discovery: pass them), -1 when the
 * Ethernet header is not in the linear data (drop).
 */
static __always_inline int meta_unicast_ip(struct ethhdr *eth, void *data_end)
{
	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP) &&
	    eth->h_proto != bpf_htons(ETH_P_IPV6))
		return 0;
	/* Multicast or broadcast: the group bit of the first octet. */
	return !(eth->h_dest[0] & 1);
}

#endif /* META_SAMPLES_COMMON_H */
