/* SPDX-License-Identifier: MIT */
/*
 * Checks: the resource limits of the default profile (README "Profiles",
 * sandbox.limits): pids 512 (cgroup pids.max, RLIMIT_NPROC fallback), memory
 * 2G (cgroup memory.max, RLIMIT_AS fallback), tmp_size 256M (the /tmp tmpfs),
 * the 64M /dev/shm tmpfs; and that a command flooding its stdout cannot wedge
 * the sandbox (the verdict for output-flood is taken by the test on the host).
 * Every bomb is bounded in count and time, and stops as soon as it has shown
 * the limit is missing:
 *   fork-bomb   children sleep 15 s (they die with the sandbox); at most
 *               100000 attempts / 10 s; ESCAPED at 601 live children.
 *   mem-bomb    a child maps and touches 64 MiB chunks up to 3 GiB within
 *               20 s; ESCAPED if all 3 GiB are touched.
 *   mem-bomb-procs the same 3 GiB over 6 processes of 512 MiB each, held at
 *               once (a per-process RLIMIT_AS does not bound the sandbox);
 *               ESCAPED if all 3 GiB are touched.
 *   fill        writes 1 MiB chunks to DIR/ag3-fill up to 300 MiB within 30 s;
 *               ESCAPED if all 300 MiB are written. The file is removed.
 *   output-flood writes 64 MiB to stdout in 64 KiB chunks within 25 s; prints
 *               what happened on stderr.
 *   pty-pool N  opens pty masters until one fails, at most N + 1 (the kernel's
 *               pool is shared by every devpts instance: a sandbox must not
 *               take it all); ESCAPED if N + 1 open, BLOCKED if the (N + 1)th
 *               fails ENOSPC. All are closed at once; nothing is written.
 *   inotify-pool N opens inotify instances, at most N + 1 (the kernel counts
 *               them per user: a rootless sandbox must not take its caller's
 *               whole pool); ESCAPED if N + 1 open, BLOCKED if the (N + 1)th
 *               fails EMFILE (the sandbox's user namespace's limit). Closed at once.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "probe.h"

static void p_fork(const char *name, int argc, char **argv)
{
	long long end = now_ms() + 10000;
	int live = 0, maxlive = 0, fails = 0, consec = 0, lasterr = 0;
	long i;
	fflush(stdout);
	for (i = 0; i < 100000 && now_ms() < end; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			live--;
		pid_t p = fork();
		if (p == 0) {
			alarm(20);
			sleep_ms(15000);
			_exit(0);
		}
		if (p > 0) {
			live++;
			consec = 0;
			if (live > maxlive)
				maxlive = live;
			if (live > 600)
				break;
			continue;
		}
		fails++;
		lasterr = errno;
		if (++consec >= 200)
			break;
		sleep_ms(5);
	}
	/* The children are left to the sandbox: init kills them when the probe ends. */
	if (maxlive > 600)
		escaped(name, "%d children alive at once (limit 512 not enforced)", maxlive);
	if (!fails)
		probe_error(name, "no fork failed in %ld attempts, but only %d children at once", i,
			    maxlive);
	blocked(name, "fork failed with %s at %d live children (%d failures)", ename(lasterr),
		maxlive, fails);
}

#define CHUNK (64L << 20)
#define MAXCHUNKS 48 /* 3 GiB */

static void p_mem(const char *name, int argc, char **argv)
{
	int p[2];
	if (pipe(p) < 0)
		probe_error(name, "pipe: %s", ename(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		probe_error(name, "fork: %s", ename(errno));
	if (pid == 0) {
		close(p[0]);
		alarm(30);
		/* Make the child, not the probe, the OOM killer's choice (raising is unprivileged). */
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1000", 4) < 0) {
			}
			close(fd);
		}
		long long end = now_ms() + 20000;
		for (int i = 0; i < MAXCHUNKS; i++) {
			char *m = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED) {
				int e = -errno;
				if (write(p[1], &e, sizeof(e)) < 0) {
				}
				_exit(3);
			}
			for (long o = 0; o < CHUNK; o += 4096)
				m[o] = 1;
			int done = i + 1;
			if (write(p[1], &done, sizeof(done)) < 0) {
			}
			if (now_ms() > end)
				_exit(4);
		}
		_exit(0);
	}
	close(p[1]);
	int v, chunks = 0, err = 0;
	while (read(p[0], &v, sizeof(v)) == sizeof(v)) {
		if (v < 0)
			err = -v;
		else
			chunks = v;
	}
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	long mib = chunks * (CHUNK >> 20);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		escaped(name, "allocated and touched %ld MiB (limit 2 GiB not enforced)", mib);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		blocked(name, "the allocating child was OOM-killed after %ld MiB", mib);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		blocked(name, "mmap failed with %s after %ld MiB", ename(err), mib);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 4)
		probe_error(name, "out of time after %ld MiB", mib);
	if (WIFSIGNALED(st))
		blocked(name, "the allocating child died of signal %d after %ld MiB", WTERMSIG(st),
			mib);
	probe_error(name, "the child exited with %d after %ld MiB", WEXITSTATUS(st), mib);
}

/* The same 3 GiB, spread over NPROCS processes of 512 MiB each: a per-process
 * limit (RLIMIT_AS) does not bound the sandbox as a whole. */
#define NPROCS 6
#define PERPROC 8 /* chunks of 64 MiB: 512 MiB */

static void p_mem_procs(const char *name, int argc, char **argv)
{
	int p[2];
	pid_t kids[NPROCS];
	if (pipe(p) < 0)
		probe_error(name, "pipe: %s", ename(errno));
	fflush(stdout);
	for (int k = 0; k < NPROCS; k++) {
		kids[k] = fork();
		if (kids[k] < 0)
			probe_error(name, "fork: %s", ename(errno));
		if (kids[k] == 0) {
			close(p[0]);
			alarm(30);
			int fd = open("/proc/self/oom_score_adj", O_WRONLY);
			if (fd >= 0) {
				if (write(fd, "1000", 4) < 0) {
				}
				close(fd);
			}
			for (int i = 0; i < PERPROC; i++) {
				char *m = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (m == MAP_FAILED) {
					if (write(p[1], "E", 1) < 0) {
					}
					_exit(3);
				}
				for (long o = 0; o < CHUNK; o += 4096)
					m[o] = 1;
				if (write(p[1], "C", 1) < 0) {
				}
			}
			if (write(p[1], "D", 1) < 0) {
			}
			sleep_ms(25000); /* hold the memory until the parent has counted */
			_exit(0);
		}
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	int chunks = 0, done = 0, errs = 0, killed = 0, reaped[NPROCS] = {0};
	long long end = now_ms() + 20000;
	while (chunks < NPROCS * PERPROC && done + errs + killed < NPROCS && now_ms() < end) {
		char c[64];
		ssize_t n = read(p[0], c, sizeof(c));
		for (ssize_t i = 0; i < n; i++) {
			chunks += c[i] == 'C';
			done += c[i] == 'D';
			errs += c[i] == 'E';
		}
		for (int k = 0; k < NPROCS; k++) {
			int st;
			if (!reaped[k] && waitpid(kids[k], &st, WNOHANG) == kids[k]) {
				reaped[k] = 1;
				if (WIFSIGNALED(st))
					killed++;
			}
		}
		if (n <= 0)
			sleep_ms(10);
	}
	for (int k = 0; k < NPROCS; k++) {
		if (!reaped[k]) {
			kill(kids[k], SIGKILL);
			waitpid(kids[k], NULL, 0);
		}
	}
	long mib = chunks * (CHUNK >> 20);
	if (chunks >= NPROCS * PERPROC)
		escaped(name,
			"%d processes held %ld MiB at once (limit 2 GiB not enforced for the "
			"sandbox)",
			NPROCS, mib);
	if (killed)
		blocked(name, "%d allocating processes were killed (OOM) at %ld MiB in total",
			killed, mib);
	if (errs)
		blocked(name, "mmap failed in %d processes at %ld MiB in total", errs, mib);
	/* Unlimited, the 3 GiB are touched in a second or two. Still at or under the
	 * sandbox's 2 GiB when the time ran out: the limit held them there (a memory
	 * cgroup reclaims hard before it OOM-kills, so the kill may come late). */
	if (mib <= 2048)
		blocked(name,
			"held at %ld MiB in total for 20 s: the sandbox's 2 GiB limit stopped the "
			"rest",
			mib);
	probe_error(name, "out of time at %ld MiB in total", mib);
}

static void p_fill(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: fill DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/ag3-fill", argv[2]);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		probe_error(name, "open %s: %s", path, ename(errno));
	static char buf[1 << 20];
	memset(buf, 'x', sizeof(buf));
	long long end = now_ms() + 30000;
	long mib = 0;
	int e = 0;
	signal(SIGXFSZ, SIG_IGN);
	while (mib < 300 && now_ms() < end) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n < 0) {
			e = errno;
			break;
		}
		if ((size_t)n < sizeof(buf)) { /* short write: the next one says why */
			n = write(fd, buf, 1);
			e = n < 0 ? errno : 0;
			break;
		}
		mib++;
	}
	close(fd);
	unlink(path);
	if (mib >= 300)
		escaped(name, "wrote 300 MiB to %s", argv[2]);
	if (!e)
		probe_error(name, "out of time after %ld MiB", mib);
	blocked(name, "%s after %ld MiB in %s", ename(e), mib, argv[2]);
}

static void p_flood(const char *name, int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	static char buf[64 << 10];
	memset(buf, 'f', sizeof(buf));
	buf[sizeof(buf) - 1] = '\n';
	long long end = now_ms() + 25000, total = 0;
	int e = 0;
	while (total < (64LL << 20) && now_ms() < end) {
		ssize_t n = write(1, buf, sizeof(buf));
		if (n < 0) {
			e = errno;
			break;
		}
		total += n;
	}
	fprintf(stderr, "FLOOD %s: wrote %lld bytes, %s\n", name, total,
		e                       ? ename(e)
		: total >= (64LL << 20) ? "complete"
					: "out of time");
	exit(0);
}

/*
 * Opens objects with `open_one` until one fails, at most BOUND + 1 (argv[2]),
 * closes them all, and gives the verdict: ESCAPED past the bound, BLOCKED if
 * the (BOUND + 1)th failed with `want`.
 */
static void pool(const char *name, int argc, char **argv, int (*open_one)(void), int want,
		 const char *what)
{
	long bound = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	if (bound <= 0 || bound > 1000)
		probe_error(name, "usage: %s BOUND (1..1000)", name);
	int fds[1001];
	long n = 0;
	int err = 0;
	for (; n <= bound; n++) {
		if ((fds[n] = open_one()) < 0) {
			err = errno;
			break;
		}
	}
	for (long i = 0; i < n; i++)
		close(fds[i]);
	if (n > bound)
		escaped(name, "%ld %s open at once, more than the sandbox's bound of %ld", n, what,
			bound);
	if (n == bound && err == want)
		blocked(name, "%s %ld failed with %s: the sandbox holds %ld", what, n + 1,
			ename(err), bound);
	probe_error(name,
		    "failed with %s after %ld %s (want %s after %ld; the host's pool nearly "
		    "exhausted?)",
		    ename(err), n, what, ename(want), bound);
}

static int open_pty(void)
{
	return posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static void p_pty_pool(const char *name, int argc, char **argv)
{
	pool(name, argc, argv, open_pty, ENOSPC, "ptys");
}

static int open_inotify(void)
{
	return inotify_init1(IN_CLOEXEC);
}

static void p_inotify_pool(const char *name, int argc, char **argv)
{
	pool(name, argc, argv, open_inotify, EMFILE, "inotify instances");
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"fork-bomb", p_fork},
		{"mem-bomb", p_mem},
		{"mem-bomb-procs", p_mem_procs},
		{"fill", p_fill},
		{"output-flood", p_flood},
		{"pty-pool", p_pty_pool},
		{"inotify-pool", p_inotify_pool},
	};
	return RUN_VARIANTS(tab);
}
