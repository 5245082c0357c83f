// SPDX-License-Identifier: GPL-2.0
/*
 * The harness behind test_progs.h: assert reports, write_sysctl() and the
 * KTAP runner. See test_progs.h.
 */
#include "test_progs.h"

int env_verbosity;
int tp_libbpf_quiet;

/* Of the running test (in its child process). */
static int error_cnt;
static bool skipped;

void test__fail(void)
{
	error_cnt++;
}

void test__skip(void)
{
	skipped = true;
}

void test__force_log(void)
{
}

/* Upstream's subtests are filtered and reported apart; here a subtest is a
 * named part of its test: always run, its failures are the test's.
 */
bool test__start_subtest(const char *name)
{
	printf("# subtest %s\n", name);
	return true;
}

bool tp_report(bool ok, const char *file, int line, const char *func, const char *name,
	       const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	char msg[1024];
	size_t n;
	va_list ap;

	if (ok && env_verbosity < 1)
		return ok;
	base = base ? base + 1 : file;
	if (ok) {
		printf("# PASS %s:%d %s: %s\n", base, line, func, name);
		return ok;
	}
	test__fail();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	printf("# FAIL %s:%d %s: %s%s%s\n", base, line, func, name, *name ? ": " : "", msg);
	return ok;
}

/* Upstream's write_sysctl() (test_progs.c), with its asserts. */
int write_sysctl(const char *sysctl, const char *value)
{
	int fd, err, len;

	fd = open(sysctl, O_WRONLY);
	if (!ASSERT_NEQ(fd, -1, "open sysctl"))
		return -1;

	len = strlen(value);
	err = write(fd, value, len);
	close(fd);
	if (!ASSERT_EQ(err, len, "write sysctl"))
		return -1;

	return 0;
}

/* libbpf's messages as diagnostics, one "# libbpf: " line per line. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[4096], *line, *save = NULL;

	if (level == LIBBPF_DEBUG && env_verbosity < 2)
		return 0;
	if (level == LIBBPF_WARN && tp_libbpf_quiet && env_verbosity < 1)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# libbpf: %s\n", line);
	return 0;
}

void tp_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* system()'s children write to the same stdout: no buffered stderr either. */
	setvbuf(stderr, NULL, _IONBF, 0);
	libbpf_set_print(libbpf_print);
}

static bool selected(const char *name, char **only, int only_cnt, bool *used)
{
	int i;
	bool hit = only_cnt == 0;

	for (i = 0; i < only_cnt; i++) {
		if (strcmp(only[i], name) == 0) {
			used[i] = true;
			hit = true;
		}
	}
	return hit;
}

int tp_run(const struct tp_test *tests, int cnt, char **only, int only_cnt, unsigned int timeout_s)
{
	bool used[64] = {};
	int i, k = 0, n = 0, failed = 0, status;
	pid_t pid;

	if (only_cnt > (int)ARRAY_SIZE(used)) {
		printf("# too many test names\n");
		return 1;
	}
	for (i = 0; i < cnt; i++)
		if (selected(tests[i].name, only, only_cnt, used))
			n++;
	printf("TAP version 13\n1..%d\n", n);
	for (i = 0; i < cnt; i++) {
		if (!selected(tests[i].name, only, only_cnt, used))
			continue;
		k++;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			printf("not ok %d %s # fork: %s\n", k, tests[i].name, strerror(errno));
			failed++;
			continue;
		}
		if (pid == 0) {
			/* The child: SIGALRM's default action ends it. */
			error_cnt = 0;
			skipped = false;
			alarm(timeout_s);
			tests[i].fn();
			fflush(stdout);
			_exit(error_cnt ? 1 : skipped ? 4 : 0);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %d %s\n", k, tests[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
			printf("ok %d %s # SKIP\n", k, tests[i].name);
		} else if (WIFEXITED(status)) {
			printf("not ok %d %s\n", k, tests[i].name);
			failed++;
		} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			printf("not ok %d %s # TIMEOUT %us\n", k, tests[i].name, timeout_s);
			failed++;
		} else {
			printf("not ok %d %s # killed by signal %d\n", k, tests[i].name,
			       WIFSIGNALED(status) ? WTERMSIG(status) : -1);
			failed++;
		}
	}
	for (i = 0; i < only_cnt; i++) {
		if (!used[i]) {
			printf("# no test named %s\n", only[i]);
			failed++;
		}
	}
	printf("# %d of %d tests failed\n", failed, n);
	return failed ? 1 : 0;
}
