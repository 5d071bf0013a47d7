/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Start-up benchmark helper (tests/bench/startup-bench.sh): runs command A
 * and command B alternately, N times each, and prints
 *     <median wall us A> <median wall us B> <peak RSS KiB A> <peak RSS KiB B> <failures A> <failures B>
 * Wall time is from just before vfork() to the child's reaping, i.e. the
 * whole process as a caller (the kernel's request_module, a script) sees
 * it. Peak RSS is wait4()'s ru_maxrss; after vfork() it includes this small
 * helper's own footprint, equally for both commands. Output goes to
 * /dev/null, input comes from /dev/null.
 *
 * Usage: spawn-stats N CMD_A... --- CMD_B...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp_long(const void *a, const void *b) {
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static long now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* Runs argv once; returns its wall time in us, stores peak RSS and whether it failed. */
static long run(char **argv, long *rss, int *failed) {
	long start = now_us();
	pid_t pid = vfork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	wait4(pid, &status, 0, &ru);
	long wall = now_us() - start;
	*rss = ru.ru_maxrss;
	*failed = !WIFEXITED(status) || WEXITSTATUS(status) == 127 || WIFSIGNALED(status);
	return wall;
}

int main(int argc, char **argv) {
	if (argc < 4) {
		fputs("usage: spawn-stats N CMD_A... --- CMD_B...\n", stderr);
		return 2;
	}
	int n = atoi(argv[1]);
	char **a = argv + 2, **b = NULL;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "---") == 0) {
			argv[i] = NULL;
			b = argv + i + 1;
		}
	if (n <= 0 || b == NULL || *a == NULL || *b == NULL) {
		fputs("spawn-stats: need N > 0 and two commands separated by ---\n", stderr);
		return 2;
	}
	long *wa = calloc(n, sizeof *wa), *wb = calloc(n, sizeof *wb), rss_a = 0, rss_b = 0, rss;
	int fail_a = 0, fail_b = 0, failed;
	for (int i = 0; i < n; i++) {
		/* Alternate which goes first, so neither always runs on a warm cache. */
		if (i % 2 == 0) {
			wa[i] = run(a, &rss, &failed); fail_a += failed; if (rss > rss_a) rss_a = rss;
			wb[i] = run(b, &rss, &failed); fail_b += failed; if (rss > rss_b) rss_b = rss;
		} else {
			wb[i] = run(b, &rss, &failed); fail_b += failed; if (rss > rss_b) rss_b = rss;
			wa[i] = run(a, &rss, &failed); fail_a += failed; if (rss > rss_a) rss_a = rss;
		}
	}
	qsort(wa, n, sizeof *wa, cmp_long);
	qsort(wb, n, sizeof *wb, cmp_long);
	printf("%ld %ld %ld %ld %d %d\n", wa[n / 2], wb[n / 2], rss_a, rss_b, fail_a, fail_b);
	return 0;
}
