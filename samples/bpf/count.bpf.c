// SPDX-License-Identifier: GPL-2.0
/*
 * count.bpf.c: counts the packets and bytes an end transmits, then returns
 * META_PASS.
 *
 * The map "counters" (array, __u32 key, __u64 value):
 *	key 0: packets
 *	key 1: bytes (skb->len as the program sees it: with the Ethernet
 *	       header, which meta pulls only after a pass)
 *
 * Load with the map pinned, attach, read:
 *
 *	bpftool prog load count.bpf.o /sys/fs/bpf/count type classifier \
 *		pinmaps /sys/fs/bpf/count_maps
 *	metactl attach meta-host --peer --pinned /sys/fs/bpf/count
 *	bpftool map dump pinned /sys/fs/bpf/count_maps/counters
 *
 * A plain array updated with atomic adds, not a per-CPU one, so that
 * "bpftool map dump" shows the totals directly.
 */
#include "meta_common.h"

enum {
	COUNT_PACKETS,
	COUNT_BYTES,
	__COUNT_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, __COUNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count_add(__u32 key, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		__sync_fetch_and_add(v, n);
}

SEC("tc")
int meta_count(struct __sk_buff *skb)
{
	count_add(COUNT_PACKETS, 1);
	count_add(COUNT_BYTES, skb->len);
	return META_PASS;
}

char _license[] SEC("license") = "GPL";
