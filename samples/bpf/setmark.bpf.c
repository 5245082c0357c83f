// SPDX-License-Identifier: GPL-2.0
/*
 * setmark.bpf.c: for a tc egress hook (clsact, direct-action), not for a
 * meta end: sets skb->mark = 0x1234 and skb->priority = 7 on every packet
 * and lets it go on (TC_ACT_OK).
 *
 * Attached to the egress of a meta end it runs before meta's transmit, so
 * it shows what meta's scrub does to mark and priority (see mark.bpf.c):
 *
 *	ip netns exec pod tc qdisc add dev pod0 clsact
 *	ip netns exec pod tc filter add dev pod0 egress bpf da \
 *		obj setmark.bpf.o sec tc
 */
#include "meta_common.h"

#define SETMARK_MARK		0x1234
#define SETMARK_PRIORITY	7

SEC("tc")
int meta_setmark(struct __sk_buff *skb)
{
	skb->mark = SETMARK_MARK;
	skb->priority = SETMARK_PRIORITY;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
