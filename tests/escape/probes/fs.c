/* SPDX-License-Identifier: MIT */
/*
 * Checks: the mount layout (README "What a sandbox is", step 2): every system
 * mount and the root tmpfs are read-only, /dev is read-only once populated,
 * /proc/sys and /proc/sysrq-trigger cannot be opened for writing, /sys is
 * absent, masked and secret files cannot be read, nothing of the host's
 * other users' data is visible (nor the host's /tmp and /dev/shm), the root holds only the profile's mounts, and
 * no device node can be made.
 * The ro-* probes check the mount flag itself (statvfs ST_RDONLY) as well as
 * the attempts, so they fail when a mount is left read-write even where file
 * permissions would still refuse the uid. Writes are never made: a file that
 * opens for writing is closed at once, a file or directory that gets created
 * is removed at once, and the probe prints ESCAPED.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "probe.h"

/* A masked path: /dev/null bound over a file (README: `mask`). */
static int is_dev_null(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* Fails the probe if `path` opens with `flags` (never reading nor writing),
 * unless what opened is the /dev/null that masks it. Returns the errno, or
 * -1 for a mask. */
static int try_open(const char *name, const char *path, int flags, const char *what)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		int masked = is_dev_null(fd);
		close(fd);
		if (masked)
			return -1;
		escaped(name, "%s opened %s", path, what);
	}
	return errno;
}

static const char *how(int e)
{
	return e < 0 ? "masked by /dev/null" : ename(e);
}

static void must_be_ro_mount(const char *name, const char *dir)
{
	struct statvfs s;
	if (statvfs(dir, &s) < 0)
		probe_error(name, "statvfs %s: %s", dir, ename(errno));
	if (!(s.f_flag & ST_RDONLY))
		escaped(name, "%s is mounted read-write", dir);
}

/* A regular file directly in dir, or NULL. */
static const char *some_file(const char *dir, char *buf, size_t len)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct dirent *e;
	const char *found = NULL;
	while ((e = readdir(d))) {
		struct stat st;
		snprintf(buf, len, "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.' && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			found = buf;
			break;
		}
	}
	closedir(d);
	return found;
}

static void ro_dir(const char *name, const char *dir, const char *file)
{
	char path[4096], fbuf[4096];
	must_be_ro_mount(name, dir);
	snprintf(path, sizeof(path), "%s/ag3-escape-probe", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(path);
		escaped(name, "created %s", path);
	}
	int ecreate = errno;
	snprintf(path, sizeof(path), "%s/ag3-escape-dir", dir);
	if (mkdir(path, 0700) == 0) {
		rmdir(path);
		escaped(name, "created the directory %s", path);
	}
	int emkdir = errno;
	if (!file || access(file, F_OK) < 0)
		file = some_file(dir, fbuf, sizeof(fbuf));
	int ewrite = 0;
	if (file) {
		ewrite = try_open(name, file, O_WRONLY, "for writing");
		try_open(name, file, O_RDWR, "for reading and writing");
	}
	blocked(name, "read-only mount; create: %s, mkdir: %s, open(%s, O_WRONLY): %s",
		ename(ecreate), ename(emkdir), file ? file : "-", file ? how(ewrite) : "-");
}

static void p_ro_usr(const char *n, int c, char **v)
{
	ro_dir(n, "/usr", "/usr/bin/env");
}
static void p_ro_etc(const char *n, int c, char **v)
{
	ro_dir(n, "/etc", "/etc/hostname");
}
static void p_ro_bin(const char *n, int c, char **v)
{
	ro_dir(n, "/bin/", "/bin/sh");
}
static void p_ro_lib(const char *n, int c, char **v)
{
	ro_dir(n, "/lib/", "/lib/os-release");
}
static void p_ro_root(const char *n, int c, char **v)
{
	ro_dir(n, "/", NULL);
}

static void p_ro_dev(const char *name, int argc, char **argv)
{
	char path[] = "/dev/ag3-escape-probe";
	must_be_ro_mount(name, "/dev");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(path);
		escaped(name, "created %s", path);
	}
	int e = errno;
	if (symlink("/proc/self/root", "/dev/ag3-escape-link") == 0) {
		unlink("/dev/ag3-escape-link");
		escaped(name, "created a symlink in /dev");
	}
	blocked(name, "read-only mount; create: %s", ename(e));
}

static void p_proc_hostname(const char *name, int argc, char **argv)
{
	int e = try_open(name, "/proc/sys/kernel/hostname", O_WRONLY, "for writing");
	blocked(name, "open(O_WRONLY): %s", how(e));
}

static void p_proc_sysrq(const char *name, int argc, char **argv)
{
	int e = try_open(name, "/proc/sysrq-trigger", O_WRONLY, "for writing");
	blocked(name, "open(O_WRONLY): %s", how(e));
}

static void p_proc_sys(const char *name, int argc, char **argv)
{
	static const char *const files[] = {
		"/proc/sys/kernel/core_pattern",
		"/proc/sys/kernel/modprobe",
		"/proc/sys/kernel/sysrq",
		"/proc/sys/kernel/panic",
		"/proc/sys/vm/drop_caches",
		"/proc/sys/kernel/ns_last_pid",
		"/proc/sys/net/ipv4/ip_forward",
		"/proc/sys/fs/binfmt_misc/register",
		"/proc/sys/kernel/unprivileged_userns_clone",
		"/proc/sys/user/max_user_namespaces",
	};
	char seen[1024] = "";
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (access(files[i], F_OK) < 0)
			continue;
		int e = try_open(name, files[i], O_WRONLY, "for writing");
		size_t l = strlen(seen);
		snprintf(seen + l, sizeof(seen) - l, "%s%s: %s", l ? ", " : "",
			 strrchr(files[i], '/') + 1, how(e));
	}
	if (!seen[0])
		probe_error(name, "none of the /proc/sys files exists");
	blocked(name, "%s", seen);
}

static void p_sys(const char *name, int argc, char **argv)
{
	struct stat st;
	if (lstat("/sys", &st) < 0) {
		if (errno == ENOENT)
			blocked(name, "/sys is absent");
		probe_error(name, "lstat /sys: %s", ename(errno));
	}
	must_be_ro_mount(name, "/sys");
	try_open(name, "/sys/kernel/uevent_helper", O_WRONLY, "for writing");
	try_open(name, "/sys/fs/cgroup/cgroup.procs", O_WRONLY, "for writing");
	blocked(name, "/sys is present but read-only");
}

static void p_read(const char *name, const char *path)
{
	int e = try_open(name, path, O_RDONLY, "for reading");
	blocked(name, "open(%s, O_RDONLY): %s", path, how(e));
}

static void p_read_kcore(const char *n, int c, char **v)
{
	p_read(n, "/proc/kcore");
}
static void p_read_kmsg(const char *n, int c, char **v)
{
	p_read(n, "/proc/kmsg");
}
static void p_read_sysrq(const char *n, int c, char **v)
{
	p_read(n, "/proc/sysrq-trigger");
}
static void p_read_shadow(const char *n, int c, char **v)
{
	p_read(n, "/etc/shadow");
}

/*
 * The host-revealing entries of /proc are masked whatever the command's ids:
 * a file is /dev/null (char 1:3), a directory an empty tmpfs. Detected by
 * stat and readdir only. Fails when the masks are gone even though the
 * command, not being root, could not read kcore anyway.
 */
static void p_proc_masks(const char *name, int argc, char **argv)
{
	static const char *const entries[] = {
		"kcore",     "sysrq-trigger", "kmsg", "timer_list", "sched_debug", "keys",
		"key-users", "latency_stats", "acpi", "asound",     "scsi",        "timer_stats"};
	char seen[1024] = "";
	int masked = 0;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%s", entries[i]);
		struct stat st;
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			probe_error(name, "lstat %s: %s", path, ename(errno));
		}
		if (S_ISDIR(st.st_mode)) {
			/* masked: an empty tmpfs (mode 0, so not even listable), not procfs */
			struct statfs sf;
			if (statfs(path, &sf) < 0)
				probe_error(name, "statfs %s: %s", path, ename(errno));
			if (sf.f_type != 0x01021994 /* TMPFS_MAGIC */)
				escaped(name, "%s is not masked: it is still procfs (0x%lx)", path,
					(unsigned long)sf.f_type);
		} else if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 ||
			   minor(st.st_rdev) != 3) {
			escaped(name, "%s is not masked by /dev/null", path);
		}
		masked++;
		size_t l = strlen(seen);
		snprintf(seen + l, sizeof(seen) - l, "%s%s", l ? " " : "", entries[i]);
	}
	if (!masked)
		probe_error(name, "none of the masked /proc entries exists here");
	blocked(name, "masked: %s", seen);
}

/* Whether directory `dir` holds an entry that is not in `ok` (NULL-terminated):
 * ESCAPED with it. */
static void only_entries(const char *name, const char *dir, const char *const *ok)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		size_t i = 0;
		while (ok[i] && strcmp(ok[i], e->d_name))
			i++;
		if (!ok[i])
			escaped(name, "%s is visible and holds %s", dir, e->d_name);
	}
	closedir(d);
}

static void p_other_users(const char *name, int argc, char **argv)
{
	/* The platform's per-user trees and the host's home directories. */
	static const char *const dirs[] = {"/users", "/mounts", "/home",   "/root",     "/srv",
					   "/opt",   "/mnt",    "/media",  "/sessions", "/config",
					   "/data",  "/logs",   "/skills", "/run"};
	static const char *const none[] = {NULL};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		only_entries(name, dirs[i], none);
	/* /var: the sandbox's own /var/tmp and, read-only, the host's dpkg database
	 * (README, "What a sandbox is"), nothing else of the host's /var (mail, spool,
	 * other services' state) */
	static const char *const var_ok[] = {"tmp", "lib", NULL}, *const lib_ok[] = {"dpkg", NULL};
	only_entries(name, "/var", var_ok);
	only_entries(name, "/var/lib", lib_ok);
	struct statfs sf;
	if (statfs("/var/tmp", &sf) == 0 && sf.f_type != 0x01021994 /* TMPFS_MAGIC */)
		escaped(name, "/var/tmp is not the sandbox's own tmpfs (0x%lx)",
			(unsigned long)sf.f_type);
	struct statvfs sv;
	if (statvfs("/var/lib/dpkg", &sv) == 0 && !(sv.f_flag & ST_RDONLY))
		escaped(name, "/var/lib/dpkg (the host's) is writable");
	blocked(name, "/users /mounts /home /root ... absent or empty; /var holds only its own tmp "
		      "and the read-only dpkg database");
}

static void p_root_listing(const char *name, int argc, char **argv)
{
	/* What the default profile's root may hold (README, "Profiles"). */
	static const char *const ok[] = {".",    "..",    "bin",   "dev",    "etc",
					 "lib",  "lib32", "lib64", "libx32", "proc",
					 "sbin", "tmp",   "usr",   "var",    "workspace"};
	DIR *d = opendir("/");
	if (!d)
		probe_error(name, "opendir /: %s", ename(errno));
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		size_t i;
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (!strcmp(ok[i], e->d_name))
				break;
		if (i == sizeof(ok) / sizeof(ok[0]))
			escaped(name, "unexpected entry in the root: /%s", e->d_name);
		n++;
	}
	closedir(d);
	blocked(name, "the root holds only the profile's %d entries", n - 2);
}

static void same_as_root(const char *name, const char *path)
{
	struct stat r, p;
	if (stat("/", &r) < 0)
		probe_error(name, "stat /: %s", ename(errno));
	if (stat(path, &p) < 0)
		return; /* unreachable is fine */
	if (r.st_dev != p.st_dev || r.st_ino != p.st_ino)
		escaped(name, "%s is not the sandbox's root (dev %u:%u ino %lu)", path,
			major(p.st_dev), minor(p.st_dev), (unsigned long)p.st_ino);
}

static void p_dotdot(const char *name, int argc, char **argv)
{
	same_as_root(name, "/..");
	same_as_root(name, "/../../..");
	same_as_root(name, "/workspace/../..");
	same_as_root(name, "/proc/self/root");
	same_as_root(name, "/proc/self/root/..");
	same_as_root(name, "/proc/self/cwd/../../..");
	if (chdir("/") == 0 && chdir("..") == 0)
		same_as_root(name, ".");
	blocked(name, "every .. leads back to the sandbox's own root");
}

static void p_host_file(const char *name, int argc, char **argv)
{
	/* argv[2..]: files the test created on the host (in its /tmp, /dev/shm):
	 * the sandbox's /tmp and /dev/shm are its own tmpfs. */
	if (argc < 3)
		probe_error(name, "usage: host-file-invisible PATH...");
	for (int i = 2; i < argc; i++) {
		struct stat st;
		if (lstat(argv[i], &st) == 0)
			escaped(name, "the host's %s is visible", argv[i]);
		if (errno != ENOENT)
			escaped(name, "the host's %s: %s, not ENOENT", argv[i], ename(errno));
	}
	blocked(name, "the host's files in /tmp and /dev/shm are not visible (ENOENT)");
}

static void p_dev_absent(const char *name, int argc, char **argv)
{
	static const char *const devs[] = {
		"/dev/mem",
		"/dev/kmem",
		"/dev/port",
		"/dev/kmsg",
		"/dev/sda",
		"/dev/vda",
		"/dev/xvda",
		"/dev/nvme0n1",
		"/dev/loop0",
		"/dev/loop-control",
		"/dev/vsock",
		"/dev/fuse",
		"/dev/net/tun",
		"/dev/kvm",
		"/dev/console",
		"/dev/tty0",
		"/dev/tty1",
		"/dev/ttyS0",
		"/dev/hpet",
		"/dev/rtc0",
		"/dev/mapper",
		"/dev/userfaultfd",
		"/dev/cpu_dma_latency",
		"/dev/dri",
		"/dev/btrfs-control",
	};
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		struct stat st;
		if (lstat(devs[i], &st) == 0)
			escaped(name, "%s exists in the sandbox", devs[i]);
	}
	blocked(name, "no host device node is present");
}

static void try_mknod(const char *name, const char *path, mode_t type, dev_t dev)
{
	if (mknod(path, type | 0600, dev) == 0) {
		unlink(path); /* never opened */
		escaped(name, "made the device node %s (%u:%u)", path, major(dev), minor(dev));
	}
	int e = errno;
	blocked(name, "mknod %s %u:%u: %s", path, major(dev), minor(dev), ename(e));
}

static void p_mknod_blk(const char *name, int argc, char **argv)
{
	/* The block device that holds the host's /usr. */
	struct stat st;
	if (stat("/usr", &st) < 0)
		probe_error(name, "stat /usr: %s", ename(errno));
	try_mknod(name, "/tmp/ag3-escape-blk", S_IFBLK, st.st_dev);
}

static void p_mknod_chr(const char *name, int argc, char **argv)
{
	try_mknod(name, "/workspace/ag3-escape-mem", S_IFCHR, makedev(1, 1)); /* /dev/mem */
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"ro-usr", p_ro_usr},
		{"ro-etc", p_ro_etc},
		{"ro-bin", p_ro_bin},
		{"ro-lib", p_ro_lib},
		{"ro-root", p_ro_root},
		{"ro-dev", p_ro_dev},
		{"proc-hostname-write", p_proc_hostname},
		{"proc-sysrq-write", p_proc_sysrq},
		{"proc-sys-write", p_proc_sys},
		{"sys-absent", p_sys},
		{"read-kcore", p_read_kcore},
		{"proc-masks", p_proc_masks},
		{"read-kmsg", p_read_kmsg},
		{"read-sysrq", p_read_sysrq},
		{"read-shadow", p_read_shadow},
		{"other-users", p_other_users},
		{"root-listing", p_root_listing},
		{"dotdot", p_dotdot},
		{"dev-absent", p_dev_absent},
		{"host-file-invisible", p_host_file},
		{"mknod-blk", p_mknod_blk},
		{"mknod-chr", p_mknod_chr},
	};
	return RUN_VARIANTS(tab);
}
