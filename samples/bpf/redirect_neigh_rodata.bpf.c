// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_neigh_rodata.bpf.c: redirect_neigh.bpf.c with the target
 * ifindex as a load-time constant (a "volatile const" global, which libbpf
 * puts in the object's .rodata map) instead of a map entry, and without
 * the host-address exception. Prefer redirect_neigh.bpf.c in tests:
 * bpftool has no option to set .rodata.
 *
 * Ways to set target_ifindex:
 *
 *  - libbpf skeleton (what an agent would do):
 *	bpftool gen skeleton redirect_neigh_rodata.bpf.o > rn.skel.h
 *	skel = redirect_neigh_rodata_bpf__open();
 *	skel->rodata->target_ifindex = ifindex;
 *	redirect_neigh_rodata_bpf__load(skel);
 *
 *  - at compile time: clang ... -DTARGET_IFINDEX=5
 *
 *  - with bpftool alone, by handing libbpf a ready .rodata map to reuse
 *    instead of the one it would create and fill. The map must match the
 *    one libbpf creates: array, key 4, value = size of .rodata (4 here),
 *    1 entry, flags BPF_F_RDONLY_PROG|BPF_F_MMAPABLE (0x480); libbpf names
 *    it after the first 8 characters of the object's file name:
 *	bpftool map create /sys/fs/bpf/rn_rodata type array key 4 value 4 \
 *		entries 1 name rn_rodata flags 0x480
 *	bpftool map update pinned /sys/fs/bpf/rn_rodata key 0 0 0 0 \
 *		value <ifindex as 4 little-endian bytes>
 *	bpftool map freeze pinned /sys/fs/bpf/rn_rodata
 *	bpftool prog load redirect_neigh_rodata.bpf.o /sys/fs/bpf/rn \
 *		type classifier map name redirect.rodata \
 *		pinned /sys/fs/bpf/rn_rodata
 *    (frozen before the load, the verifier knows the value is constant).
 */
#include "meta_common.h"
#include <linux/if_ether.h>

#ifndef TARGET_IFINDEX
#define TARGET_IFINDEX 0
#endif

volatile const __u32 target_ifindex = TARGET_IFINDEX;

SEC("tc")
int meta_redirect_neigh_rodata(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 ifindex = target_ifindex;

	if ((void *)(eth + 1) > data_end)
		return META_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP) &&
	    eth->h_proto != bpf_htons(ETH_P_IPV6))
		return META_PASS;
	if (eth->h_dest[0] & 1)
		return META_PASS;
	if (!ifindex)
		return META_DROP;
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

char _license[] SEC("license") = "GPL";
