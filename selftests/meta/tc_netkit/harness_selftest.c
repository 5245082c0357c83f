// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's own test, on the host ("make selftest"): every ASSERT_*()
 * returns whether it held, keeps errno, and fails its test only when it does
 * not hold; tp_run() reports pass, failure, skip, crash and timeout as KTAP
 * and exits 1 when a test failed. The Makefile compares the output with
 * harness_selftest.expected.
 */
#include "test_progs.h"

static int held, failed_asserts;

#define EXPECT(cond) do { if (cond) held++; else { printf("# BROKEN line %d\n", __LINE__); _exit(3); } } while (0)

/* Every assert holds: none may report or fail the test; each returns true. */
static void test_holds(void)
{
	int x = 7;
	__u32 u = 2;
	void *p = &x;

	errno = 42;
	EXPECT(ASSERT_EQ(x, 7, "eq"));
	EXPECT(errno == 42);
	EXPECT(ASSERT_NEQ(u, 3, "neq"));
	EXPECT(ASSERT_LT(x, 8, "lt"));
	EXPECT(ASSERT_LE(x, 7, "le"));
	EXPECT(ASSERT_GT(u, 1, "gt"));
	EXPECT(ASSERT_GE(u, 2, "ge"));
	EXPECT(ASSERT_TRUE(x == 7, "true"));
	EXPECT(ASSERT_FALSE(x == 8, "false"));
	EXPECT(ASSERT_OK(0, "ok"));
	EXPECT(ASSERT_ERR(-1, "err"));
	EXPECT(ASSERT_OK_PTR(p, "ok_ptr"));
	errno = ENOENT;
	EXPECT(ASSERT_ERR_PTR(NULL, "err_ptr"));	/* libbpf_get_error(NULL): -errno */
	EXPECT(ASSERT_NULL(NULL, "null"));
	EXPECT(ASSERT_OK_FD(0, "ok_fd"));
	EXPECT(ASSERT_STREQ("ab", "ab", "streq"));
	EXPECT(ASSERT_STRNEQ("abc", "abd", 2, "strneq"));
	EXPECT(ASSERT_HAS_SUBSTR("netkit", "kit", "substr"));
	EXPECT(!CHECK(false, "check", "never printed\n"));
	EXPECT(errno == ENOENT);
}

/* Every assert fails: each reports one line, returns false, keeps errno. */
static void test_fails(void)
{
	int x = 7;

	errno = 42;
	failed_asserts += !ASSERT_EQ(x, 8, "eq");
	EXPECT(errno == 42);
	failed_asserts += !ASSERT_NEQ(x, 7, "neq");
	failed_asserts += !ASSERT_GT(x, 7, "gt");
	failed_asserts += !ASSERT_GE(x, 8, "ge");
	failed_asserts += !ASSERT_OK(-13, "ok");
	failed_asserts += !ASSERT_ERR(0, "err");
	failed_asserts += !ASSERT_OK_PTR(NULL, "ok_ptr");
	failed_asserts += !ASSERT_ERR_PTR(&x, "err_ptr");
	failed_asserts += !ASSERT_STREQ("a", "b", "streq");
	failed_asserts += CHECK(true, "check", "cond %d\n", 1);
	EXPECT(failed_asserts == 10);
	EXPECT(errno == 42);
}

static void test_skips(void)
{
	test__skip();
}

static void test_crashes(void)
{
	raise(SIGSEGV);
}

static void test_hangs(void)
{
	pause();
}

static void test_sysctl(void)
{
	/* write_sysctl() on a path that cannot be opened: -1 and one failure. */
	EXPECT(write_sysctl("/nonexistent/sysctl", "1") == -1);
}

int main(int argc, char **argv)
{
	static const struct tp_test tests[] = {
		{ "holds", test_holds },
		{ "fails", test_fails },
		{ "skips", test_skips },
		{ "crashes", test_crashes },
		{ "hangs", test_hangs },
		{ "sysctl", test_sysctl },
	};

	tp_init();
	return tp_run(tests, ARRAY_SIZE(tests), argv + 1, argc - 1, 1);
}
