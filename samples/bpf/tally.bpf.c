// SPDX-License-Identifier: GPL-2.0
/*
 * tally.bpf.c: counts the packets an end transmits in a per-CPU array and
 * returns META_NEXT, so that the next program of the end's array decides.
 * It is the first of two programs in the benchmark's two-program variants
 * (tally, then redirect_neigh): the cost of a second program on the path.
 *
 *	bpftool prog load tally.bpf.o /sys/fs/bpf/tally type classifier \
 *		pinmaps /sys/fs/bpf/tally_maps
 *	metactl attach meta-host --peer --pinned /sys/fs/bpf/tally --append
 *	bpftool map dump pinned /sys/fs/bpf/tally_maps/tally	(one value per CPU)
 */
#include "meta_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tally SEC(".maps");

SEC("tc")
int meta_tally(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&tally, &key);

	if (v)
		*v += 1;
	return META_NEXT;
}

char _license[] SEC("license") = "GPL";
