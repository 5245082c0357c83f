// SPDX-License-Identifier: GPL-2.0
/*
 * nk_attach: netkit's BPF attach API on a device pair of any kind that
 * serves it (netkit itself, meta), with netkit's exact semantics and errnos.
 * The same binary runs against both: the kind and the devices are arguments.
 *
 *	nk_attach test --kind KIND --primary DEV --peer DEV [--peer-netns NS]
 *		[--other DEV]... [--ping CMD] [--pings N] [-v[v]] [-T SECONDS] [NAME...]
 *	nk_attach create --kind KIND --primary NAME --peer NAME [--mode l2|l3]
 *		[--peer-netns NS]
 *	nk_attach link --dev DEV --type primary|peer --prog NAME --pin PATH
 *	nk_attach list
 *
 * test: the KTAP subtests below (NAME...: only those), against the pair whose
 * primary DEV is in the current netns and whose peer is in NS (default: the
 * current netns too). DEV is a name or an ifindex. --other: devices of other
 * kinds (default lo). --ping: a shell command that sends --pings (default 3)
 * ICMP echo requests through the primary to an address of the peer and gets
 * the replies (e.g. "ping -c 3 -i 0.2 -W 5 -q 10.1.0.2"); without it the
 * traffic checks fail. The programs are nk_attach.bpf.c's, loaded twice:
 * once with the expected attach type BPF_NETKIT_PRIMARY, once with
 * BPF_NETKIT_PEER (bpf_program__attach_netkit() attaches at the program's
 * expected type); their counters tell which end saw what.
 *
 * create: a pair by rtnetlink (RTM_NEWLINK, IFLA_INFO_KIND KIND, netkit's
 * IFLA_NETKIT_MODE and IFLA_NETKIT_PEER_INFO with the peer's name and, with
 * --peer-netns, IFLA_NET_NS_FD), the primary in the current netns, both
 * down. Debian 12's ip (iproute2 6.1) cannot create netkit devices.
 *
 * link: load the programs, attach program NAME (nk_count, nk_tally, nk_pass,
 * nk_spare) through a netkit link at DEV's primary or peer attach point, pin
 * the link at PATH (bpf_link__pin) and print "prog_id P link_id L". The link
 * outlives the process until unpinned.
 *
 * The errnos, with the code that gives them (Linux 6.12, drivers/net/netkit.c
 * and kernel/bpf/mprog.c): Documentation/netkit-compat.rst.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

#include "test_progs.h"
#include "netlink_helpers.h"
#include "nk_attach.skel.h"

enum { P_COUNT, P_TALLY, P_PASS, P_SPARE, P_MAX };	/* as in nk_attach.bpf.c */
enum { PRI, PEER };					/* the two loads, by attach type */

static const char *const prog_names[P_MAX] = { "nk_count", "nk_tally", "nk_pass", "nk_spare" };
static const enum bpf_attach_type loc_type[2] = { BPF_NETKIT_PRIMARY, BPF_NETKIT_PEER };
static const char *const loc_name[2] = { "primary", "peer" };

static struct nk_attach *sk[2];
static struct bpf_program *progs[2][P_MAX];
static int pfd[2][P_MAX];
static __u32 pid[2][P_MAX];

static const char *kind = "netkit", *primary_arg, *peer_arg, *peer_netns, *ping_cmd;
static int pings = 3;
static int prim, peer;		/* ifindexes; peer's in peer_netns */
static const char *others[8];
static int others_cnt;

/* --- small helpers ------------------------------------------------------ */

/* A formatted name for an assert; the last 32 stay valid. */
static const char *nm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *nm(const char *fmt, ...)
{
	static char buf[32][256];
	static unsigned int k;
	char *b = buf[k++ % 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

static const char *ename(int err)
{
	static char buf[64];

	switch (-err) {
	case 0: return "0";
	case EACCES: return "-EACCES";
	case EBUSY: return "-EBUSY";
	case EEXIST: return "-EEXIST";
	case EINVAL: return "-EINVAL";
	case ENODEV: return "-ENODEV";
	case ENOENT: return "-ENOENT";
	case ENOLINK: return "-ENOLINK";
	case ENOSPC: return "-ENOSPC";
	case ENXIO: return "-ENXIO";
	case EPERM: return "-EPERM";
	case ERANGE: return "-ERANGE";
	case ESTALE: return "-ESTALE";
	}
	snprintf(buf, sizeof(buf), "%d (%s)", err, strerror(err < 0 ? -err : err));
	return buf;
}

/* A result that must be the error -want (want: a positive errno, 0: success). */
#define ASSERT_ERRNO(got, want, name) ({					\
	int ___got = (got), ___want = -(want);					\
	char ___g[64];								\
	snprintf(___g, sizeof(___g), "%s", ename(___got));			\
	__TP_CHECK(___got == ___want, (name), "got %s, want %s", ___g,		\
		   ename(___want));						\
})

static int dev_index(const char *dev)
{
	char *end;
	long v = strtol(dev, &end, 10);

	if (*dev && !*end)
		return v;
	return if_nametoindex(dev);
}

static int netns_fd_saved = -1;

/* Enters network namespace NS (an "ip netns" name); NULL or "": stays. */
static bool enter_netns(const char *ns)
{
	char path[256];
	int fd;

	if (!ns || !*ns)
		return true;
	if (netns_fd_saved < 0)
		netns_fd_saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!ASSERT_OK_FD(fd, nm("open %s", path)))
		return false;
	if (!ASSERT_OK(setns(fd, CLONE_NEWNET), nm("setns %s", ns))) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

static void leave_netns(const char *ns)
{
	if (!ns || !*ns)
		return;
	ASSERT_OK(setns(netns_fd_saved, CLONE_NEWNET), "setns back");
}

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

static __u32 link_id(struct bpf_link *l)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (!l || bpf_link_get_info_by_fd(bpf_link__fd(l), &info, &len))
		return 0;
	return info.id;
}

struct chain {
	int err;
	__u32 count;
	__u64 revision;
	__u32 prog_ids[8];
	__u32 link_ids[8];
};

/* In a helper called by a macro with __LINE__: "what" becomes "what_ (line N)". */
#define WHAT_AT(line)								\
	char what[192];								\
	snprintf(what, sizeof(what), "%s (line %d)", what_, line)

static struct chain query(int ifindex, enum bpf_attach_type type)
{
	struct chain c = {};
	LIBBPF_OPTS(bpf_prog_query_opts, o, .prog_ids = c.prog_ids, .link_ids = c.link_ids,
		    .count = ARRAY_SIZE(c.prog_ids));

	c.err = bpf_prog_query_opts(ifindex, type, &o);
	if (c.err)
		c.err = -errno;
	c.count = o.count;
	c.revision = o.revision;
	return c;
}

/*
 * The programs at attach point loc of the primary are exactly progs[0..n),
 * attached by links[0..n) (0: without a link), and the revision is revision
 * (0: not checked). Returns the revision.
 */
static __u64 expect_chain_(int line, int loc, int n, const __u32 *ids, const __u32 *links, __u64 revision,
			  const char *what_)
{
	WHAT_AT(line);
	struct chain c = query(prim, loc_type[loc]);
	int i;

	if (!ASSERT_ERRNO(c.err, 0, nm("%s: query %s", what, loc_name[loc])))
		return 0;
	ASSERT_EQ(c.count, (__u32)n, nm("%s: %s count", what, loc_name[loc]));
	if (revision)
		ASSERT_EQ(c.revision, revision, nm("%s: %s revision", what, loc_name[loc]));
	for (i = 0; i < n && i < (int)ARRAY_SIZE(c.prog_ids); i++) {
		ASSERT_EQ(c.prog_ids[i], ids[i], nm("%s: %s prog_ids[%d]", what, loc_name[loc], i));
		ASSERT_EQ(c.link_ids[i], links[i], nm("%s: %s link_ids[%d]", what, loc_name[loc], i));
	}
	if (n < (int)ARRAY_SIZE(c.prog_ids))
		ASSERT_EQ(c.prog_ids[n], 0, nm("%s: %s prog_ids[%d]", what, loc_name[loc], n));
	return c.revision;
}
#define expect_chain(...) expect_chain_(__LINE__, __VA_ARGS__)

/* Both attach points empty: count 0 and revision 1 (what a query reports without programs). */
static bool expect_empty_(int line, const char *what_)
{
	WHAT_AT(line);
	int loc;
	bool ok = true;

	for (loc = PRI; loc <= PEER; loc++) {
		struct chain c = query(prim, loc_type[loc]);

		ok &= ASSERT_ERRNO(c.err, 0, nm("%s: query %s", what, loc_name[loc]));
		ok &= ASSERT_EQ(c.count, 0, nm("%s: %s count", what, loc_name[loc]));
		ok &= ASSERT_EQ(c.revision, 1, nm("%s: %s revision", what, loc_name[loc]));
	}
	return ok;
}
#define expect_empty(...) expect_empty_(__LINE__, __VA_ARGS__)

static __u64 revision_of(int loc)
{
	struct chain c = query(prim, loc_type[loc]);

	ASSERT_ERRNO(c.err, 0, nm("query %s", loc_name[loc]));
	return c.revision;
}

/* Attaches program p of load loc through a link at the primary (or ifindex). */
static struct bpf_link *attach_at(int loc, int p, int ifindex, __u32 flags, __u32 rel_fd,
				  __u32 rel_id, __u64 revision)
{
	LIBBPF_OPTS(bpf_netkit_opts, o, .flags = flags, .relative_fd = rel_fd,
		    .relative_id = rel_id, .expected_revision = revision);

	return bpf_program__attach_netkit(progs[loc][p], ifindex, &o);
}

static struct bpf_link *attach_(int line, int loc, int p, __u32 flags, __u32 rel_fd, __u32 rel_id,
			       __u64 revision, const char *what_)
{
	WHAT_AT(line);
	struct bpf_link *l = attach_at(loc, p, prim, flags, rel_fd, rel_id, revision);

	ASSERT_OK_PTR(l, nm("%s: link %s at %s", what, prog_names[p], loc_name[loc]));
	return l;
}
#define attach(...) attach_(__LINE__, __VA_ARGS__)

/* The link attach must fail with -err; a link made anyway is destroyed. */
static bool attach_fails_(int line, int loc, int p, int ifindex, __u32 flags, __u32 rel_fd, __u32 rel_id,
			 __u64 revision, int err, const char *what_)
{
	WHAT_AT(line);
	struct bpf_link *l;
	int got;

	tp_libbpf_quiet++;
	l = attach_at(loc, p, ifindex, flags, rel_fd, rel_id, revision);
	got = l ? 0 : -errno;
	tp_libbpf_quiet--;
	bpf_link__destroy(l);
	return ASSERT_ERRNO(got, err, nm("%s: link %s at %s", what, prog_names[p], loc_name[loc]));
}
#define attach_fails(...) attach_fails_(__LINE__, __VA_ARGS__)

static int prog_attach(int loc, int p, int ifindex, __u32 flags, int rel_fd, int replace_fd,
		       __u64 revision)
{
	LIBBPF_OPTS(bpf_prog_attach_opts, o, .flags = flags, .relative_fd = rel_fd,
		    .replace_fd = replace_fd, .expected_revision = revision);

	return bpf_prog_attach_opts(pfd[loc][p], ifindex, loc_type[loc], &o) ? -errno : 0;
}

static int prog_detach(int loc, int p, int ifindex, __u64 revision)
{
	LIBBPF_OPTS(bpf_prog_detach_opts, o, .expected_revision = revision);

	return bpf_prog_detach_opts(pfd[loc][p], ifindex, loc_type[loc], &o) ? -errno : 0;
}

static int query_err(int ifindex, enum bpf_attach_type type)
{
	return query(ifindex, type).err;
}

static void destroy(struct bpf_link **l)
{
	bpf_link__destroy(*l);
	*l = NULL;
}

static void expect_link_info_(int line, struct bpf_link *l, __u32 prog, __u32 ifindex, enum bpf_attach_type type,
			     const char *what_)
{
	WHAT_AT(line);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (!l || !ASSERT_OK(bpf_link_get_info_by_fd(bpf_link__fd(l), &info, &len),
			     nm("%s: bpf_link_get_info_by_fd", what)))
		return;
	ASSERT_EQ(info.type, BPF_LINK_TYPE_NETKIT, nm("%s: link type", what));
	ASSERT_EQ(info.prog_id, prog, nm("%s: link prog_id", what));
	ASSERT_EQ(info.netkit.ifindex, ifindex, nm("%s: link netkit.ifindex", what));
	ASSERT_EQ(info.netkit.attach_type, type, nm("%s: link netkit.attach_type", what));
}
#define expect_link_info(...) expect_link_info_(__LINE__, __VA_ARGS__)

/* Runs the --ping command with the counters zeroed. */
static bool traffic_(int line, const char *what_)
{
	WHAT_AT(line);
	int loc;

	for (loc = PRI; loc <= PEER; loc++)
		memset(sk[loc]->bss, 0, sizeof(*sk[loc]->bss));
	if (!ping_cmd)
		return ASSERT_FAIL("%s: no --ping command", what);
	return ASSERT_OK(system(ping_cmd), nm("%s: traffic: %s", what, ping_cmd));
}
#define traffic(...) traffic_(__LINE__, __VA_ARGS__)

#define REQ(loc, p) (sk[loc]->bss->echo_requests[p])
#define REP(loc, p) (sk[loc]->bss->echo_replies[p])

/* The echo requests and replies program p of load loc saw in the last traffic(). */
static void expect_seen_(int line, int loc, int p, __u64 req, __u64 rep, const char *what_)
{
	WHAT_AT(line);
	ASSERT_EQ(REQ(loc, p), req, nm("%s: echo requests seen by %s at %s", what, prog_names[p],
				       loc_name[loc]));
	ASSERT_EQ(REP(loc, p), rep, nm("%s: echo replies seen by %s at %s", what, prog_names[p],
				       loc_name[loc]));
}
#define expect_seen(...) expect_seen_(__LINE__, __VA_ARGS__)

/*
 * The start of each test: programs that an earlier test left attached
 * without a link are detached (links went with its process), then both
 * attach points must be empty.
 */
static bool start(void)
{
	int loc, i;

	for (loc = PRI; loc <= PEER; loc++) {
		struct chain c = query(prim, loc_type[loc]);

		for (i = 0; !c.err && i < (int)c.count && i < (int)ARRAY_SIZE(c.prog_ids); i++) {
			int fd;

			if (c.link_ids[i])
				continue;
			fd = bpf_prog_get_fd_by_id(c.prog_ids[i]);
			if (fd < 0)
				continue;
			printf("# detaching prog %u left at %s\n", c.prog_ids[i], loc_name[loc]);
			bpf_prog_detach_opts(fd, prim, loc_type[loc], NULL);
			close(fd);
		}
	}
	return expect_empty("start");
}

/* --- rtnetlink: kind and role of a device, creation of a pair ------------ */

struct iplink_req {
	struct nlmsghdr n;
	struct ifinfomsg i;
	char buf[1024];
};

/* IFLA_INFO_KIND and IFLA_NETKIT_PRIMARY of device ifindex. */
static int nl_kind(int ifindex, char *kind_buf, size_t len, int *primary)
{
	struct rtnl_handle rth = { .fd = -1 };
	struct iplink_req req = {};
	struct nlmsghdr *answer = NULL;
	struct rtattr *a, *li, *d;
	int alen, lilen, dlen, err;

	*kind_buf = 0;
	*primary = -1;
	if (rtnl_open(&rth, 0))
		return -errno;
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_type = RTM_GETLINK;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = ifindex;
	err = rtnl_talk(&rth, &req.n, &answer);
	rtnl_close(&rth);
	if (err)
		return -errno;
	alen = IFLA_PAYLOAD(answer);
	for (a = IFLA_RTA((struct ifinfomsg *)NLMSG_DATA(answer)); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		lilen = RTA_PAYLOAD(a);
		for (li = RTA_DATA(a); RTA_OK(li, lilen); li = RTA_NEXT(li, lilen)) {
			if (li->rta_type == IFLA_INFO_KIND) {
				snprintf(kind_buf, len, "%.*s", (int)RTA_PAYLOAD(li), (char *)RTA_DATA(li));
				kind_buf[strcspn(kind_buf, "\n")] = 0;
			} else if (li->rta_type == IFLA_INFO_DATA) {
				dlen = RTA_PAYLOAD(li);
				for (d = RTA_DATA(li); RTA_OK(d, dlen); d = RTA_NEXT(d, dlen))
					if (d->rta_type == IFLA_NETKIT_PRIMARY)
						*primary = *(__u8 *)RTA_DATA(d);
			}
		}
	}
	free(answer);
	return 0;
}

static int create_pair(const char *kind_name, const char *name, const char *peer_name, int mode,
		       const char *ns)
{
	struct rtnl_handle rth = { .fd = -1 };
	struct iplink_req req = {};
	struct rtattr *linkinfo, *data, *pi;
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC };
	char path[256];
	int err, nsfd = -1;

	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			return -errno;
	}
	if (rtnl_open(&rth, 0)) {
		err = -errno;
		goto out;
	}
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	req.n.nlmsg_type = RTM_NEWLINK;
	req.i.ifi_family = AF_UNSPEC;
	addattr_l(&req.n, sizeof(req), IFLA_IFNAME, name, strlen(name));
	linkinfo = addattr_nest(&req.n, sizeof(req), IFLA_LINKINFO);
	addattr_l(&req.n, sizeof(req), IFLA_INFO_KIND, kind_name, strlen(kind_name));
	data = addattr_nest(&req.n, sizeof(req), IFLA_INFO_DATA);
	addattr32(&req.n, sizeof(req), IFLA_NETKIT_MODE, mode);
	pi = addattr_nest(&req.n, sizeof(req), IFLA_NETKIT_PEER_INFO);
	addraw_l(&req.n, sizeof(req), &ifm, sizeof(ifm));
	addattr_l(&req.n, sizeof(req), IFLA_IFNAME, peer_name, strlen(peer_name));
	if (nsfd >= 0)
		addattr32(&req.n, sizeof(req), IFLA_NET_NS_FD, nsfd);
	addattr_nest_end(&req.n, pi);
	addattr_nest_end(&req.n, data);
	addattr_nest_end(&req.n, linkinfo);
	err = rtnl_talk(&rth, &req.n, NULL) ? -errno : 0;
	rtnl_close(&rth);
out:
	if (nsfd >= 0)
		close(nsfd);
	return err;
}

/* --- loading ---------------------------------------------------------------- */

static struct nk_attach *load(enum bpf_attach_type type)
{
	struct nk_attach *s = nk_attach__open();
	struct bpf_program *p;

	if (!s) {
		fprintf(stderr, "nk_attach__open: %s\n", strerror(errno));
		return NULL;
	}
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_expected_attach_type(p, type);
	if (nk_attach__load(s)) {
		fprintf(stderr, "nk_attach__load: %s\n", strerror(errno));
		nk_attach__destroy(s);
		return NULL;
	}
	return s;
}

static bool load_both(void)
{
	int loc, p;

	for (loc = PRI; loc <= PEER; loc++) {
		sk[loc] = load(loc_type[loc]);
		if (!sk[loc])
			return false;
		progs[loc][P_COUNT] = sk[loc]->progs.nk_count;
		progs[loc][P_TALLY] = sk[loc]->progs.nk_tally;
		progs[loc][P_PASS] = sk[loc]->progs.nk_pass;
		progs[loc][P_SPARE] = sk[loc]->progs.nk_spare;
		for (p = 0; p < P_MAX; p++) {
			pfd[loc][p] = bpf_program__fd(progs[loc][p]);
			pid[loc][p] = prog_id_of(pfd[loc][p]);
		}
	}
	return true;
}

/* --- the tests ---------------------------------------------------------------- */

/* The devices are what the arguments say: KIND, primary and peer (IFLA_NETKIT_PRIMARY). */
static void test_nk_kind(void)
{
	char k[64];
	int primary;

	if (ASSERT_ERRNO(nl_kind(prim, k, sizeof(k), &primary), 0, "RTM_GETLINK of the primary")) {
		ASSERT_STREQ(k, kind, "kind of the primary");
		ASSERT_EQ(primary, 1, "IFLA_NETKIT_PRIMARY of the primary");
	}
	if (!enter_netns(peer_netns))
		return;
	if (ASSERT_ERRNO(nl_kind(peer, k, sizeof(k), &primary), 0, "RTM_GETLINK of the peer")) {
		ASSERT_STREQ(k, kind, "kind of the peer");
		ASSERT_EQ(primary, 0, "IFLA_NETKIT_PRIMARY of the peer");
	}
	leave_netns(peer_netns);
}

/* Without programs a query succeeds: count 0, revision 1; BPF_F_QUERY_EFFECTIVE is refused. */
static void test_nk_query_empty(void)
{
	LIBBPF_OPTS(bpf_prog_query_opts, o, .query_flags = BPF_F_QUERY_EFFECTIVE);
	int loc;

	if (!start())
		return;
	for (loc = PRI; loc <= PEER; loc++) {
		int err = bpf_prog_query_opts(prim, loc_type[loc], &o) ? -errno : 0;

		ASSERT_ERRNO(err, EINVAL, nm("query %s with BPF_F_QUERY_EFFECTIVE", loc_name[loc]));
	}
}

/* Every call on an ifindex that does not exist: -ENODEV. */
static void test_nk_errno_unknown_ifindex(void)
{
	char name[IF_NAMESIZE];
	int ifx = 100000, loc;

	while (if_indextoname(ifx, name))
		ifx++;
	for (loc = PRI; loc <= PEER; loc++) {
		const char *w = nm("ifindex %d", ifx);

		attach_fails(loc, P_COUNT, ifx, 0, 0, 0, 0, ENODEV, w);
		ASSERT_ERRNO(prog_attach(loc, P_COUNT, ifx, 0, 0, 0, 0), ENODEV,
			     nm("%s: prog attach at %s", w, loc_name[loc]));
		ASSERT_ERRNO(prog_detach(loc, P_COUNT, ifx, 0), ENODEV,
			     nm("%s: prog detach at %s", w, loc_name[loc]));
		ASSERT_ERRNO(query_err(ifx, loc_type[loc]), ENODEV,
			     nm("%s: query %s", w, loc_name[loc]));
	}
}

/* Every call on a device of another kind: -ENXIO. */
static void test_nk_errno_other_kind(void)
{
	int i, loc;

	if (!start())
		return;
	for (i = 0; i < others_cnt; i++) {
		int ifx = dev_index(others[i]);

		if (!ASSERT_GT(ifx, 0, nm("ifindex of %s", others[i])))
			continue;
		for (loc = PRI; loc <= PEER; loc++) {
			const char *w = nm("%s (%d)", others[i], ifx);

			attach_fails(loc, P_COUNT, ifx, 0, 0, 0, 0, ENXIO, w);
			ASSERT_ERRNO(prog_attach(loc, P_COUNT, ifx, 0, 0, 0, 0), ENXIO,
				     nm("%s: prog attach at %s", w, loc_name[loc]));
			ASSERT_ERRNO(prog_detach(loc, P_COUNT, ifx, 0), ENXIO,
				     nm("%s: prog detach at %s", w, loc_name[loc]));
			ASSERT_ERRNO(query_err(ifx, loc_type[loc]), ENXIO,
				     nm("%s: query %s", w, loc_name[loc]));
		}
	}
	expect_empty("after");
}

/* Every call through the peer's own ifindex, for either attach type: -EACCES. */
static void test_nk_errno_peer(void)
{
	int loc;

	if (!start())
		return;
	if (!enter_netns(peer_netns))
		return;
	for (loc = PRI; loc <= PEER; loc++) {
		const char *w = nm("peer ifindex %d", peer);

		attach_fails(loc, P_COUNT, peer, 0, 0, 0, 0, EACCES, w);
		ASSERT_ERRNO(prog_attach(loc, P_COUNT, peer, 0, 0, 0, 0), EACCES,
			     nm("%s: prog attach at %s", w, loc_name[loc]));
		ASSERT_ERRNO(prog_detach(loc, P_COUNT, peer, 0), EACCES,
			     nm("%s: prog detach at %s", w, loc_name[loc]));
		ASSERT_ERRNO(query_err(peer, loc_type[loc]), EACCES,
			     nm("%s: query %s", w, loc_name[loc]));
	}
	leave_netns(peer_netns);
	expect_empty("after");
}

/*
 * A link at each attach point of the primary: the queries, the link infos
 * (a peer link names the peer's ifindex: its device is the peer), the
 * traffic each end's programs see, a query with a short buffer.
 */
static void test_nk_link_primary_peer(void)
{
	struct bpf_link *l1 = NULL, *l2 = NULL, *l3 = NULL;
	__u32 ids[2], links[2];
	__u32 small[1] = {};
	LIBBPF_OPTS(bpf_prog_query_opts, o, .prog_ids = small, .count = 1);
	int err;

	if (!start())
		return;
	l1 = attach(PRI, P_COUNT, 0, 0, 0, 0, "primary");
	l2 = attach(PEER, P_TALLY, 0, 0, 0, 0, "peer");
	if (!l1 || !l2)
		goto out;
	ASSERT_NEQ(link_id(l1), 0, "link id of the primary's link");
	ASSERT_NEQ(link_id(l1), link_id(l2), "two links, two ids");
	ids[0] = pid[PRI][P_COUNT];
	links[0] = link_id(l1);
	expect_chain(PRI, 1, ids, links, 0, "primary linked");
	ids[0] = pid[PEER][P_TALLY];
	links[0] = link_id(l2);
	expect_chain(PEER, 1, ids, links, 0, "peer linked");

	expect_link_info(l1, pid[PRI][P_COUNT], prim, BPF_NETKIT_PRIMARY, "primary's link");
	expect_link_info(l2, pid[PEER][P_TALLY], peer, BPF_NETKIT_PEER, "peer's link");

	if (traffic("both linked")) {
		expect_seen(PRI, P_COUNT, pings, 0, "both linked");
		expect_seen(PEER, P_TALLY, 0, pings, "both linked");
	}

	/* Two programs, room for one: -ENOSPC, the total count and the first id. */
	l3 = attach(PRI, P_PASS, BPF_F_AFTER, 0, 0, 0, "second at primary");
	err = bpf_prog_query_opts(prim, BPF_NETKIT_PRIMARY, &o) ? -errno : 0;
	ASSERT_ERRNO(err, ENOSPC, "query of 2 programs with room for 1");
	ASSERT_EQ(o.count, 2, "count of the short query");
	ASSERT_EQ(small[0], pid[PRI][P_COUNT], "prog_ids[0] of the short query");
out:
	destroy(&l1);
	destroy(&l2);
	destroy(&l3);
	expect_empty("links destroyed");
}

/* BPF_F_BEFORE/AFTER relative to a prog fd, a prog id, a link, or to nothing; the order runs. */
static void test_nk_order(void)
{
	struct bpf_link *lc = NULL, *lp = NULL, *lt = NULL, *ls = NULL;
	__u64 r;

	if (!start())
		return;
	lc = attach(PRI, P_COUNT, 0, 0, 0, 0, "count");
	if (!lc)
		goto out;
	r = revision_of(PRI);
	lp = attach(PRI, P_PASS, BPF_F_BEFORE, pfd[PRI][P_COUNT], 0, 0, "pass before count's fd");
	if (!lp)
		goto out;
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_PASS], pid[PRI][P_COUNT] },
		     (__u32[]){ link_id(lp), link_id(lc) }, r + 1, "pass, count");
	/* pass returns NETKIT_PASS: count, after it, does not run */
	if (traffic("pass, count")) {
		expect_seen(PRI, P_PASS, pings, 0, "pass, count");
		expect_seen(PRI, P_COUNT, 0, 0, "pass, count");
	}

	lt = attach(PRI, P_TALLY, BPF_F_AFTER, 0, pid[PRI][P_PASS], 0, "tally after pass's id");
	if (!lt)
		goto out;
	expect_chain(PRI, 3, (__u32[]){ pid[PRI][P_PASS], pid[PRI][P_TALLY], pid[PRI][P_COUNT] },
		     (__u32[]){ link_id(lp), link_id(lt), link_id(lc) }, r + 2, "pass, tally, count");

	attach_fails(PRI, P_COUNT, prim, 0, 0, 0, 0, EEXIST, "count again");
	attach_fails(PRI, P_SPARE, prim, BPF_F_BEFORE, pfd[PEER][P_SPARE], 0, 0, ENOENT,
		     "before a program not attached");
	attach_fails(PRI, P_SPARE, prim, BPF_F_BEFORE | BPF_F_AFTER, pfd[PRI][P_COUNT], 0, 0, ERANGE,
		     "before and after count");
	ASSERT_EQ(revision_of(PRI), r + 2, "revision after the refused attachments");

	ls = attach(PRI, P_SPARE, BPF_F_BEFORE | BPF_F_LINK, bpf_link__fd(lc), 0, 0,
		    "spare before count's link");
	if (!ls)
		goto out;
	expect_chain(PRI, 4,
		     (__u32[]){ pid[PRI][P_PASS], pid[PRI][P_TALLY], pid[PRI][P_SPARE], pid[PRI][P_COUNT] },
		     (__u32[]){ link_id(lp), link_id(lt), link_id(ls), link_id(lc) }, r + 3,
		     "pass, tally, spare, count");

	destroy(&lp);
	expect_chain(PRI, 3, (__u32[]){ pid[PRI][P_TALLY], pid[PRI][P_SPARE], pid[PRI][P_COUNT] },
		     (__u32[]){ link_id(lt), link_id(ls), link_id(lc) }, r + 4, "tally, spare, count");
	/* three NETKIT_NEXT: all run, and the last one's NEXT is a pass */
	if (traffic("tally, spare, count")) {
		expect_seen(PRI, P_TALLY, pings, 0, "tally, spare, count");
		expect_seen(PRI, P_SPARE, pings, 0, "tally, spare, count");
		expect_seen(PRI, P_COUNT, pings, 0, "tally, spare, count");
	}

	lp = attach(PRI, P_PASS, BPF_F_BEFORE, 0, 0, 0, "pass before all");
	expect_chain(PRI, 4,
		     (__u32[]){ pid[PRI][P_PASS], pid[PRI][P_TALLY], pid[PRI][P_SPARE], pid[PRI][P_COUNT] },
		     (__u32[]){ link_id(lp), link_id(lt), link_id(ls), link_id(lc) }, r + 5,
		     "pass first");
	destroy(&lp);
	lp = attach(PRI, P_PASS, BPF_F_AFTER, 0, 0, 0, "pass after all");
	expect_chain(PRI, 4,
		     (__u32[]){ pid[PRI][P_TALLY], pid[PRI][P_SPARE], pid[PRI][P_COUNT], pid[PRI][P_PASS] },
		     (__u32[]){ link_id(lt), link_id(ls), link_id(lc), link_id(lp) }, r + 7,
		     "pass last");
out:
	destroy(&lc);
	destroy(&lp);
	destroy(&lt);
	destroy(&ls);
	expect_empty("links destroyed");
}

/* expected_revision: anything but the current revision is -ESTALE, for links, attach and detach. */
static void test_nk_revision(void)
{
	struct bpf_link *l1 = NULL, *l2 = NULL;
	__u64 r;

	if (!start())
		return;
	l1 = attach(PRI, P_COUNT, 0, 0, 0, 0, "count");
	if (!l1)
		goto out;
	r = revision_of(PRI);
	attach_fails(PRI, P_TALLY, prim, 0, 0, 0, r + 1, ESTALE, nm("expected_revision %llu", r + 1));
	attach_fails(PRI, P_TALLY, prim, 0, 0, 0, r - 1, ESTALE, nm("expected_revision %llu", r - 1));
	l2 = attach(PRI, P_TALLY, 0, 0, 0, r, nm("expected_revision %llu", r));
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_COUNT], pid[PRI][P_TALLY] },
		     (__u32[]){ link_id(l1), link_id(l2) }, r + 1, "count, tally");

	ASSERT_ERRNO(prog_attach(PRI, P_PASS, prim, 0, 0, 0, r), ESTALE,
		     nm("prog attach with expected_revision %llu", r));
	ASSERT_ERRNO(prog_attach(PRI, P_PASS, prim, 0, 0, 0, r + 1), 0,
		     nm("prog attach with expected_revision %llu", r + 1));
	ASSERT_ERRNO(prog_detach(PRI, P_PASS, prim, r + 1), ESTALE,
		     nm("prog detach with expected_revision %llu", r + 1));
	ASSERT_ERRNO(prog_detach(PRI, P_PASS, prim, r + 2), 0,
		     nm("prog detach with expected_revision %llu", r + 2));
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_COUNT], pid[PRI][P_TALLY] },
		     (__u32[]){ link_id(l1), link_id(l2) }, r + 3, "count, tally again");
out:
	destroy(&l1);
	destroy(&l2);
	expect_empty("links destroyed");
}

/*
 * Without programs a query reports revision 1, but the revision an attach
 * is checked against goes on counting (netkit keeps it in the device's
 * bpf_mprog_bundle): after one attach and one detach, 1 is stale.
 */
static void test_nk_revision_after_empty(void)
{
	struct bpf_link *l = NULL;
	__u64 r;

	if (!start())
		return;
	l = attach(PRI, P_COUNT, 0, 0, 0, 0, "count");
	if (!l)
		return;
	r = revision_of(PRI);
	destroy(&l);
	if (!expect_empty("count destroyed"))
		return;
	attach_fails(PRI, P_COUNT, prim, 0, 0, 0, 1, ESTALE, "expected_revision 1 (as queried)");
	l = attach(PRI, P_COUNT, 0, 0, 0, r + 1, nm("expected_revision %llu", r + 1));
	expect_chain(PRI, 1, &pid[PRI][P_COUNT], (__u32[]){ link_id(l) }, r + 2, "count again");
	destroy(&l);
	expect_empty("count destroyed again");
}

/* bpf_link_update: in place, with and without the old program. */
static void test_nk_link_update(void)
{
	LIBBPF_OPTS(bpf_link_update_opts, replace, .flags = BPF_F_REPLACE);
	LIBBPF_OPTS(bpf_link_update_opts, noflag);
	struct bpf_link *l1 = NULL, *l2 = NULL;
	int fd, err;
	__u64 r;

	if (!start())
		return;
	l1 = attach(PRI, P_COUNT, 0, 0, 0, 0, "count");
	l2 = attach(PRI, P_PASS, BPF_F_AFTER, 0, 0, 0, "pass");
	if (!l1 || !l2)
		goto out;
	fd = bpf_link__fd(l1);
	r = revision_of(PRI);

	err = bpf_link_update(fd, pfd[PRI][P_TALLY], NULL);
	ASSERT_ERRNO(err, 0, "update count's link to tally");
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_TALLY], pid[PRI][P_PASS] },
		     (__u32[]){ link_id(l1), link_id(l2) }, r + 1, "tally, pass");
	expect_link_info(l1, pid[PRI][P_TALLY], prim, BPF_NETKIT_PRIMARY, "updated link");
	if (traffic("tally, pass")) {
		expect_seen(PRI, P_TALLY, pings, 0, "tally, pass");
		expect_seen(PRI, P_COUNT, 0, 0, "tally, pass");
		expect_seen(PRI, P_PASS, pings, 0, "tally, pass");
	}

	replace.old_prog_fd = pfd[PRI][P_COUNT];
	err = bpf_link_update(fd, pfd[PRI][P_COUNT], &replace);
	ASSERT_ERRNO(err, EPERM, "BPF_F_REPLACE, old program not the link's");
	noflag.old_prog_fd = pfd[PRI][P_TALLY];
	err = bpf_link_update(fd, pfd[PRI][P_COUNT], &noflag);
	ASSERT_ERRNO(err, EINVAL, "old program without BPF_F_REPLACE");
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_TALLY], pid[PRI][P_PASS] },
		     (__u32[]){ link_id(l1), link_id(l2) }, r + 1, "refused updates");

	replace.old_prog_fd = pfd[PRI][P_TALLY];
	err = bpf_link_update(fd, pfd[PRI][P_COUNT], &replace);
	ASSERT_ERRNO(err, 0, "BPF_F_REPLACE, old program the link's");
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_COUNT], pid[PRI][P_PASS] },
		     (__u32[]){ link_id(l1), link_id(l2) }, r + 2, "count, pass");

	err = bpf_link_update(fd, pfd[PRI][P_COUNT], NULL);
	ASSERT_ERRNO(err, 0, "update to the link's own program");
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_COUNT], pid[PRI][P_PASS] },
		     (__u32[]){ link_id(l1), link_id(l2) }, r + 2, "no change, same revision");

	err = bpf_link_update(fd, pfd[PRI][P_PASS], NULL);
	ASSERT_ERRNO(err, EEXIST, "update to a program attached by another link");
out:
	destroy(&l1);
	destroy(&l2);
	expect_empty("links destroyed");
}

/* bpf_link_detach: the program goes, the link stays, without device. */
static void test_nk_link_detach(void)
{
	struct bpf_link *l1 = NULL, *l2 = NULL;
	__u32 links[1];

	if (!start())
		return;
	l1 = attach(PRI, P_COUNT, 0, 0, 0, 0, "count");
	l2 = attach(PEER, P_TALLY, 0, 0, 0, 0, "tally");
	if (!l1 || !l2)
		goto out;
	ASSERT_ERRNO(bpf_link_detach(bpf_link__fd(l1)), 0, "detach the primary's link");
	expect_chain(PRI, 0, NULL, NULL, 1, "primary's link detached");
	links[0] = link_id(l2);
	expect_chain(PEER, 1, &pid[PEER][P_TALLY], links, 0, "peer's link still there");
	expect_link_info(l1, pid[PRI][P_COUNT], 0, BPF_NETKIT_PRIMARY, "detached link");
	ASSERT_ERRNO(bpf_link_update(bpf_link__fd(l1), pfd[PRI][P_TALLY], NULL), ENOLINK,
		     "update of a detached link");
	ASSERT_ERRNO(bpf_link_detach(bpf_link__fd(l1)), 0, "detach the detached link again");
	if (traffic("peer only")) {
		expect_seen(PRI, P_COUNT, 0, 0, "peer only");
		expect_seen(PEER, P_TALLY, 0, pings, "peer only");
	}
	ASSERT_ERRNO(bpf_link_detach(bpf_link__fd(l2)), 0, "detach the peer's link");
	expect_empty("both detached");
	expect_link_info(l2, pid[PEER][P_TALLY], 0, BPF_NETKIT_PEER, "detached peer link");
out:
	destroy(&l1);
	destroy(&l2);
	expect_empty("links destroyed");
}

/* BPF_PROG_ATTACH/DETACH: attach, -EEXIST, BPF_F_REPLACE, -EBUSY for a link's program, -ENOENT. */
static void test_nk_prog_attach(void)
{
	struct bpf_link *ls = NULL;
	__u64 r;

	if (!start())
		return;
	if (!ASSERT_ERRNO(prog_attach(PRI, P_COUNT, prim, 0, 0, 0, 0), 0, "prog attach count"))
		return;
	r = expect_chain(PRI, 1, &pid[PRI][P_COUNT], (__u32[]){ 0 }, 0, "count");
	ASSERT_ERRNO(prog_attach(PRI, P_COUNT, prim, 0, 0, 0, 0), EEXIST, "prog attach count again");
	ASSERT_ERRNO(prog_attach(PRI, P_TALLY, prim, BPF_F_BEFORE, pfd[PRI][P_COUNT], 0, 0), 0,
		     "prog attach tally before count");
	ASSERT_ERRNO(prog_attach(PRI, P_PASS, prim, BPF_F_REPLACE, 0, pfd[PRI][P_TALLY], 0), 0,
		     "prog attach pass replacing tally");
	expect_chain(PRI, 2, (__u32[]){ pid[PRI][P_PASS], pid[PRI][P_COUNT] }, (__u32[]){ 0, 0 }, r + 2,
		     "pass, count");
	ls = attach(PRI, P_SPARE, BPF_F_AFTER, 0, 0, 0, "spare");
	expect_chain(PRI, 3, (__u32[]){ pid[PRI][P_PASS], pid[PRI][P_COUNT], pid[PRI][P_SPARE] },
		     (__u32[]){ 0, 0, link_id(ls) }, r + 3, "pass, count, spare");
	ASSERT_ERRNO(prog_detach(PRI, P_SPARE, prim, 0), EBUSY, "prog detach of a link's program");
	ASSERT_ERRNO(prog_detach(PRI, P_TALLY, prim, 0), ENOENT, "prog detach of a replaced program");
	if (traffic("pass, count, spare")) {
		expect_seen(PRI, P_PASS, pings, 0, "pass, count, spare");
		expect_seen(PRI, P_COUNT, 0, 0, "pass, count, spare");
		expect_seen(PRI, P_SPARE, 0, 0, "pass, count, spare");
	}
	ASSERT_ERRNO(prog_detach(PRI, P_PASS, prim, 0), 0, "prog detach pass");
	ASSERT_ERRNO(prog_detach(PRI, P_COUNT, prim, 0), 0, "prog detach count");
	destroy(&ls);
	expect_empty("all detached");
	ASSERT_ERRNO(prog_detach(PRI, P_COUNT, prim, 0), ENOENT, "prog detach without programs");

	ASSERT_ERRNO(prog_attach(PEER, P_TALLY, prim, 0, 0, 0, 0), 0, "prog attach tally at peer");
	expect_chain(PEER, 1, &pid[PEER][P_TALLY], (__u32[]){ 0 }, 0, "tally at peer");
	if (traffic("tally at peer"))
		expect_seen(PEER, P_TALLY, 0, pings, "tally at peer");
	ASSERT_ERRNO(prog_detach(PEER, P_TALLY, prim, 0), 0, "prog detach tally at peer");
	expect_empty("peer detached");
}

#define T(name) { #name, test_##name }
static const struct tp_test tests[] = {
	T(nk_kind),
	T(nk_query_empty),
	T(nk_errno_unknown_ifindex),
	T(nk_errno_other_kind),
	T(nk_errno_peer),
	T(nk_link_primary_peer),
	T(nk_order),
	T(nk_revision),
	T(nk_revision_after_empty),
	T(nk_link_update),
	T(nk_link_detach),
	T(nk_prog_attach),
};

/* --- commands ------------------------------------------------------------------ */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: nk_attach test --kind KIND --primary DEV --peer DEV [--peer-netns NS]\n"
		"                      [--other DEV]... [--ping CMD] [--pings N] [-v[v]] [-T SECONDS] [NAME...]\n"
		"       nk_attach create --kind KIND --primary NAME --peer NAME [--mode l2|l3]\n"
		"                        [--peer-netns NS]\n"
		"       nk_attach link --dev DEV --type primary|peer --prog NAME --pin PATH\n"
		"       nk_attach list\n");
	exit(2);
}

static int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "primary", required_argument, NULL, 'p' },
		{ "peer", required_argument, NULL, 'q' },
		{ "peer-netns", required_argument, NULL, 'n' },
		{ "other", required_argument, NULL, 'o' },
		{ "ping", required_argument, NULL, 'c' },
		{ "pings", required_argument, NULL, 'N' },
		{ 0 }
	};
	unsigned int timeout_s = 300;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "vT:", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': kind = optarg; break;
		case 'p': primary_arg = optarg; break;
		case 'q': peer_arg = optarg; break;
		case 'n': peer_netns = optarg; break;
		case 'o':
			if (others_cnt == (int)ARRAY_SIZE(others))
				usage();
			others[others_cnt++] = optarg;
			break;
		case 'c': ping_cmd = optarg; break;
		case 'N': pings = atoi(optarg); break;
		case 'v': env_verbosity++; break;
		case 'T': timeout_s = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!primary_arg || !peer_arg)
		usage();
	if (!others_cnt)
		others[others_cnt++] = "lo";
	tp_init();
	prim = dev_index(primary_arg);
	if (prim <= 0) {
		printf("# no device %s\n", primary_arg);
		return 1;
	}
	if (!enter_netns(peer_netns))
		return 1;
	peer = dev_index(peer_arg);
	leave_netns(peer_netns);
	if (peer <= 0) {
		printf("# no device %s in netns %s\n", peer_arg, peer_netns ? peer_netns : "(current)");
		return 1;
	}
	if (!load_both())
		return 1;
	printf("# kind %s: primary %s (ifindex %d), peer %s (ifindex %d%s%s), %d pings: %s\n", kind,
	       primary_arg, prim, peer_arg, peer, peer_netns ? " in netns " : "",
	       peer_netns ? peer_netns : "", pings, ping_cmd ? ping_cmd : "(none)");
	rc = tp_run(tests, ARRAY_SIZE(tests), argv + optind, argc - optind, timeout_s);
	nk_attach__destroy(sk[PRI]);
	nk_attach__destroy(sk[PEER]);
	return rc;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "primary", required_argument, NULL, 'p' },
		{ "peer", required_argument, NULL, 'q' },
		{ "mode", required_argument, NULL, 'm' },
		{ "peer-netns", required_argument, NULL, 'n' },
		{ 0 }
	};
	const char *name = NULL, *pname = NULL, *ns = NULL;
	int opt, mode = NETKIT_L3, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': kind = optarg; break;
		case 'p': name = optarg; break;
		case 'q': pname = optarg; break;
		case 'n': ns = optarg; break;
		case 'm':
			if (!strcmp(optarg, "l2"))
				mode = NETKIT_L2;
			else if (!strcmp(optarg, "l3"))
				mode = NETKIT_L3;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (!name || !pname || optind != argc)
		usage();
	err = create_pair(kind, name, pname, mode, ns);
	if (err) {
		fprintf(stderr, "nk_attach create %s %s/%s: %s\n", kind, name, pname, strerror(-err));
		return 1;
	}
	return 0;
}

static int cmd_link(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "type", required_argument, NULL, 't' },
		{ "prog", required_argument, NULL, 'P' },
		{ "pin", required_argument, NULL, 'i' },
		{ 0 }
	};
	const char *dev = NULL, *type = NULL, *name = NULL, *pin = NULL;
	struct nk_attach *s;
	struct bpf_program *p;
	struct bpf_link *l;
	int opt, ifx, loc, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 't': type = optarg; break;
		case 'P': name = optarg; break;
		case 'i': pin = optarg; break;
		default: usage();
		}
	}
	if (!dev || !type || !name || !pin || optind != argc)
		usage();
	if (!strcmp(type, "primary"))
		loc = PRI;
	else if (!strcmp(type, "peer"))
		loc = PEER;
	else
		usage();
	ifx = dev_index(dev);
	if (ifx <= 0) {
		fprintf(stderr, "nk_attach link: no device %s\n", dev);
		return 1;
	}
	s = load(loc_type[loc]);
	if (!s)
		return 1;
	p = bpf_object__find_program_by_name(s->obj, name);
	if (!p) {
		fprintf(stderr, "nk_attach link: no program %s\n", name);
		return 1;
	}
	l = bpf_program__attach_netkit(p, ifx, NULL);
	if (!l) {
		fprintf(stderr, "nk_attach link: attach %s at %s of %s: %s\n", name, type, dev,
			strerror(errno));
		return 1;
	}
	err = bpf_link__pin(l, pin);
	if (err) {
		fprintf(stderr, "nk_attach link: pin at %s: %s\n", pin, strerror(-err));
		return 1;
	}
	printf("prog_id %u link_id %u\n", prog_id_of(bpf_program__fd(p)), link_id(l));
	bpf_link__destroy(l);	/* closes our fd; the pin holds the link */
	nk_attach__destroy(s);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "test"))
		return cmd_test(argc - 1, argv + 1);
	if (!strcmp(argv[1], "create"))
		return cmd_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "link"))
		return cmd_link(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list")) {
		for (i = 0; i < ARRAY_SIZE(tests); i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	usage();
}
