/* SPDX-License-Identifier: MIT */
/*
 * Checks: the pid namespace and init's hardening (README step 5: init is
 * non-dumpable, so its /proc/1/exe, environ, mem, cwd and root cannot be
 * opened, and its /proc/1 entries do not belong to the command's uid), that
 * /proc/1/root cannot lead out of the new root, and that the executable of a
 * running process cannot be opened for writing through /proc/<pid>/exe (the
 * runc CVE-2019-5736 door), neither the probe's own nor a host binary's from
 * the read-only /usr.
 * Nothing is read beyond an open() and nothing is written: an fd that opens
 * is closed at once and the probe prints ESCAPED.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "probe.h"

static int try_open(const char *name, const char *path, int flags, const char *what)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		escaped(name, "opened %s %s", path, what);
	}
	return errno;
}

static void p_exe_opath(const char *name, int argc, char **argv)
{
	int e = try_open(name, "/proc/1/exe", O_PATH, "with O_PATH");
	char buf[256];
	ssize_t n = readlink("/proc/1/exe", buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = 0;
		escaped(name, "readlink /proc/1/exe: %s", buf);
	}
	blocked(name, "open(O_PATH): %s, readlink: %s", ename(e), ename(errno));
}

static void p_exe_rdonly(const char *name, int argc, char **argv)
{
	int e = try_open(name, "/proc/1/exe", O_RDONLY, "for reading");
	blocked(name, "open(O_RDONLY): %s", ename(e));
}

/* Opening may succeed for some files (the check is at read time): read one byte. */
static void p_unreadable(const char *name, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		blocked(name, "open(%s): %s", path, ename(errno));
	char c;
	ssize_t n = read(fd, &c, 1);
	int e = errno;
	close(fd);
	if (n > 0)
		escaped(name, "read %s", path);
	if (n == 0)
		blocked(name, "%s reads empty", path);
	blocked(name, "read(%s): %s", path, ename(e));
}

static void p_environ(const char *n, int c, char **v)
{
	p_unreadable(n, "/proc/1/environ");
}
static void p_mem(const char *n, int c, char **v)
{
	p_unreadable(n, "/proc/1/mem");
}

static void p_cwd(const char *name, int argc, char **argv)
{
	int e = try_open(name, "/proc/1/cwd", O_PATH | O_DIRECTORY, "with O_PATH");
	char buf[256];
	ssize_t n = readlink("/proc/1/cwd", buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = 0;
		escaped(name, "readlink /proc/1/cwd: %s", buf);
	}
	blocked(name, "open: %s, readlink: %s", ename(e), ename(errno));
}

/*
 * init is non-dumpable: the kernel then gives the entries of its /proc/1 (all
 * but the directory itself) to root (of init's user namespace, else the host's,
 * shown here as the overflow id), never to init's own uid, which is the
 * command's. The open()s above fail for another reason too (landlock: a process
 * in a domain may not ptrace-access one outside it), so they pass with a
 * dumpable init: this one stands on init's own flag. Nothing is opened.
 */
static void p_nondumpable(const char *name, int argc, char **argv)
{
	struct stat st;
	if (stat("/proc/1/status", &st) < 0)
		probe_error(name, "stat /proc/1/status: %s", ename(errno));
	if (st.st_uid == getuid())
		escaped(name,
			"/proc/1/status belongs to uid %u, the command's and init's own: init is "
			"dumpable",
			(unsigned)st.st_uid);
	blocked(name,
		"/proc/1/status belongs to uid %u, not the command's %u: init is non-dumpable",
		(unsigned)st.st_uid, (unsigned)getuid());
}

static void p_root(const char *name, int argc, char **argv)
{
	struct stat r, p;
	if (stat("/", &r) < 0)
		probe_error(name, "stat /: %s", ename(errno));
	char buf[256];
	ssize_t n = readlink("/proc/1/root", buf, sizeof(buf) - 1);
	int el = errno;
	if (n >= 0) {
		buf[n] = 0;
		if (strcmp(buf, "/") != 0)
			escaped(name, "/proc/1/root points to %s", buf);
	}
	if (stat("/proc/1/root/..", &p) < 0)
		blocked(name, "/proc/1/root/..: %s (readlink: %s)", ename(errno),
			n >= 0 ? "/" : ename(el));
	if (p.st_dev != r.st_dev || p.st_ino != r.st_ino)
		escaped(name, "/proc/1/root/.. is not the sandbox's root");
	DIR *d = opendir("/proc/1/root/..");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (!strcmp(e->d_name, "home") || !strcmp(e->d_name, "root") ||
			    !strcmp(e->d_name, "var"))
				escaped(name, "/proc/1/root/.. lists /%s", e->d_name);
		closedir(d);
	}
	blocked(name, "/proc/1/root/.. is the sandbox's own root");
}

static void p_self_exe(const char *name, int argc, char **argv)
{
	int e = try_open(name, "/proc/self/exe", O_WRONLY, "for writing");
	if (e == ETXTBSY || e == EACCES || e == EROFS || e == EPERM)
		blocked(name, "open(O_WRONLY): %s", ename(e));
	escaped(name, "open(O_WRONLY) failed with an unexpected %s", ename(e));
}

static void p_host_exe(const char *name, int argc, char **argv)
{
	/* A child runs a host binary from /usr; its /proc/<pid>/exe is the host's file. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		probe_error(name, "fork: %s", ename(errno));
	if (pid == 0) {
		execl("/usr/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	long long end = now_ms() + 5000;
	for (;;) {
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			if (strstr(buf, "sleep"))
				break;
		}
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			probe_error(name, "the child never ran /usr/bin/sleep");
		}
		sleep_ms(10);
	}
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int e = errno;
	int fd2 = open(path, O_RDWR | O_CLOEXEC);
	int e2 = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (fd >= 0 || fd2 >= 0)
		escaped(name, "opened the host's %s for writing through %s", buf, path);
	blocked(name, "open(%s -> %s, O_WRONLY): %s, O_RDWR: %s", path, buf, ename(e), ename(e2));
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"proc1-exe-opath", p_exe_opath},
		{"proc1-exe-rdonly", p_exe_rdonly},
		{"proc1-environ", p_environ},
		{"proc1-mem", p_mem},
		{"proc1-cwd", p_cwd},
		{"proc1-root", p_root},
		{"proc1-nondumpable", p_nondumpable},
		{"self-exe-write", p_self_exe},
		{"host-exe-write", p_host_exe},
	};
	return RUN_VARIANTS(tab);
}
