/* SPDX-License-Identifier: MIT */
/*
 * The session API (agent/ag3ntum-sandbox.h) from a multi-threaded embedder,
 * built against the shared library alone: one session, 8 threads x 50 commands
 * at once (argv and shell forms, capture, stdin bytes, env, cwd, timeouts, exit
 * codes, the caller's fds), each result checked; then the caps, cancel, a
 * broker that dies, the uid policy; and after close: no broker or holder
 * process, no child, no fd left in this process.
 *
 *   api-session WORKSPACE plain|sigchld|sigign
 *
 * sigchld: an embedder with its own SIGCHLD handler (SA_NOCLDSTOP, no
 * SA_RESTART, reaping every child it can) and a thread spawning children all
 * along; sigign: SIGCHLD ignored. Prints one line per failure and "N failures".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ag3ntum-sandbox.h>

#define THREADS 8
#define PER_THREAD 50

static atomic_int failures, checks;
static atomic_int sigchld_seen;
static const char *mode;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		atomic_fetch_add(&checks, 1);                                                      \
		if (!(cond)) {                                                                     \
			atomic_fetch_add(&failures, 1);                                            \
			char m_[512];                                                              \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                                     \
			printf("FAIL %s:%d %s\n", __FILE__, __LINE__, m_);                         \
			fflush(stdout);                                                            \
		}                                                                                  \
	} while (0)

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n - 1; /* the directory's own */
}

/* ppid and start time of a process; 0 or -1 (gone). */
static int proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	char st;
	int pp;
	unsigned long long t;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice threads itrealvalue starttime */
	if (sscanf(p + 2,
		   "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &st, &pp, &t) != 3)
		return -1;
	if (st == 'Z' || st == 'X')
		return -1;
	*ppid = pp;
	*start = t;
	return 0;
}

struct proc {
	pid_t pid;
	unsigned long long start;
};

/* Every live descendant of `root` (breadth first through /proc). */
static size_t descendants(pid_t root, struct proc *out, size_t max)
{
	size_t n = 0;
	pid_t frontier[256];
	size_t nf = 0;
	frontier[nf++] = root;
	for (size_t k = 0; k < nf && n < max; k++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d)) && n < max) {
			pid_t pid = (pid_t)atoi(e->d_name);
			pid_t pp;
			unsigned long long st;
			if (pid <= 0 || proc_stat(pid, &pp, &st) < 0 || pp != frontier[k])
				continue;
			out[n++] = (struct proc){pid, st};
			if (nf < 256)
				frontier[nf++] = pid;
		}
		if (d)
			closedir(d);
	}
	return n;
}

static bool alive(const struct proc *p)
{
	pid_t pp;
	unsigned long long st;
	return proc_stat(p->pid, &pp, &st) == 0 && st == p->start;
}

struct job {
	struct ag3_session *s;
	int t;
};

static struct ag3_exec_result *run(struct ag3_session *s, struct ag3_command *c)
{
	struct ag3_exec_result *r = NULL;
	struct ag3_error *err = NULL;
	int rc = ag3_session_exec(s, c, &r, &err);
	char *m = err ? ag3_error_format(err) : NULL;
	CHECK(rc == 0 && r, "exec: %d %s", rc, m ? m : "");
	free(m);
	ag3_error_free(err);
	return r;
}

static bool out_is(const struct ag3_exec_result *r, const char *want)
{
	return r->stdout_data && r->stdout_len == strlen(want) && !strcmp(r->stdout_data, want);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		char tag[64], want[128];
		snprintf(tag, sizeof(tag), "t%d-i%d", j->t, i);
		struct ag3_command *c = ag3_command_new();
		CHECK(c, "command_new");
		if (!c)
			continue;
		int kind = i % 8, code = 0, fd = -1;
		char eq[] = "echo", pwd[] = "pwd";
		switch (kind) {
		case 0: /* argv form, captured */
			ag3_command_set_argv(c, (char *const[]){eq, tag, NULL});
			ag3_command_set_capture(c, 0);
			snprintf(want, sizeof(want), "%s\n", tag);
			break;
		case 1: /* exit codes */
			code = 1 + (j->t * PER_THREAD + i) % 100;
			snprintf(want, sizeof(want), "exit %d", code);
			ag3_command_set_shell(c, want);
			break;
		case 2: /* stdin bytes */
			ag3_command_set_shell(c, "cat; printf X");
			ag3_command_set_stdin(c, tag, strlen(tag));
			ag3_command_set_capture(c, 0);
			snprintf(want, sizeof(want), "%sX", tag);
			break;
		case 3: /* env */
			ag3_command_set_shell(c, "printf %s \"$A3_TAG\"");
			ag3_command_add_env(c, "A3_TAG", tag);
			ag3_command_set_capture(c, 0);
			snprintf(want, sizeof(want), "%s", tag);
			break;
		case 4: /* cwd */
			ag3_command_set_argv(c, (char *const[]){pwd, NULL});
			ag3_command_set_cwd(c, "/tmp");
			ag3_command_set_capture(c, 0);
			snprintf(want, sizeof(want), "/tmp\n");
			break;
		case 5: /* stderr and status together */
			snprintf(want, sizeof(want), "echo out; echo err-%s >&2; exit 7", tag);
			ag3_command_set_shell(c, want);
			ag3_command_set_capture(c, 0);
			break;
		case 6: /* timeout */
			ag3_command_set_shell(c, "sleep 20");
			ag3_command_set_timeout_ms(c, 300);
			break;
		case 7: /* the caller's own fd as stdout */
			fd = memfd_create("out", MFD_CLOEXEC);
			{
				char sh[] = "/bin/sh", dc[] = "-c", scr[] = "printf fd-%s \"$1\"",
				     z[] = "x";
				ag3_command_set_argv(c, (char *const[]){sh, dc, scr, z, tag, NULL});
			}
			ag3_command_set_fds(c, -1, fd, -1);
			snprintf(want, sizeof(want), "fd-%s", tag);
			break;
		}
		struct ag3_exec_result *r = run(j->s, c);
		if (r) {
			switch (kind) {
			case 0:
			case 2:
			case 3:
			case 4:
				CHECK(r->status == AG3_EXEC_EXITED && r->exit_code == 0 &&
					      out_is(r, want) && r->stderr_len == 0,
				      "%s kind %d: status %s code %d out '%s' want '%s' (%s)", tag,
				      kind, r->status_name, r->exit_code,
				      r->stdout_data ? r->stdout_data : "(null)", want,
				      r->error ? r->error : "");
				break;
			case 1:
				CHECK(r->status == AG3_EXEC_EXITED && r->exit_code == code &&
					      ag3_exec_result_exit_code(r) == code &&
					      !r->stdout_data && r->json &&
					      strstr(r->json, "\"status\":\"exited\""),
				      "%s exit %d: %s %d (%s)", tag, code, r->status_name,
				      r->exit_code, r->error ? r->error : "");
				break;
			case 5: {
				char e[96];
				snprintf(e, sizeof(e), "err-%s\n", tag);
				CHECK(r->status == AG3_EXEC_EXITED && r->exit_code == 7 &&
					      out_is(r, "out\n") && r->stderr_data &&
					      !strcmp(r->stderr_data, e),
				      "%s stderr: %s %d '%s'", tag, r->status_name, r->exit_code,
				      r->stderr_data ? r->stderr_data : "(null)");
				break;
			}
			case 6:
				CHECK(r->status == AG3_EXEC_TIMEOUT &&
					      ag3_exec_result_exit_code(r) == 124 &&
					      r->duration_ms < 10000 && r->json &&
					      strstr(r->json, "\"status\":\"timeout\""),
				      "%s timeout: %s %d after %llu ms", tag, r->status_name,
				      ag3_exec_result_exit_code(r),
				      (unsigned long long)r->duration_ms);
				break;
			case 7: {
				char got[128] = "";
				ssize_t n = fd >= 0 ? pread(fd, got, sizeof(got) - 1, 0) : -1;
				if (n > 0)
					got[n] = 0;
				CHECK(r->status == AG3_EXEC_EXITED && r->exit_code == 0 &&
					      !strcmp(got, want) && !r->stdout_data,
				      "%s fd: %s %d '%s' want '%s'", tag, r->status_name,
				      r->exit_code, got, want);
				break;
			}
			}
		}
		if (fd >= 0)
			close(fd);
		ag3_exec_result_free(r);
		ag3_command_free(c);
	}
	return NULL;
}

/* An embedder's own handler: reaps whatever it can (a broker included). */
static void on_sigchld(int sig)
{
	int e = errno;
	atomic_fetch_add(&sigchld_seen, 1);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = e;
}

static atomic_bool noise_stop;
extern char **environ;

/* The program's own children all along: SIGCHLDs while the threads run commands. */
static void *noise(void *arg)
{
	char t[] = "/bin/true";
	for (int i = 0; i < 200 && !atomic_load(&noise_stop); i++) {
		pid_t pid;
		if (posix_spawn(&pid, t, NULL, NULL, (char *const[]){t, NULL}, environ) == 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static struct ag3_session *open_session(struct ag3_context *ctx)
{
	struct ag3_session *s = NULL;
	struct ag3_error *err = NULL;
	int r = ag3_session_open(ctx, &s, &err);
	char *m = err ? ag3_error_format(err) : NULL;
	CHECK(r == 0 && s, "session open: %d %s", r, m ? m : "");
	free(m);
	ag3_error_free(err);
	const char *e = ag3_session_enforcement(s);
	CHECK(e && strstr(e, "\"namespaces\":[") && strstr(e, "\"net\"") &&
		      strstr(e, "\"degraded\":[") && !strstr(e, "capabilities_dropped"),
	      "ag3_session_enforcement: %s", e ? e : "(null)");
	CHECK(ag3_session_enforcement(NULL) == NULL, "ag3_session_enforcement(NULL)");
	return s;
}

static void *cancel_later(void *arg)
{
	struct timespec ts = {0, 300 * 1000000};
	nanosleep(&ts, NULL);
	(void)!write(*(int *)arg, "x", 1);
	return NULL;
}

static void single_checks(struct ag3_session *s)
{
	/* the capture cap, lowered per command */
	struct ag3_command *c = ag3_command_new();
	ag3_command_set_shell(c, "head -c 5000 /dev/zero | tr '\\0' a");
	ag3_command_set_capture(c, 100);
	struct ag3_exec_result *r = run(s, c);
	CHECK(r && r->status == AG3_EXEC_EXITED && r->stdout_truncated && r->stdout_total == 5000 &&
		      r->stdout_len < 400,
	      "cap 100: truncated %d total %llu len %zu", r ? r->stdout_truncated : -1,
	      r ? (unsigned long long)r->stdout_total : 0ull, r ? r->stdout_len : 0);
	ag3_exec_result_free(r);
	/* a cap above the spec's changes nothing: 5000 bytes are kept whole */
	ag3_command_set_capture(c, (size_t)1 << 40);
	r = run(s, c);
	CHECK(r && !r->stdout_truncated && r->stdout_len == 5000, "cap above the spec's: %zu",
	      r ? r->stdout_len : 0);
	ag3_exec_result_free(r);

	/* stdin larger than a default pipe */
	size_t big = 300000;
	char *buf = malloc(big);
	memset(buf, 'b', big);
	ag3_command_set_shell(c, "wc -c");
	ag3_command_set_capture(c, 0);
	CHECK(ag3_command_set_stdin(c, buf, big) == 0, "300 kB stdin accepted");
	r = run(s, c);
	CHECK(r && r->stdout_data && atoi(r->stdout_data) == (int)big, "300 kB stdin: '%s'",
	      r && r->stdout_data ? r->stdout_data : "(null)");
	ag3_exec_result_free(r);
	free(buf);
	CHECK(ag3_command_set_stdin(c, "x", (1u << 20) + 1) == -E2BIG, "stdin over 1 MiB refused");

	/* cancel: the fd becomes readable 300 ms into the command */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0, "cancel pipe");
	struct ag3_command *k = ag3_command_new();
	ag3_command_set_shell(k, "sleep 20");
	ag3_command_set_cancel_fd(k, p[0]);
	pthread_t ct;
	pthread_create(&ct, NULL, cancel_later, &p[1]);
	r = run(s, k);
	pthread_join(ct, NULL);
	CHECK(r && r->status == AG3_EXEC_SIGNALED && r->duration_ms >= 250 &&
		      r->duration_ms < 10000,
	      "cancelled: %s (%s) after %llu ms", r ? r->status_name : "-",
	      r && r->error ? r->error : "", r ? (unsigned long long)r->duration_ms : 0ull);
	ag3_exec_result_free(r);
	close(p[0]);
	close(p[1]);
	ag3_command_free(k);

	/* not found: 127, setup_failed with a reason */
	char nope[] = "/nonexistent/cmd";
	ag3_command_set_argv(c, (char *const[]){nope, NULL});
	r = run(s, c);
	CHECK(r && r->status == AG3_EXEC_SETUP_FAILED && ag3_exec_result_exit_code(r) == 127 &&
		      r->error,
	      "not found: %s %d", r ? r->status_name : "-", r ? ag3_exec_result_exit_code(r) : -1);
	ag3_exec_result_free(r);
	ag3_command_free(c);

	/* nothing to run, bad settings */
	c = ag3_command_new();
	struct ag3_error *err = NULL;
	r = (struct ag3_exec_result *)1;
	CHECK(ag3_session_exec(s, c, &r, &err) == -EINVAL && !r && err, "no argv refused");
	ag3_error_free(err);
	CHECK(ag3_command_add_env(c, "A=B", "x") == -EINVAL, "env name with '=' refused");
	CHECK(ag3_command_add_env(c, "", "x") == -EINVAL, "empty env name refused");
	ag3_command_free(c);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s WORKSPACE plain|sigchld|sigign\n", argv[0]);
		return 2;
	}
	mode = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "sigchld")) {
		struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, NULL);
	} else if (!strcmp(mode, "sigign")) {
		signal(SIGCHLD, SIG_IGN);
	} else if (strcmp(mode, "plain")) {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	const int fds_before = count_fds();

	struct ag3_context *ctx = ag3_context_new();
	CHECK(ctx && ag3_context_set_workspace(ctx, argv[1]) == 0, "context");
	struct ag3_session *s = open_session(ctx);
	if (!s)
		return 1;
	struct proc procs[64];
	size_t n_procs = descendants(getpid(), procs, 64);
	CHECK(n_procs >= 2, "a broker and its holder run (%zu processes)", n_procs);

	pthread_t nt, th[THREADS];
	struct job jobs[THREADS];
	bool noisy = strcmp(mode, "plain") != 0;
	if (noisy)
		pthread_create(&nt, NULL, noise, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < THREADS; t++) {
		jobs[t] = (struct job){s, t};
		CHECK(pthread_create(&th[t], NULL, worker, &jobs[t]) == 0, "thread");
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (noisy) {
		atomic_store(&noise_stop, true);
		pthread_join(nt, NULL);
	}
	printf("# %d commands from %d threads in %.2f s\n", THREADS * PER_THREAD, THREADS,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	single_checks(s);

	CHECK(ag3_session_close(s) == 0, "session close");
	CHECK(ag3_session_close(NULL) == 0, "close NULL");
	for (size_t i = 0; i < n_procs; i++)
		CHECK(!alive(&procs[i]), "process %d of the session still runs after close",
		      (int)procs[i].pid);
	struct proc left[8];
	CHECK(descendants(getpid(), left, 8) == 0, "no child left after close");

	/* A broker that dies: the next command fails closed, close still succeeds. */
	s = open_session(ctx);
	if (s) {
		n_procs = descendants(getpid(), procs, 64);
		pid_t broker = 0;
		for (size_t i = 0; i < n_procs; i++) {
			pid_t pp;
			unsigned long long st;
			if (proc_stat(procs[i].pid, &pp, &st) == 0 && pp == getpid())
				broker = procs[i].pid;
		}
		CHECK(broker > 0, "the broker is our child");
		if (broker > 0)
			kill(broker, SIGKILL);
		for (int i = 0; i < 500; i++) { /* bounded: 5 s */
			bool any = false;
			for (size_t k = 0; k < n_procs; k++)
				any |= alive(&procs[k]);
			if (!any)
				break;
			struct timespec ts = {0, 10 * 1000000};
			nanosleep(&ts, NULL);
		}
		for (size_t k = 0; k < n_procs; k++)
			CHECK(!alive(&procs[k]), "process %d outlives its killed broker",
			      (int)procs[k].pid);
		struct ag3_command *c = ag3_command_new();
		ag3_command_set_shell(c, "echo ran > /workspace/after-broker-death");
		struct ag3_exec_result *r = run(s, c);
		CHECK(r && r->status == AG3_EXEC_SETUP_FAILED &&
			      ag3_exec_result_exit_code(r) == 125 && r->error &&
			      strstr(r->error, "broker"),
		      "exec after the broker died: %s %s", r ? r->status_name : "-",
		      r && r->error ? r->error : "");
		ag3_exec_result_free(r);
		ag3_command_free(c);
		char ran[4096];
		snprintf(ran, sizeof(ran), "%s/after-broker-death", argv[1]);
		CHECK(access(ran, F_OK) != 0, "nothing ran after the broker died");
		CHECK(ag3_session_close(s) == 0, "close after the broker died");
	}
	CHECK(descendants(getpid(), left, 8) == 0, "no child left");

	/* The uid policy: a refused id starts nothing. */
	struct ag3_context *bad = ag3_context_new();
	CHECK(bad && ag3_context_set_workspace(bad, argv[1]) == 0 &&
		      ag3_context_set_uid_mode(bad, "direct") == 0 &&
		      ag3_context_set_ids(bad, 50001, 5) == 0,
	      "context with gid 5");
	struct ag3_session *bs = NULL;
	struct ag3_error *err = NULL;
	int r = ag3_session_open(bad, &bs, &err);
	CHECK(r == -EPERM && !bs && err, "gid 5 refused: %d", r);
	ag3_error_free(err);
	ag3_context_free(bad);
	CHECK(descendants(getpid(), left, 8) == 0, "no broker for a refused spec");

	ag3_context_free(ctx);
	const int fds_after = count_fds();
	CHECK(fds_after == fds_before, "fds: %d before, %d after", fds_before, fds_after);
	if (!strcmp(mode, "sigchld"))
		printf("# the program's SIGCHLD handler ran %d times\n",
		       atomic_load(&sigchld_seen));
	printf("%d checks, %d failures\n", atomic_load(&checks), atomic_load(&failures));
	return atomic_load(&failures) ? 1 : 0;
}
