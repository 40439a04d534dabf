/* SPDX-License-Identifier: MIT */
/*
 * The in-process half of the benchmark (bench/run builds and drives it; it is
 * not part of the tests): one process that opens a warm session per spec and
 * then, each iteration, runs posix_spawn("/bin/true") + waitpid and one warm
 * ag3_session_exec of /bin/true in every session, in a freshly shuffled order,
 * timing each with CLOCK_MONOTONIC from just before the call until the child
 * has been reaped. Warm-up iterations are run and discarded.
 *
 *   api-bench [-n ITER] [-w WARMUP] [-t SECONDS] [-p PAUSE_MS] [--uid N --gid N]
 *             [--workspace DIR] LABEL=SPEC.json|LABEL=- ...
 *
 * -p sleeps PAUSE_MS before each timed call (not timed): an agent's commands
 * come seconds apart, and a session's spare command init is made between them.
 *
 * "-" opens the session from the default profile (ag3_session_open), a path
 * from a compiled spec (ag3_context_load_spec + ag3_session_open_spec). The
 * samples go to stdout as JSON lines after the last iteration,
 *   {"case":"posix_spawn","ms":2.412}
 *   {"case":"api","label":"0","ms":2.901}
 * so nothing is printed while the sandboxed commands run. Bounded by ITER
 * (default 300) and by -t (default 600 s) whichever comes first. Every session
 * opened is closed before exit, on error too. Exit status 0, or 1 with a
 * message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ag3ntum-sandbox.h"

extern char **environ;

#define MAX_SPECS 16
#define MAX_ITER 1000000

struct bench_case {
	const char *label;           /* NULL: the posix_spawn baseline */
	struct ag3_session *session; /* NULL for the baseline */
	double *ms;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die_err(const char *what, int r, struct ag3_error *err)
{
	char *msg = err ? ag3_error_format(err) : NULL;

	fprintf(stderr, "api-bench: %s: %s (%s)\n", what, msg ? msg : "no message", strerror(-r));
	free(msg);
	ag3_error_free(err);
}

/* posix_spawn("/bin/true") + waitpid: 0 or -1 with a message. */
static int run_spawn(void)
{
	char *const argv[] = {"/bin/true", NULL};
	pid_t pid;
	int r, status;

	r = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	if (r != 0) {
		fprintf(stderr, "api-bench: posix_spawn: %s\n", strerror(r));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("api-bench: waitpid");
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "api-bench: /bin/true ended with status 0x%x\n", status);
		return -1;
	}
	return 0;
}

/* One warm exec of /bin/true in `s`: 0 or -1 with a message. */
static int run_api(struct ag3_session *s, const struct ag3_command *cmd, const char *label)
{
	struct ag3_exec_result *res = NULL;
	struct ag3_error *err = NULL;
	int r, code;

	r = ag3_session_exec(s, cmd, &res, &err);
	if (r < 0) {
		die_err("ag3_session_exec", r, err);
		return -1;
	}
	code = ag3_exec_result_exit_code(res);
	ag3_exec_result_free(res);
	ag3_error_free(err);
	if (code != 0) {
		fprintf(stderr, "api-bench: session %s: /bin/true exited %d\n", label, code);
		return -1;
	}
	return 0;
}

/* xorshift64*: enough to shuffle the order of a handful of cases. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

static void shuffle(int *v, int n, uint64_t *seed)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rnd(seed) % (uint64_t)(i + 1));
		int t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static int parse_num(const char *s, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	*ret = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: api-bench [-n ITER] [-w WARMUP] [-t SECONDS] [-p PAUSE_MS] [--uid "
			"N --gid N] "
			"[--workspace DIR] LABEL=SPEC.json|LABEL=- ...\n");
}

int main(int argc, char **argv)
{
	struct bench_case cases[MAX_SPECS + 1] = {{0}};
	struct ag3_context *ctx = NULL;
	struct ag3_command *cmd = NULL;
	char *const true_argv[] = {"/bin/true", NULL};
	long iter = 300, warmup = 10, seconds = 600, uid = -1, gid = -1, pause_ms = 0;
	const char *workspace = NULL;
	int ncases = 1, done = 0, ret = 1, i;
	uint64_t seed;
	double deadline;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = !v;

		if (!bad && !strcmp(o, "-n"))
			bad = parse_num(v, MAX_ITER, &iter) < 0;
		else if (!bad && !strcmp(o, "-w"))
			bad = parse_num(v, MAX_ITER, &warmup) < 0;
		else if (!bad && !strcmp(o, "-t"))
			bad = parse_num(v, 86400, &seconds) < 0;
		else if (!bad && !strcmp(o, "-p"))
			bad = parse_num(v, 10000, &pause_ms) < 0;
		else if (!bad && !strcmp(o, "--uid"))
			bad = parse_num(v, UINT32_MAX - 1, &uid) < 0;
		else if (!bad && !strcmp(o, "--gid"))
			bad = parse_num(v, UINT32_MAX - 1, &gid) < 0;
		else if (!bad && !strcmp(o, "--workspace"))
			workspace = v;
		else
			bad = 1;
		if (bad) {
			usage();
			return 1;
		}
		i++;
	}
	if (i == argc || argc - i > MAX_SPECS || (uid < 0) != (gid < 0)) {
		usage();
		return 1;
	}

	ctx = ag3_context_new();
	cmd = ag3_command_new();
	if (!ctx || !cmd || ag3_command_set_argv(cmd, true_argv) < 0) {
		fprintf(stderr, "api-bench: out of memory\n");
		goto out;
	}
	if (uid >= 0 && ag3_context_set_ids(ctx, (uid_t)uid, (gid_t)gid) < 0) {
		fprintf(stderr, "api-bench: ag3_context_set_ids(%ld, %ld) refused\n", uid, gid);
		goto out;
	}
	if (workspace && ag3_context_set_workspace(ctx, workspace) < 0) {
		fprintf(stderr, "api-bench: ag3_context_set_workspace(%s) refused\n", workspace);
		goto out;
	}
	for (; i < argc; i++) {
		struct bench_case *c = &cases[ncases];
		char *eq = strchr(argv[i], '=');
		struct ag3_error *err = NULL;
		int r;

		if (!eq || eq == argv[i] || !eq[1]) {
			usage();
			goto out;
		}
		*eq = '\0';
		if (strspn(argv[i], "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(argv[i])) {
			fprintf(stderr, "api-bench: a label is [a-z0-9_-]+, not '%s'\n", argv[i]);
			goto out;
		}
		c->label = argv[i];
		if (!strcmp(eq + 1, "-")) {
			r = ag3_session_open(ctx, &c->session, &err);
		} else {
			struct ag3_spec *spec = NULL;

			r = ag3_context_load_spec(ctx, eq + 1, &spec, &err);
			if (r >= 0)
				r = ag3_session_open_spec(ctx, spec, &c->session, &err);
			ag3_spec_free(spec);
		}
		if (r < 0) {
			die_err(eq + 1, r, err);
			goto out;
		}
		ag3_error_free(err);
		ncases++;
	}
	for (i = 0; i < ncases; i++) {
		cases[i].ms = calloc((size_t)iter + 1, sizeof(double));
		if (!cases[i].ms) {
			fprintf(stderr, "api-bench: out of memory\n");
			goto out;
		}
	}

	seed = ((uint64_t)now_ms() * 1000003u ^ (uint64_t)getpid() << 32) | 1;
	deadline = now_ms() + (double)seconds * 1e3;
	for (long it = 0; it < warmup + iter && now_ms() < deadline; it++) {
		int order[MAX_SPECS + 1];

		for (i = 0; i < ncases; i++)
			order[i] = i;
		shuffle(order, ncases, &seed);
		for (i = 0; i < ncases; i++) {
			struct bench_case *c = &cases[order[i]];
			if (pause_ms) {
				struct timespec ts = {pause_ms / 1000, pause_ms % 1000 * 1000000L};
				nanosleep(&ts, NULL);
			}
			double t0 = now_ms(), t1;
			int r = c->session ? run_api(c->session, cmd, c->label) : run_spawn();

			t1 = now_ms();
			if (r < 0)
				goto out;
			if (it >= warmup)
				c->ms[it - warmup] = t1 - t0;
		}
		if (it >= warmup)
			done++;
	}
	for (long it = 0; it < done; it++)
		for (i = 0; i < ncases; i++)
			if (cases[i].session)
				printf("{\"case\":\"api\",\"label\":\"%s\",\"ms\":%.4f}\n",
				       cases[i].label, cases[i].ms[it]);
			else
				printf("{\"case\":\"posix_spawn\",\"ms\":%.4f}\n", cases[i].ms[it]);
	if (done < iter)
		fprintf(stderr, "api-bench: stopped by the %ld s cap after %d of %ld iterations\n",
			seconds, done, iter);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	for (i = 0; i < ncases; i++) {
		if (cases[i].session && ag3_session_close(cases[i].session) < 0) {
			fprintf(stderr, "api-bench: closing session %s failed\n", cases[i].label);
			ret = 1;
		}
		free(cases[i].ms);
	}
	ag3_command_free(cmd);
	ag3_context_free(ctx);
	return ret;
}
