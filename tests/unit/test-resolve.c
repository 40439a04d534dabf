/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/resolve.c: the file tools' path resolver, on specs built
 * here over a scratch host tree (no privileges): every agent path form, every
 * reason code, hostile paths, symlinks planted and swapped.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/resolve.h"
#include "runtime/spec.h"
#include "runtime/util/cleanup.h"

static char H[256]; /* the scratch host */
static struct ag3_spec *spec;
static struct ag3_resolution res = AG3_RESOLUTION_INIT;
static const struct ag3_resolve_session sess = {.username = "alice", .session_id = "s1"};

/* A shell command; $H is the scratch host. */
static void sh(const char *cmd)
{
	setenv("H", H, 1);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A mount; a bind's source is beneath the scratch host unless it is a system bind (the
 * host's own /etc, /usr, as the compiler emits the profile's static mounts). */
static void add(enum ag3_mount_op op, const char *source, const char *target, bool ro,
		const char *origin)
{
	char src[PATH_MAX];
	if (source && op == AG3_MOUNT_BIND && strncmp(origin, "sandbox.static_mounts.", 22))
		snprintf(src, sizeof(src), "%s%s", H, source);
	else if (source)
		snprintf(src, sizeof(src), "%s", source);
	struct ag3_mount m = {.op = op,
			      .source = source ? src : NULL,
			      .target = (char *)target,
			      .ro = ro,
			      .origin = (char *)origin};
	cr_assert_eq(ag3_spec_add_mount(spec, &m), 0);
}

static void setup(void)
{
	snprintf(H, sizeof(H), "/tmp/ag3-resolve-XXXXXX");
	cr_assert_not_null(mkdtemp(H));
	sh("W=$H/users/alice/sessions/s1/workspace; mkdir -p $W/sub/.git $W/skills $W/d "
	   "$H/users/alice/ag3ntum/persistent $H/users/bob/sessions/x/workspace $H/data/sets "
	   "$H/outside && echo s >$H/outside/secret && echo k >$W/.env");
	sh("W=$H/users/alice/sessions/s1/workspace; echo a >$W/a.txt; echo e >$W/.env.example; "
	   "echo e >$W/.env.local; echo g >$W/sub/.git/config; echo d >$H/data/sets/f; "
	   "echo p >$H/users/alice/ag3ntum/persistent/p; mkfifo $W/fifo");
	sh("mkdir -p $H/skills/.claude/skills/x $H/users/alice/.claude/skills/y "
	   "$H/users/alice/venv "
	   "$H/users/alice/.ssh $H/cache $H/ext/ro && echo gs >$H/skills/.claude/skills/x/s.py && "
	   "echo us >$H/users/alice/.claude/skills/y/u.py && echo v "
	   ">$H/users/alice/venv/pyvenv.cfg "
	   "&& echo k >$H/users/alice/.ssh/id_ed25519 && echo g >$H/users/alice/.gitconfig && "
	   "echo c >$H/cache/c && echo e >$H/ext/ro/e");
	spec = ag3_spec_new();
	cr_assert_not_null(spec);
	free(spec->process.cwd);
	spec->process.cwd = strdup("/workspace");
	/* the origins are the compiler's (README "Profiles", "External mounts") */
	add(AG3_MOUNT_BIND, "/etc", "/etc", true, "sandbox.static_mounts.system_etc");
	add(AG3_MOUNT_BIND, "/usr", "/usr", true, "sandbox.static_mounts.system_usr");
	add(AG3_MOUNT_TMPFS, NULL, "/var/tmp", false, "sandbox.tmpfs_paths[0]"); /* not /tmp */
	add(AG3_MOUNT_PROC, NULL, "/proc", false, "builtin /proc");
	add(AG3_MOUNT_SYMLINK, "etc", "/etc2", false, "sandbox.static_mounts.etc2");
	add(AG3_MOUNT_SYMLINK, "workspace", "/ws2", false, "sandbox.static_mounts.ws2");
	add(AG3_MOUNT_BIND, "/users/alice/sessions/s1/workspace", "/workspace", false,
	    "sandbox.session_mounts.workspace");
	add(AG3_MOUNT_BIND, "/users/alice/ag3ntum/persistent", "/persistent", false,
	    "sandbox.session_mounts.persistent_storage");
	/* the profile's other session mounts (fixtures/ag3ntum/ * /permissions.yaml) */
	add(AG3_MOUNT_BIND, "/users/alice/venv", "/venv", true, "sandbox.session_mounts.user_venv");
	add(AG3_MOUNT_BIND, "/skills", "/skills", true, "sandbox.session_mounts.global_skills");
	add(AG3_MOUNT_BIND, "/users/alice/.claude/skills", "/user-skills", true,
	    "sandbox.session_mounts.user_skills");
	add(AG3_MOUNT_BIND, "/users/alice/.ssh", "/root/.ssh", true,
	    "sandbox.session_mounts.user_ssh");
	add(AG3_MOUNT_BIND, "/users/alice/.gitconfig", "/root/.gitconfig", true,
	    "sandbox.session_mounts.user_gitconfig");
	add(AG3_MOUNT_BIND, "/cache", "/cache", false, "sandbox.session_mounts.cache");
	add(AG3_MOUNT_TMPFS, NULL, "/mounts", true, "tmpfs mask /mounts (external mounts)");
	add(AG3_MOUNT_BIND, "/data/sets", "/mounts/sets", true, "global.ro[0] sets");
	add(AG3_MOUNT_BIND, "/ext/ro", "/mounts/ro", true, "sandbox.session_mounts.external_ro");
	add(AG3_MOUNT_BIND, "/data/sets", "/data/sets", true, "original-path of global.ro[0] sets");
	add(AG3_MOUNT_MASK, NULL, "/workspace/d", false, "sandbox.session_mounts.workspace");
	/* a bind of no area the resolver knows (a hand-written spec): refused, fail closed */
	add(AG3_MOUNT_BIND, "/outside", "/srv/other", true, "something else");
}

static void teardown(void)
{
	ag3_resolution_clear(&res);
	ag3_spec_free(spec);
	sh("rm -rf $H");
}

TestSuite(resolve, .init = setup, .fini = teardown);

static void R(const char *path, enum ag3_resolve_op op, bool dir)
{
	cr_assert_eq(ag3_resolve(spec, &sess, path, op, dir, &res), 0, "%s", path);
}

#define DENIED(path, op, code) DENIED_D(path, op, false, code)
#define DENIED_D(path, op, dir, code)                                                              \
	do {                                                                                       \
		R(path, op, dir);                                                                  \
		cr_expect_not(res.allowed, "%s allowed", path);                                    \
		cr_expect_str_eq(ag3_resolve_reason_to_string(res.reason), #code, "%s: %s", path,  \
				 res.message);                                                     \
		cr_expect_eq(res.fd, -1);                                                          \
		cr_expect_eq(res.dir_fd, -1);                                                      \
		cr_expect(res.message &&*res.message);                                             \
	} while (0)

#define ALLOWED(path, op, sandbox)                                                                 \
	do {                                                                                       \
		R(path, op, false);                                                                \
		cr_expect(res.allowed, "%s: %s %s", path,                                          \
			  ag3_resolve_reason_to_string(res.reason), res.message);                  \
		cr_expect_str_eq(res.sandbox_path, sandbox);                                       \
	} while (0)

static void read_fd_is(const char *want)
{
	char buf[64] = {0};
	cr_assert_geq(res.fd, 0);
	cr_assert_gt(pread(res.fd, buf, sizeof(buf) - 1, 0), 0);
	cr_expect_str_eq(buf, want);
}

Test(resolve, agent_path_forms)
{
	ALLOWED("a.txt", AG3_RESOLVE_READ, "/workspace/a.txt");
	read_fd_is("a\n");
	ALLOWED("./a.txt", AG3_RESOLVE_READ, "/workspace/a.txt");
	ALLOWED("/workspace/a.txt", AG3_RESOLVE_READ, "/workspace/a.txt");
	ALLOWED("/workspace//sub/../a.txt", AG3_RESOLVE_READ, "/workspace/a.txt");
	ALLOWED("./external/ro/sets/f", AG3_RESOLVE_READ, "/mounts/sets/f");
	read_fd_is("d\n");
	ALLOWED("external/user-ro/sets/f", AG3_RESOLVE_READ, "/mounts/sets/f");
	ALLOWED("/workspace/external/dynamic/sets/f", AG3_RESOLVE_READ, "/mounts/sets/f");
	ALLOWED("/data/sets/f", AG3_RESOLVE_READ, "/data/sets/f"); /* original path */
	ALLOWED("./persistent/p", AG3_RESOLVE_READ, "/persistent/p");
	ALLOWED("persistent/p", AG3_RESOLVE_READ, "/persistent/p");
	ALLOWED("/persistent/p", AG3_RESOLVE_READ, "/persistent/p");
	ALLOWED("/workspace/persistent/p", AG3_RESOLVE_READ, "/persistent/p");
	ALLOWED("/workspace/external/persistent/p", AG3_RESOLVE_READ, "/persistent/p");
	ALLOWED("/ws2/a.txt", AG3_RESOLVE_READ, "/workspace/a.txt"); /* the spec's own symlink */
	/* a host (Docker) path under a bind's source maps onto its target */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/users/alice/sessions/s1/workspace/a.txt", H);
	ALLOWED(p, AG3_RESOLVE_READ, "/workspace/a.txt");
}

Test(resolve, reason_codes)
{
	DENIED("", AG3_RESOLVE_READ, PATH_INVALID);
	DENIED("a\nb", AG3_RESOLVE_READ, PATH_INVALID);
	DENIED("a\x7f", AG3_RESOLVE_READ, PATH_INVALID);
	DENIED("../../../etc/passwd", AG3_RESOLVE_WRITE, PATH_TRAVERSAL);
	DENIED("/workspace/../etc/conf", AG3_RESOLVE_READ, PATH_TRAVERSAL);
	DENIED("./external/ro/sets/../../../x", AG3_RESOLVE_READ, PATH_TRAVERSAL);
	DENIED("/..", AG3_RESOLVE_READ, PATH_TRAVERSAL);
	DENIED("/users/bob/sessions/x/workspace/.env", AG3_RESOLVE_READ, CROSS_USER_ACCESS_BLOCKED);
	DENIED("/users/alice/sessions/s2/workspace/a", AG3_RESOLVE_READ,
	       CROSS_SESSION_ACCESS_BLOCKED);
	DENIED("/workspaceX/a", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	DENIED("/outside/secret", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	DENIED("/var/tmp/x", AG3_RESOLVE_READ, SANDBOX_PRIVATE);
	DENIED("/proc/self/environ", AG3_RESOLVE_READ, SANDBOX_PRIVATE);
	DENIED("/workspace/d/x", AG3_RESOLVE_READ, SANDBOX_PRIVATE); /* masked */
	DENIED("/mounts/nope", AG3_RESOLVE_READ, SANDBOX_PRIVATE);
	DENIED(".env", AG3_RESOLVE_READ, BLOCKLIST);
	DENIED(".env.local", AG3_RESOLVE_READ, BLOCKLIST);
	DENIED("sub/.git/config", AG3_RESOLVE_READ, BLOCKLIST); /* nested */
	DENIED("x/node_modules/y", AG3_RESOLVE_WRITE, BLOCKLIST);
	DENIED("/data/sets/f", AG3_RESOLVE_WRITE, READ_ONLY);
	DENIED("./external/rw/sets/f", AG3_RESOLVE_EDIT, READ_ONLY); /* the bind decides */
	DENIED("skills/new.py", AG3_RESOLVE_WRITE, READ_ONLY);
	DENIED("missing.txt", AG3_RESOLVE_READ, NOT_FOUND);
	DENIED("nodir/new.txt", AG3_RESOLVE_WRITE, NOT_FOUND);
	DENIED("missing.txt", AG3_RESOLVE_DELETE, NOT_FOUND);
	DENIED("sub", AG3_RESOLVE_READ, IS_A_DIRECTORY);
	DENIED("sub", AG3_RESOLVE_WRITE, IS_A_DIRECTORY);
	DENIED("/workspace", AG3_RESOLVE_DELETE, READ_ONLY); /* a mount point */
	R("a.txt", AG3_RESOLVE_LIST, true);
	cr_expect_eq(res.reason, AG3_REASON_NOT_A_DIRECTORY);
	DENIED("a.txt/x", AG3_RESOLVE_READ, NOT_A_DIRECTORY);
	DENIED("fifo", AG3_RESOLVE_READ, NOT_A_REGULAR_FILE);
	cr_expect_eq(ag3_resolve(spec, &sess, "a", _AG3_RESOLVE_OP_MAX, false, &res), -EINVAL);
}

Test(resolve, exemptions_and_string_prefix)
{
	ALLOWED(".env.example", AG3_RESOLVE_READ, "/workspace/.env.example");
	ALLOWED("skills_notes.md", AG3_RESOLVE_WRITE, "/workspace/skills_notes.md");
	ALLOWED(".claude_x", AG3_RESOLVE_WRITE, "/workspace/.claude_x");
	cr_expect(!res.readonly);
	/* a read under a read-only prefix is allowed, and says it is read-only */
	sh("mkdir -p $H/users/alice/sessions/s1/workspace/skills && echo s "
	   ">$H/users/alice/sessions/s1/workspace/skills/s.md");
	ALLOWED("skills/s.md", AG3_RESOLVE_READ, "/workspace/skills/s.md");
	cr_expect(res.readonly);
	ALLOWED("a.txt", AG3_RESOLVE_READ, "/workspace/a.txt");
	cr_expect(!res.readonly);
	/* an exemption excuses the .env patterns, not a directory pattern */
	sh("echo x >$H/users/alice/sessions/s1/workspace/sub/.git/.env.example");
	DENIED("sub/.git/.env.example", AG3_RESOLVE_READ, BLOCKLIST);
}

Test(resolve, allowed_fds)
{
	R("/workspace", AG3_RESOLVE_LIST, true);
	cr_expect(res.allowed && res.is_dir && res.fd >= 0);
	R("new.txt", AG3_RESOLVE_WRITE, false);
	cr_assert(res.allowed, "%s", res.message);
	cr_assert(res.dir_fd >= 0 && res.fd == -1 && !res.exists);
	cr_expect_str_eq(res.name, "new.txt");
	int fd = openat(res.dir_fd, res.name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	R("a.txt", AG3_RESOLVE_EDIT, false);
	cr_assert(res.allowed);
	cr_expect_eq(fcntl(res.fd, F_GETFL) & O_ACCMODE, O_RDWR);
	R("/data/sets/f", AG3_RESOLVE_READ, false);
	cr_expect(res.allowed && res.readonly);
	cr_expect_eq(fcntl(res.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
}

Test(resolve, hostile_long_paths)
{
	size_t n = 3 * PATH_MAX;
	char *p = malloc(n + 1);
	memset(p, 'a', n);
	p[n] = 0;
	DENIED(p, AG3_RESOLVE_READ, PATH_INVALID);
	memset(p, 0, n);
	strcpy(p, "a/");
	memset(p + 2, 'b', 300);
	DENIED(p, AG3_RESOLVE_READ, PATH_INVALID); /* a component over 255 bytes */
	for (size_t i = 0; i + 3 < PATH_MAX - 8; i += 3)
		memcpy(p + i, "../", 3);
	p[PATH_MAX - 10] = 0;
	DENIED(p, AG3_RESOLVE_READ, PATH_TRAVERSAL);
	free(p);
	/* a NUL inside the length: only the mapper sees the bytes */
	char *ret = NULL;
	cr_assert_eq(ag3_resolve_map(spec, &sess, "a\0/etc", 6, &ret, &res), 0);
	cr_expect_null(ret);
	cr_expect_eq(res.reason, AG3_REASON_PATH_INVALID);
}

Test(resolve, symlinks_out_refused_via_fd)
{
	sh("cd $H/users/alice/sessions/s1/workspace && ln -s $H/outside/secret out && "
	   "ln -s ../../../../../outside rel && ln -s .env innocent && ln -s d/x tomask && "
	   "ln -s a.txt ok");
	DENIED("out", AG3_RESOLVE_READ, SYMLINK_ESCAPE);
	DENIED("rel/secret", AG3_RESOLVE_READ, SYMLINK_ESCAPE);
	DENIED("rel/new", AG3_RESOLVE_WRITE, SYMLINK_ESCAPE);
	DENIED("innocent", AG3_RESOLVE_READ, BLOCKLIST); /* the rules on where it leads */
	sh("echo m >$H/users/alice/sessions/s1/workspace/d/x");
	DENIED("tomask", AG3_RESOLVE_READ, SYMLINK_ESCAPE);  /* into a masked place */
	DENIED("ok", AG3_RESOLVE_WRITE, SYMLINK_ESCAPE);     /* never written through */
	ALLOWED("ok", AG3_RESOLVE_READ, "/workspace/a.txt"); /* inside: followed */
	ALLOWED("ok", AG3_RESOLVE_DELETE, "/workspace/ok");  /* the link itself */
}

Test(resolve, swapped_after_check_keeps_object)
{
	ALLOWED("a.txt", AG3_RESOLVE_READ, "/workspace/a.txt");
	/* the checked name now points out of the workspace: the fd does not move */
	sh("cd $H/users/alice/sessions/s1/workspace && mv a.txt b.txt && "
	   "ln -s $H/outside/secret a.txt");
	read_fd_is("a\n");
	R("new.txt", AG3_RESOLVE_WRITE, false);
	cr_assert(res.allowed);
	sh("cd $H/users/alice/sessions/s1/workspace && ln -s $H/outside/secret new.txt");
	int fd = openat(res.dir_fd, res.name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	cr_expect_eq(fd, -1, "a symlink planted at the final name was followed");
}

/*
 * The fd is opened with the caller's credentials (the platform's API process,
 * often root), not the sandbox uid's: a system bind read through it would hand
 * the host's /etc/shadow to a file tool. Only the platform's areas resolve.
 */
Test(resolve, system_binds_refused)
{
	DENIED("/etc/passwd", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	cr_expect(strstr(res.message, "Bash"), "%s", res.message);
	cr_expect_null(res.host_path);
	DENIED("/etc/shadow", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	DENIED("/etc/shadow", AG3_RESOLVE_GREP, OUTSIDE_ALLOWED);
	DENIED_D("/usr", AG3_RESOLVE_LIST, true, OUTSIDE_ALLOWED);
	DENIED_D("/usr/bin", AG3_RESOLVE_GLOB, true, OUTSIDE_ALLOWED);
	DENIED("/etc2/passwd", AG3_RESOLVE_READ, OUTSIDE_ALLOWED); /* through the spec's symlink */
	DENIED("/srv/other/secret", AG3_RESOLVE_READ, OUTSIDE_ALLOWED); /* an unknown origin */
	/* a symlink in the workspace to a system file: refused, absolute or relative */
	sh("cd $H/users/alice/sessions/s1/workspace && ln -s /etc/passwd pw && "
	   "ln -s /etc/shadow sh && ln -s ../../../../../../../../../etc/passwd relpw");
	for (size_t i = 0; i < 3; i++) {
		const char *p = (const char *[]){"pw", "sh", "relpw"}[i];
		R(p, AG3_RESOLVE_READ, false);
		cr_expect_not(res.allowed, "%s allowed", p);
		cr_expect(res.reason == AG3_REASON_SYMLINK_ESCAPE ||
				  res.reason == AG3_REASON_OUTSIDE_ALLOWED,
			  "%s: %s %s", p, ag3_resolve_reason_to_string(res.reason), res.message);
		cr_expect_eq(res.fd, -1);
	}
}

/*
 * The profile's session mounts are areas only where the platform's validator had
 * them: the workspace, the skills, persistent storage and the external mounts.
 * The venv, ~/.ssh, ~/.gitconfig (and any other session mount) are for the
 * sandboxed Bash; a root-opened fd of the user's ssh key is not for a file tool.
 */
Test(resolve, session_mounts_not_areas_refused)
{
	DENIED("/venv/pyvenv.cfg", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	cr_expect(strstr(res.message, "Bash"), "%s", res.message);
	cr_expect_null(res.host_path);
	DENIED_D("/venv", AG3_RESOLVE_LIST, true, OUTSIDE_ALLOWED);
	DENIED("/root/.ssh/id_ed25519", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	DENIED("/root/.ssh/id_ed25519", AG3_RESOLVE_GREP, OUTSIDE_ALLOWED);
	DENIED("/root/.gitconfig", AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	DENIED("/cache/c", AG3_RESOLVE_READ, OUTSIDE_ALLOWED); /* any other session mount */
	DENIED("/cache/new", AG3_RESOLVE_WRITE, OUTSIDE_ALLOWED);
	/* the Docker (host) path of the bind's source is not mapped onto it either */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/users/alice/.ssh/id_ed25519", H);
	DENIED(p, AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	snprintf(p, sizeof(p), "%s/users/alice/venv/pyvenv.cfg", H);
	DENIED(p, AG3_RESOLVE_READ, OUTSIDE_ALLOWED);
	/* a workspace symlink into them leads out of the workspace */
	sh("cd $H/users/alice/sessions/s1/workspace && ln -s /root/.ssh/id_ed25519 key");
	R("key", AG3_RESOLVE_READ, false);
	cr_expect_not(res.allowed);
	cr_expect_eq(res.fd, -1);

	/* the platform's areas among them still resolve, the skills read-only */
	ALLOWED("/skills/.claude/skills/x/s.py", AG3_RESOLVE_READ, "/skills/.claude/skills/x/s.py");
	read_fd_is("gs\n");
	cr_expect(res.readonly);
	DENIED("/skills/.claude/skills/x/s.py", AG3_RESOLVE_WRITE, READ_ONLY);
	ALLOWED("/user-skills/y/u.py", AG3_RESOLVE_READ, "/user-skills/y/u.py");
	read_fd_is("us\n");
	cr_expect(res.readonly);
	DENIED("/user-skills/y/u.py", AG3_RESOLVE_EDIT, READ_ONLY);
	ALLOWED("/mounts/ro/e", AG3_RESOLVE_READ, "/mounts/ro/e"); /* HEAD's external_ro */
	ALLOWED("/persistent/p", AG3_RESOLVE_WRITE, "/persistent/p");
}

Test(resolve, json_keys)
{
	R("/users/bob/sessions/x/workspace/.env", AG3_RESOLVE_READ, false);
	_cleanup_free_ char *j = NULL;
	cr_assert_eq(ag3_resolution_to_json(&res, AG3_RESOLVE_READ, "p", &j), 0);
	cr_expect(strstr(j, "\"allowed\":false"));
	cr_expect(strstr(j, "\"reason\":\"CROSS_USER_ACCESS_BLOCKED\""), "%s", j);
	cr_expect(strstr(j, "\"sandbox_path\":null"));
}
