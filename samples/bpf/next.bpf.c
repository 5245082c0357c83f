// SPDX-License-Identifier: GPL-2.0
/*
 * next.bpf.c: returns META_NEXT (-1) for every packet: "no opinion". As
 * in netkit, a NEXT from the last (here: the only) program is a pass, not
 * the policy: the packet is delivered and counted as xmit_pass.
 *
 *	metactl attach meta-host --peer --obj next.bpf.o --sec tc
 */
#include "meta_common.h"

SEC("tc")
int meta_next(struct __sk_buff *skb)
{
	return META_NEXT;
}

char _license[] SEC("license") = "GPL";
