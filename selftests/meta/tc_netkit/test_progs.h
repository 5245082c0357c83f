/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small stand-in for the kernel's tools/testing/selftests/bpf/test_progs.h,
 * enough for upstream's prog_tests/tc_netkit.c and prog_tests/tc_helpers.h
 * and for our nk_attach.c. Not a copy: the same names and the same semantics
 * for what those files use, written anew.
 *
 * Every ASSERT_*() evaluates its arguments once, returns whether it held and
 * leaves errno as it was. A failed one marks the running test failed
 * (test__fail()) and prints one KTAP diagnostic line:
 *
 *	# FAIL tc_netkit.c:203 serial_test_tc_netkit_basic: count: unexpected count: actual 0 != expected 1
 *
 * with the messages of upstream's macros. With -v a passed one prints
 * "# PASS file:line function: name".
 *
 * Tests run through tp_run() (test_progs.c), each in a child process, as KTAP
 * subtests: "ok N name", "ok N name # SKIP", "not ok N name".
 */
#ifndef __TEST_PROGS_H
#define __TEST_PROGS_H

#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/socket.h>

#include <linux/types.h>
typedef __u16 __sum16;
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>

#include <linux/bpf.h>
#include <linux/err.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf_endian.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#endif

/* 0: failures only; 1: also the passed asserts (-v); 2: also libbpf's debug output (-vv). */
extern int env_verbosity;

void test__fail(void);
void test__skip(void);
void test__force_log(void);
bool test__start_subtest(const char *name);
int write_sysctl(const char *sysctl, const char *value);

/* Reports one assert; returns ok. */
bool tp_report(bool ok, const char *file, int line, const char *func, const char *name,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Silences libbpf's warnings while nonzero (around calls expected to fail). */
extern int tp_libbpf_quiet;

struct tp_test {
	const char *name;
	void (*fn)(void);
};

/*
 * Runs the tests (only those named in only[], if only_cnt > 0), each in a
 * child process with a timeout of timeout_s seconds (0: none), and prints
 * KTAP. Returns the exit code: 0 if every test that ran passed or skipped, 1
 * otherwise (also when a name in only[] matches no test).
 */
int tp_run(const struct tp_test *tests, int cnt, char **only, int only_cnt, unsigned int timeout_s);

/* Line-buffered stdout, libbpf's output as "# libbpf: " diagnostics. */
void tp_init(void);

#define __TP_CHECK(ok, name, fmt, ...) ({					\
	bool ___tp_ok = (ok);							\
	int ___tp_errno = errno;						\
	tp_report(___tp_ok, __FILE__, __LINE__, __func__, (name),		\
		  fmt, ##__VA_ARGS__);						\
	errno = ___tp_errno;							\
	___tp_ok;								\
})

/* Upstream's CHECK(condition, tag, format...): fails when condition is true. */
#define CHECK(condition, tag, format...) ({					\
	bool ___tp_cond = !!(condition);					\
	__TP_CHECK(!___tp_cond, (tag), format);					\
	___tp_cond;								\
})

#define CHECK_FAIL(condition) ({						\
	bool ___tp_cond = !!(condition);					\
	__TP_CHECK(!___tp_cond, #condition, "condition true");			\
	___tp_cond;								\
})

#define PRINT_FAIL(format...) ({						\
	__TP_CHECK(false, "", format);						\
})

#define ASSERT_FAIL(fmt, args...) ({						\
	__TP_CHECK(false, "", fmt, ##args);					\
	false;									\
})

#define ASSERT_TRUE(actual, name) ({						\
	bool ___ok = (actual);							\
	__TP_CHECK(___ok, (name), "unexpected %s: got FALSE", (name));		\
})

#define ASSERT_FALSE(actual, name) ({						\
	bool ___ok = !(actual);							\
	__TP_CHECK(___ok, (name), "unexpected %s: got TRUE", (name));		\
})

#define __TP_CMP(actual, expected, name, op, nop) ({				\
	typeof(actual) ___act = (actual);					\
	typeof(expected) ___exp = (expected);					\
	bool ___ok = ___act op ___exp;						\
	__TP_CHECK(___ok, (name),						\
		   "unexpected %s: actual %lld " #nop " expected %lld",		\
		   (name), (long long)(___act), (long long)(___exp));		\
})

#define ASSERT_EQ(actual, expected, name) __TP_CMP(actual, expected, name, ==, !=)
#define ASSERT_NEQ(actual, expected, name) __TP_CMP(actual, expected, name, !=, ==)
#define ASSERT_LT(actual, expected, name) __TP_CMP(actual, expected, name, <, >=)
#define ASSERT_LE(actual, expected, name) __TP_CMP(actual, expected, name, <=, >)
#define ASSERT_GT(actual, expected, name) __TP_CMP(actual, expected, name, >, <=)
#define ASSERT_GE(actual, expected, name) __TP_CMP(actual, expected, name, >=, <)

#define ASSERT_STREQ(actual, expected, name) ({				\
	const char *___act = (actual);						\
	const char *___exp = (expected);					\
	bool ___ok = strcmp(___act, ___exp) == 0;				\
	__TP_CHECK(___ok, (name), "unexpected %s: actual '%s' != expected '%s'",\
		   (name), ___act, ___exp);					\
})

#define ASSERT_STRNEQ(actual, expected, len, name) ({				\
	const char *___act = (actual);						\
	const char *___exp = (expected);					\
	int ___len = (len);							\
	bool ___ok = strncmp(___act, ___exp, ___len) == 0;			\
	__TP_CHECK(___ok, (name),						\
		   "unexpected %s: actual '%.*s' != expected '%.*s'",		\
		   (name), ___len, ___act, ___len, ___exp);			\
})

#define ASSERT_HAS_SUBSTR(str, substr, name) ({				\
	const char *___str = (str);						\
	const char *___substr = (substr);					\
	bool ___ok = strstr(___str, ___substr) != NULL;			\
	__TP_CHECK(___ok, (name), "unexpected %s: '%s' is not a substring of '%s'",\
		   (name), ___substr, ___str);					\
})

#define ASSERT_OK(res, name) ({						\
	long long ___res = (res);						\
	bool ___ok = ___res == 0;						\
	__TP_CHECK(___ok, (name), "unexpected error: %lld (errno %d)",		\
		   ___res, errno);						\
})

#define ASSERT_ERR(res, name) ({						\
	long long ___res = (res);						\
	bool ___ok = ___res < 0;						\
	__TP_CHECK(___ok, (name), "unexpected success: %lld", ___res);		\
})

#define ASSERT_NULL(ptr, name) ({						\
	const void *___res = (ptr);						\
	bool ___ok = !___res;							\
	__TP_CHECK(___ok, (name), "unexpected pointer: %p", ___res);		\
})

#define ASSERT_OK_PTR(ptr, name) ({						\
	const void *___res = (ptr);						\
	int ___err = libbpf_get_error(___res);					\
	bool ___ok = ___err == 0;						\
	__TP_CHECK(___ok, (name), "unexpected error: %d", ___err);		\
})

#define ASSERT_ERR_PTR(ptr, name) ({						\
	const void *___res = (ptr);						\
	int ___err = libbpf_get_error(___res);					\
	bool ___ok = ___err != 0;						\
	__TP_CHECK(___ok, (name), "unexpected pointer: %p", ___res);		\
})

#define ASSERT_OK_FD(fd, name) ({						\
	int ___fd = (fd);							\
	bool ___ok = ___fd >= 0;						\
	__TP_CHECK(___ok, (name), "unexpected fd: %d (errno %d)",		\
		   ___fd, errno);						\
})

#define SYS(goto_label, fmt, ...) ({						\
	char cmd[1024];								\
	snprintf(cmd, sizeof(cmd), fmt, ##__VA_ARGS__);			\
	if (!ASSERT_OK(system(cmd), cmd))					\
		goto goto_label;						\
})

#define ALL_TO_DEV_NULL " >/dev/null 2>&1"

#define SYS_NOFAIL(fmt, ...) ({						\
	char cmd[1024];								\
	int n;									\
	n = snprintf(cmd, sizeof(cmd), fmt, ##__VA_ARGS__);			\
	if (n < (int)sizeof(cmd) &&						\
	    sizeof(cmd) - n >= sizeof(ALL_TO_DEV_NULL))			\
		strcat(cmd, ALL_TO_DEV_NULL);					\
	system(cmd);								\
})

static inline __u64 ptr_to_u64(const void *ptr)
{
	return (__u64)(unsigned long)ptr;
}

static inline void *u64_to_ptr(__u64 ptr)
{
	return (void *)(unsigned long)ptr;
}

#endif /* __TEST_PROGS_H */
