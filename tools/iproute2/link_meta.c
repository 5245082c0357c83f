// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link_meta.so: "ip link ... type meta" for iproute2's ip, as a plugin that
 * ip loads from $IP_LIB_DIR (Debian 12: /usr/lib/x86_64-linux-gnu/ip). The
 * grammar and the output follow ip/iplink_netkit.c of iproute2, plus meta's
 * headroom and tailroom options. Programs are not in the grammar: as on
 * netkit, they attach through bpf(2) (bpftool, libbpf, metactl attach).
 *
 *   ip link add [NAME] type meta [mode l3|l2] [forward|blackhole]
 *	[scrub default|none] [headroom N] [tailroom N]
 *	[peer [forward|blackhole] [scrub default|none] [OPTIONS]]
 *
 * As in netkit, the policy and scrub words after "peer" are the peer's,
 * and the first other word starts the peer's generic link options (name,
 * netns, address, mtu, ...), which run to the end of the command line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "iproute2.h"
#include "../../include/uapi/linux/if_meta.h"

static const char * const meta_mode_strings[] = {
	[META_L2]		= "l2",
	[META_L3]		= "l3",
};

static const char * const meta_policy_strings[] = {
	[META_PASS]		= "forward",
	[META_DROP]		= "blackhole",
};

static const char * const meta_scrub_strings[] = {
	[META_SCRUB_NONE]	= "none",
	[META_SCRUB_DEFAULT]	= "default",
};

static void explain(struct link_util *lu, FILE *f)
{
	fprintf(f,
		"Usage: ... %s [ mode MODE ] [ POLICY ] [ scrub SCRUB ]\n"
		"\t\t[ headroom BYTES ] [ tailroom BYTES ]\n"
		"\t\t[ peer [ POLICY ] [ scrub SCRUB ] <options> ]\n"
		"\n"
		"MODE: l3 | l2\n"
		"POLICY: forward | blackhole\n"
		"SCRUB: default | none\n"
		"BYTES: 0-65535, the headroom and tailroom both ends reserve\n"
		"(first values are the defaults if nothing is specified)\n"
		"\n"
		"Only POLICY can be changed after creation:\n"
		"  ip link set DEV type %s [ POLICY ] [ peer [ POLICY ] ]\n"
		"Programs attach through bpf(2) on the primary, as on netkit\n"
		"(BPF_NETKIT_PRIMARY, BPF_NETKIT_PEER): bpftool, libbpf, metactl.\n"
		"\n"
		"To get <options> type 'ip link add help'.\n",
		lu->id, lu->id);
}

static int meta_parse_opt(struct link_util *lu, int argc, char **argv,
			  struct nlmsghdr *n)
{
	const int maxlen = sizeof(struct iplink_req);
	__u32 ifi_flags, ifi_change, ifi_index;
	struct ifinfomsg *ifm, *peer_ifm;
	bool seen_mode = false, seen_peer = false;
	bool seen_headroom = false, seen_tailroom = false;
	/* [0] the primary's, [1] the peer's */
	bool seen_policy[2] = {}, seen_scrub[2] = {};
	struct rtattr *data = NULL;
	int err;

	/*
	 * iplink_parse() of the peer's options writes the flags and index
	 * into the request's own ifinfomsg: keep ours aside meanwhile, and
	 * move the peer's into the ifinfomsg of PEER_INFO (as netkit does).
	 */
	ifm = NLMSG_DATA(n);
	ifi_flags = ifm->ifi_flags;
	ifi_change = ifm->ifi_change;
	ifi_index = ifm->ifi_index;
	ifm->ifi_flags = 0;
	ifm->ifi_change = 0;
	ifm->ifi_index = 0;
	while (argc > 0) {
		const int p = seen_peer;

		if (strcmp(*argv, "mode") == 0) {
			__u32 mode;

			NEXT_ARG();
			if (seen_mode)
				duparg("mode", *argv);
			seen_mode = true;
			if (strcmp(*argv, "l3") == 0)
				mode = META_L3;
			else if (strcmp(*argv, "l2") == 0)
				mode = META_L2;
			else
				invarg("mode must be either \"l3\" or \"l2\"",
				       *argv);
			addattr32(n, maxlen, IFLA_META_MODE, mode);
		} else if (strcmp(*argv, "forward") == 0 ||
			   strcmp(*argv, "blackhole") == 0) {
			__u32 policy = strcmp(*argv, "forward") == 0 ?
				       META_PASS : META_DROP;

			if (seen_policy[p])
				duparg(p ? "peer policy" : "policy", *argv);
			seen_policy[p] = true;
			addattr32(n, maxlen,
				  p ? IFLA_META_PEER_POLICY : IFLA_META_POLICY,
				  policy);
		} else if (strcmp(*argv, "scrub") == 0) {
			__u32 scrub;

			NEXT_ARG();
			if (seen_scrub[p])
				duparg(p ? "peer scrub" : "scrub", *argv);
			seen_scrub[p] = true;
			if (strcmp(*argv, "none") == 0)
				scrub = META_SCRUB_NONE;
			else if (strcmp(*argv, "default") == 0)
				scrub = META_SCRUB_DEFAULT;
			else
				invarg("scrub must be either \"default\" or \"none\"",
				       *argv);
			addattr32(n, maxlen,
				  p ? IFLA_META_PEER_SCRUB : IFLA_META_SCRUB,
				  scrub);
		} else if (strcmp(*argv, "headroom") == 0 ||
			   strcmp(*argv, "tailroom") == 0) {
			bool head = strcmp(*argv, "headroom") == 0;
			bool *seen = head ? &seen_headroom : &seen_tailroom;
			const char *key = *argv;
			__u16 room;

			NEXT_ARG();
			if (*seen)
				duparg(key, *argv);
			*seen = true;
			if (get_u16(&room, *argv, 0))
				invarg(head ? "headroom must be 0-65535 bytes" :
					      "tailroom must be 0-65535 bytes",
				       *argv);
			addattr16(n, maxlen,
				  head ? IFLA_META_HEADROOM : IFLA_META_TAILROOM,
				  room);
		} else if (strcmp(*argv, "peer") == 0) {
			if (seen_peer)
				duparg("peer", argc > 1 ? argv[1] : "peer");
			seen_peer = true;
		} else if (!seen_peer && strcmp(*argv, "help") == 0) {
			explain(lu, stderr);
			return -1;
		} else {
			char *type = NULL;

			if (seen_peer) {
				data = addattr_nest(n, maxlen, IFLA_META_PEER_INFO);
				n->nlmsg_len += sizeof(struct ifinfomsg);
				err = iplink_parse(argc, argv,
						   (struct iplink_req *)n, &type);
				if (err < 0)
					return err;
				if (type)
					duparg("type", type);
				break;
			}
			fprintf(stderr, "%s: unknown option \"%s\"?\n",
				lu->id, *argv);
			explain(lu, stderr);
			return -1;
		}
		argc--;
		argv++;
	}
	if (data) {
		peer_ifm = RTA_DATA(data);
		peer_ifm->ifi_index = ifm->ifi_index;
		peer_ifm->ifi_flags = ifm->ifi_flags;
		peer_ifm->ifi_change = ifm->ifi_change;
		addattr_nest_end(n, data);
	}
	ifm->ifi_flags = ifi_flags;
	ifm->ifi_change = ifi_change;
	ifm->ifi_index = ifi_index;
	return 0;
}

static const char *meta_name(const char * const *names, size_t len, __u32 v)
{
	return v < len && names[v] ? names[v] : "UNKNOWN";
}

static void meta_print_u32_name(struct rtattr *tb[], int attr, const char *key,
				const char *fmt, const char * const *names,
				size_t len)
{
	if (tb[attr] && RTA_PAYLOAD(tb[attr]) >= sizeof(__u32))
		print_string(PRINT_ANY, key, fmt,
			     meta_name(names, len, rta_getattr_u32(tb[attr])));
}

static void meta_print_room(struct rtattr *tb[], int attr, const char *key,
			    const char *fmt)
{
	if (tb[attr] && RTA_PAYLOAD(tb[attr]) >= sizeof(__u16))
		print_uint(PRINT_ANY, key, fmt, rta_getattr_u16(tb[attr]));
}

static void meta_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	(void)lu;
	(void)f;
	if (!tb)
		return;
	meta_print_u32_name(tb, IFLA_META_MODE, "mode", "mode %s ",
			    meta_mode_strings, ARRAY_SIZE(meta_mode_strings));
	if (tb[IFLA_META_PRIMARY] && RTA_PAYLOAD(tb[IFLA_META_PRIMARY]) >= 1)
		print_string(PRINT_ANY, "type", "type %s ",
			     rta_getattr_u8(tb[IFLA_META_PRIMARY]) ?
			     "primary" : "peer");
	meta_print_u32_name(tb, IFLA_META_POLICY, "policy", "policy %s ",
			    meta_policy_strings, ARRAY_SIZE(meta_policy_strings));
	meta_print_u32_name(tb, IFLA_META_PEER_POLICY, "peer_policy",
			    "peer policy %s ", meta_policy_strings,
			    ARRAY_SIZE(meta_policy_strings));
	meta_print_u32_name(tb, IFLA_META_SCRUB, "scrub", "scrub %s ",
			    meta_scrub_strings, ARRAY_SIZE(meta_scrub_strings));
	meta_print_u32_name(tb, IFLA_META_PEER_SCRUB, "peer_scrub",
			    "peer scrub %s ", meta_scrub_strings,
			    ARRAY_SIZE(meta_scrub_strings));
	meta_print_room(tb, IFLA_META_HEADROOM, "headroom", "headroom %u ");
	meta_print_room(tb, IFLA_META_TAILROOM, "tailroom", "tailroom %u ");
}

static void meta_print_help(struct link_util *lu, int argc, char **argv,
			    FILE *f)
{
	(void)argc;
	(void)argv;
	explain(lu, f);
}

/* Looked up by name by get_link_kind("meta"); ip links it into its list. */
struct link_util meta_link_util = {
	.id		= "meta",
	.maxattr	= IFLA_META_MAX,
	.parse_opt	= meta_parse_opt,
	.print_opt	= meta_print_opt,
	.print_help	= meta_print_help,
};
