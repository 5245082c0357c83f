// SPDX-License-Identifier: GPL-2.0
/*
 * mark.bpf.c: records what skb->mark and skb->priority look like when a
 * meta program runs, i.e. after meta's scrub and the switch to the other
 * end, then returns META_PASS.
 *
 * The map "seen" (array, __u32 key, __u64 value):
 *	key 0 (SEEN_MARK):      skb->mark of the last packet
 *	key 1 (SEEN_PRIORITY):  skb->priority of the last packet
 *	key 2 (SEEN_MARKED):    packets with a non-zero mark
 *	key 3 (SEEN_PACKETS):   packets seen
 *	key 4 (SEEN_PRIORITIZED): packets with a non-zero priority
 *	key 5 (SEEN_TAGGED_MARK):     skb->mark and skb->priority of the
 *	key 6 (SEEN_TAGGED_PRIORITY): last packet with a non-zero mark or
 *	                              priority
 *
 * Keys 0 and 1 are overwritten by whatever comes last, and a fresh end
 * sends IPv6 neighbour discovery and MLD packets of its own (mark 0,
 * priority 0) now and then: read a test's values from keys 5 and 6 and the
 * counters, or disable IPv6 in the namespace first
 * (sysctl -w net.ipv6.conf.all.disable_ipv6=1).
 *
 * What to expect: across namespaces meta clears mark and priority unless
 * the transmitting end was created with scrub "none" (IFLA_META_SCRUB for
 * the primary, IFLA_META_PEER_SCRUB for the peer; creation only; "metactl
 * add ... --scrub none / --peer-scrub none"). With the default scrub the
 * program sees mark 0 and priority 0, with scrub "none" the values the
 * sender set.
 *
 * Setting mark and priority before the packet enters meta, from the pod:
 *
 *  - setmark.bpf.o on the tc egress hook of the peer, in the pod's netns.
 *    tc egress runs in __dev_queue_xmit(), before meta's ndo_start_xmit,
 *    so the mark 0x1234 and priority 7 it sets are what meta's scrub sees:
 *
 *	ip netns exec pod tc qdisc add dev pod0 clsact
 *	ip netns exec pod tc filter add dev pod0 egress bpf da \
 *		obj setmark.bpf.o sec tc
 *
 *  - or without BPF, iputils ping: "-m 4660" sets SO_MARK 0x1234 (needs
 *    CAP_NET_ADMIN; -m takes decimal only, "0x1234" is refused), which
 *    becomes skb->mark; "-Q 0x10" sets IP_TOS, and setting IP_TOS also
 *    sets sk_priority to rt_tos2priority(tos): TOS 0x10 (low delay) gives
 *    priority 6 (TC_PRIO_INTERACTIVE), 0x08 gives 2 (TC_PRIO_BULK). ping
 *    has no option for SO_PRIORITY itself.
 *
 *	ip netns exec pod ping -c 3 -m 4660 -Q 0x10 10.2.0.2
 *
 * Reading it (pinned with "pinmaps /sys/fs/bpf/mark_maps" at load):
 *
 *	bpftool map dump pinned /sys/fs/bpf/mark_maps/seen
 *	bpftool -j map lookup pinned /sys/fs/bpf/mark_maps/seen key 0 0 0 0
 */
#include "meta_common.h"

enum {
	SEEN_MARK,
	SEEN_PRIORITY,
	SEEN_MARKED,
	SEEN_PACKETS,
	SEEN_PRIORITIZED,
	SEEN_TAGGED_MARK,
	SEEN_TAGGED_PRIORITY,
	__SEEN_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, __SEEN_MAX);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void seen_set(__u32 key, __u64 val)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &key);

	if (v)
		*v = val;
}

static __always_inline void seen_inc(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tc")
int meta_mark(struct __sk_buff *skb)
{
	__u32 mark = skb->mark;
	__u32 prio = skb->priority;

	seen_set(SEEN_MARK, mark);
	seen_set(SEEN_PRIORITY, prio);
	if (mark)
		seen_inc(SEEN_MARKED);
	if (prio)
		seen_inc(SEEN_PRIORITIZED);
	if (mark || prio) {
		seen_set(SEEN_TAGGED_MARK, mark);
		seen_set(SEEN_TAGGED_PRIORITY, prio);
	}
	seen_inc(SEEN_PACKETS);
	return META_PASS;
}

char _license[] SEC("license") = "GPL";
