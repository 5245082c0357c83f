// SPDX-License-Identifier: GPL-2.0
/*
 * pass.bpf.c: returns META_PASS (0) for every packet: the packet is
 * delivered to the other end, as with the policy "pass", but through a
 * program.
 *
 *	metactl attach meta-host --peer --obj pass.bpf.o --sec tc
 */
#include "meta_common.h"

SEC("tc")
int meta_pass(struct __sk_buff *skb)
{
	return META_PASS;
}

char _license[] SEC("license") = "GPL";
