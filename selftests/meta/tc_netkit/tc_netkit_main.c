// SPDX-License-Identifier: GPL-2.0
/*
 * main() of tc_netkit and tc_meta: runs the tests of upstream's
 * prog_tests/tc_netkit.c, whose list the Makefile took from the file
 * (tc_netkit_tests.h: TEST(function, name) per test), as KTAP subtests.
 *
 *	tc_netkit [-v[v]] [-l] [-T SECONDS] [NAME...]
 *
 * NAME: run only these tests (e.g. tc_netkit_basic); -l lists the names;
 * -T: a timeout per test (default 300 s, 0 none). Exit 0 iff every test
 * that ran passed. The tests create the device "nk1" (tc_meta: "meta1") and
 * the netns "foo" and must run alone.
 */
#include <getopt.h>

#include "test_progs.h"

#define TEST(fn, name) void fn(void);
#include "tc_netkit_tests.h"
#undef TEST

static const struct tp_test tests[] = {
#define TEST(fn, name) { #name, fn },
#include "tc_netkit_tests.h"
#undef TEST
};

int main(int argc, char **argv)
{
	unsigned int timeout_s = 300;
	int opt;
	size_t i;

	while ((opt = getopt(argc, argv, "vlT:")) != -1) {
		switch (opt) {
		case 'v':
			env_verbosity++;
			break;
		case 'l':
			for (i = 0; i < ARRAY_SIZE(tests); i++)
				printf("%s\n", tests[i].name);
			return 0;
		case 'T':
			timeout_s = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-v[v]] [-l] [-T SECONDS] [NAME...]\n", argv[0]);
			return 2;
		}
	}
	tp_init();
	return tp_run(tests, ARRAY_SIZE(tests), argv + optind, argc - optind, timeout_s);
}
