// SPDX-License-Identifier: GPL-2.0
/*
 * The programs of nk_attach: four SCHED_CLS programs for netkit's attach
 * points (any of BPF_NETKIT_PRIMARY and BPF_NETKIT_PEER: the kernel does not
 * check the expected attach type of SCHED_CLS programs).
 *
 *	nk_count, nk_tally	count, return NETKIT_NEXT ("no opinion": the
 *				next program runs; after the last, a pass)
 *	nk_pass			counts, returns NETKIT_PASS (the programs after
 *				it do not run)
 *	nk_spare		counts, returns NETKIT_NEXT; nk_attach attaches it
 *				only to check positions
 *
 * Each counts, in .bss (the skeleton reads it), the packets it saw (hits)
 * and among them the IPv4 ICMP echo requests and replies: the requests of a
 * ping from the primary's side go out through the primary (its programs),
 * the replies through the peer (the peer's programs).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* enum netkit_action of include/uapi/linux/if_link.h */
#define NK_NEXT (-1)
#define NK_PASS 0

enum { P_COUNT, P_TALLY, P_PASS, P_SPARE, P_MAX };

__u64 hits[P_MAX];
__u64 echo_requests[P_MAX];
__u64 echo_replies[P_MAX];

static __always_inline void count(struct __sk_buff *skb, int p)
{
	struct iphdr ip;
	__u8 type;

	__sync_fetch_and_add(&hits[p], 1);
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return;
	/* skb->data is at the Ethernet header: the device pulls it after the programs. */
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
		return;
	if (ip.protocol != IPPROTO_ICMP || ip.ihl < 5)
		return;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + ip.ihl * 4, &type, sizeof(type)))
		return;
	if (type == 8)
		__sync_fetch_and_add(&echo_requests[p], 1);
	else if (type == 0)
		__sync_fetch_and_add(&echo_replies[p], 1);
}

SEC("tc")
int nk_count(struct __sk_buff *skb)
{
	count(skb, P_COUNT);
	return NK_NEXT;
}

SEC("tc")
int nk_tally(struct __sk_buff *skb)
{
	count(skb, P_TALLY);
	return NK_NEXT;
}

SEC("tc")
int nk_pass(struct __sk_buff *skb)
{
	count(skb, P_PASS);
	return NK_PASS;
}

SEC("tc")
int nk_spare(struct __sk_buff *skb)
{
	count(skb, P_SPARE);
	return NK_NEXT;
}

char _license[] SEC("license") = "GPL";
