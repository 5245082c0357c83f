// SPDX-License-Identifier: GPL-2.0
/*
 * verdict.bpf.c: returns 3 (TC_ACT_PIPE), which is not a meta verdict: meta
 * drops the packet and counts it as xmit_drop_verdict. For the selftests.
 */
#include "meta_common.h"

SEC("tc")
int meta_verdict(struct __sk_buff *skb)
{
	return TC_ACT_PIPE;
}

char _license[] SEC("license") = "GPL";
