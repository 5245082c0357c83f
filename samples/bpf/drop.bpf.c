// SPDX-License-Identifier: GPL-2.0
/*
 * drop.bpf.c: returns META_DROP (2) for every packet: meta frees it and
 * counts it as xmit_drop_prog ("ethtool -S" on the transmitting end) and
 * as tx_dropped.
 *
 *	metactl attach meta-host --peer --obj drop.bpf.o --sec tc
 */
#include "meta_common.h"

SEC("tc")
int meta_drop(struct __sk_buff *skb)
{
	return META_DROP;
}

char _license[] SEC("license") = "GPL";
