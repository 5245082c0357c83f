/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * UAPI of the meta device: the attributes inside IFLA_INFO_DATA of
 * IFLA_LINKINFO for kind "meta".
 *
 * This header is the single source of truth: the driver (meta/uapi.rs) and
 * the CLI (tools/metactl) are checked against it by selftests/meta/uapi.sh.
 *
 * Types 1-9 and the values of the enums match netkit's
 * (include/uapi/linux/if_link.h, IFLA_NETKIT_*), so netlink code written
 * for netkit works with meta by changing the kind string.
 */
#ifndef _UAPI_LINUX_IF_META_H
#define _UAPI_LINUX_IF_META_H

/*
 * Types 11-14 are retired: the prototype attached one program per end
 * through netlink. Programs attach as on netkit, through bpf(2) on the
 * primary's ifindex with BPF_NETKIT_PRIMARY or BPF_NETKIT_PEER
 * (BPF_PROG_ATTACH or BPF_LINK_CREATE); the kernel refuses these types in
 * requests with EINVAL.
 */

enum {
	IFLA_META_UNSPEC,
	IFLA_META_PEER_INFO,	/* ifinfomsg + IFLA_* attributes of the peer */
	IFLA_META_PRIMARY,	/* u8, read-only: 1 on the primary */
	IFLA_META_POLICY,	/* u32, META_PASS or META_DROP */
	IFLA_META_PEER_POLICY,	/* u32, META_PASS or META_DROP */
	IFLA_META_MODE,		/* u32, enum meta_mode, creation only */
	IFLA_META_SCRUB,	/* u32, enum meta_scrub, creation only */
	IFLA_META_PEER_SCRUB,	/* u32, enum meta_scrub, creation only */
	IFLA_META_HEADROOM,	/* u16, creation only */
	IFLA_META_TAILROOM,	/* u16, creation only */
	IFLA_META_PAIRING,	/* reserved for a single-device mode */
	IFLA_META_BPF_FD,	/* retired, refused (see above) */
	IFLA_META_PEER_BPF_FD,	/* retired, refused */
	IFLA_META_BPF_ID,	/* retired, refused, never reported */
	IFLA_META_PEER_BPF_ID,	/* retired, refused, never reported */
	__IFLA_META_MAX,
};
#define IFLA_META_MAX	(__IFLA_META_MAX - 1)

/* Verdicts of meta programs and policies: the tc/tcx (TC_ACT_*) encoding. */
enum meta_action {
	META_NEXT	= -1,
	META_PASS	= 0,
	META_DROP	= 2,
	META_REDIRECT	= 7,
};

enum meta_mode {
	META_L2,
	META_L3,
};

enum meta_scrub {
	META_SCRUB_NONE,
	META_SCRUB_DEFAULT,
};

#endif /* _UAPI_LINUX_IF_META_H */
