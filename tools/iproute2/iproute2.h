/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of the ABI of iproute2 6.1's "ip" (Debian 12, package iproute2
 * 6.1.0-3) that link_meta.so uses. ip is linked with -export-dynamic: a
 * link_<kind>.so found in $IP_LIB_DIR is dlopen()ed by get_link_kind() in
 * ip/iplink.c and its symbol <kind>_link_util is the struct link_util below.
 *
 * Every declaration is copied from the v6.1.0 tag of iproute2 (file named in
 * each comment), and every function and variable is exported by /usr/bin/ip
 * ("nm -D /usr/bin/ip" lists it with T). Helpers that are static inline or
 * macros in iproute2 (print_string() and friends, NEXT_ARG, rta_getattr_*)
 * are redefined here on top of the exported functions.
 */
#ifndef META_IPROUTE2_H
#define META_IPROUTE2_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* ip/ip_common.h */
struct iplink_req {
	struct nlmsghdr		n;
	struct ifinfomsg	i;
	char			buf[1024];
};

/* ip/ip_common.h: the layout of 6.1 (newer releases have the same fields). */
struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *, int, char **,
					     struct nlmsghdr *);
	void			(*print_opt)(struct link_util *, FILE *,
					     struct rtattr *[]);
	void			(*print_xstats)(struct link_util *, FILE *,
						struct rtattr *);
	void			(*print_help)(struct link_util *, int, char **,
					      FILE *);
	int			(*parse_ifla_xstats)(struct link_util *,
						     int, char **);
	int			(*print_ifla_xstats)(struct nlmsghdr *, void *);
};

/* ip/iplink.c: parses the generic link options (name, netns, address, mtu,
 * ...) into req, up to "type"; returns the number of words consumed. */
int iplink_parse(int argc, char **argv, struct iplink_req *req, char **type);

/* include/utils.h, lib/utils.c: the error helpers print iproute2's usual
 * message and exit(-1). */
void incomplete_command(void) __attribute__((noreturn));
void missarg(const char *key) __attribute__((noreturn));
void invarg(const char *msg, const char *arg) __attribute__((noreturn));
void duparg(const char *key, const char *arg) __attribute__((noreturn));
/* false (0) when prefix is a prefix of string */
bool matches(const char *prefix, const char *string);
int get_u16(__u16 *val, const char *arg, int base);
int get_u32(__u32 *val, const char *arg, int base);

#define NEXT_ARG() do { argv++; if (--argc <= 0) incomplete_command(); } while (0)
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))

/* include/libnetlink.h, lib/libnetlink.c */
int addattr8(struct nlmsghdr *n, int maxlen, int type, __u8 data);
int addattr16(struct nlmsghdr *n, int maxlen, int type, __u16 data);
int addattr32(struct nlmsghdr *n, int maxlen, int type, __u32 data);
int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen);
struct rtattr *addattr_nest(struct nlmsghdr *n, int maxlen, int type);
int addattr_nest_end(struct nlmsghdr *n, struct rtattr *nest);

static inline __u8 rta_getattr_u8(const struct rtattr *rta)
{
	return *(const __u8 *)RTA_DATA(rta);
}

static inline __u16 rta_getattr_u16(const struct rtattr *rta)
{
	return *(const __u16 *)RTA_DATA(rta);
}

static inline __u32 rta_getattr_u32(const struct rtattr *rta)
{
	return *(const __u32 *)RTA_DATA(rta);
}

/* include/json_print.h, include/color.h, lib/json_print.c. Output goes to
 * stdout (the FILE * of print_opt is not used by these). */
enum output_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = 4,
};

enum color_attr {
	COLOR_IFNAME,
	COLOR_MAC,
	COLOR_INET,
	COLOR_INET6,
	COLOR_OPERSTATE_UP,
	COLOR_OPERSTATE_DOWN,
	COLOR_NONE
};

bool is_json_context(void);
int print_color_string(enum output_type t, enum color_attr color,
		       const char *key, const char *fmt, const char *value);
int print_color_uint(enum output_type t, enum color_attr color,
		     const char *key, const char *fmt, unsigned int value);

static inline int print_string(enum output_type t, const char *key,
			       const char *fmt, const char *value)
{
	return print_color_string(t, COLOR_NONE, key, fmt, value);
}

static inline int print_uint(enum output_type t, const char *key,
			     const char *fmt, unsigned int value)
{
	return print_color_uint(t, COLOR_NONE, key, fmt, value);
}

#endif /* META_IPROUTE2_H */
