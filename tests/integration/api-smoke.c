/* SPDX-License-Identifier: MIT */
/*
 * A consumer of the public embedding API, built only against
 * agent/ag3ntum-sandbox.h and libag3ntum-sandbox.so (as an agent loop would
 * link it): load the embedded default profile, set the session's values on a
 * context, compile, round trip the spec through JSON, run commands in real
 * sandboxes and read the result record. Prints one "ok"/"FAIL" line per check;
 * exits 1 on any failure. Used by test-api.sh (root and rootless) and by the pkg-config
 * install check.
 *
 *   api-smoke WORKSPACE_DIR BAD_PROFILE_FILE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ag3ntum-sandbox.h>

static int failures;

static void check(int cond, const char *what, const char *detail)
{
	printf("%s %s%s%s\n", cond ? "ok" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
	if (!cond)
		failures++;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s WORKSPACE_DIR BAD_PROFILE_FILE\n", argv[0]);
		return 2;
	}
	const char *ws = argv[1], *bad = argv[2];
	check(strcmp(ag3_version(), "") != 0, "ag3_version", ag3_version());

	/* A malformed profile: -EINVAL and a message naming file:line:col. */
	struct ag3_error *err = NULL;
	struct ag3_profile *p = NULL;
	int r = ag3_profile_load_file(bad, &p, &err);
	char *msg = err ? ag3_error_format(err) : NULL;
	check(r == -EINVAL && !p && msg && strstr(msg, bad) && strstr(msg, ":3:"),
	      "bad profile refused with file:line", msg);
	free(msg);
	ag3_error_free(err);
	err = NULL;

	r = ag3_profile_load_default(&p, &err);
	check(r == 0 && p, "default profile loads", NULL);
	struct ag3_context *s = ag3_context_new();
	check(s != NULL, "context for ag3_compile", NULL);
	check(ag3_context_set_user(s, "", "s1") == -EINVAL, "empty username refused", NULL);
	check(ag3_context_set_ids(s, 0, 0) == -EINVAL, "uid 0 refused", NULL);
	check(ag3_context_set_workspace(s, "relative/ws") == -EINVAL, "relative workspace refused",
	      NULL);
	check(ag3_context_set_user(s, "alice", "s1") == 0, "set user", NULL);
	check(ag3_context_set_workspace(s, ws) == 0, "set workspace", NULL);

	struct ag3_spec *spec = NULL;
	r = ag3_compile(p, s, &spec, &err);
	msg = err ? ag3_error_format(err) : NULL;
	check(r == 0 && spec, "compile", msg);
	free(msg);
	if (!spec)
		return 1;

	/* JSON both ways, byte-identical after a round trip. */
	char *j1 = NULL, *j2 = NULL;
	struct ag3_spec *back = NULL;
	r = ag3_spec_to_json(spec, 0, &j1, &err);
	check(r == 0 && j1 && strstr(j1, "\"schema\":\"ag3ntum.spec/1\""), "spec to JSON", NULL);
	r = j1 ? ag3_spec_from_json(j1, strlen(j1), "api-smoke", &back, &err) : -1;
	check(r == 0 && back, "spec from JSON", NULL);
	r = back ? ag3_spec_to_json(back, 0, &j2, &err) : -1;
	check(r == 0 && j1 && j2 && strcmp(j1, j2) == 0, "round trip is byte-identical", NULL);
	free(j2);
	ag3_spec_free(back);

	/* An embedder's spec goes through the uid policy as `exec --spec` does: a
	 * system gid (5) is refused by ag3_run and by the context, and nothing runs. */
	const char *idk = "\"identity\":{\"uid\":null,\"gid\":null";
	char *at = j1 ? strstr(j1, idk) : NULL;
	char *bad_json = NULL;
	struct ag3_spec *sysgid = NULL;
	if (at && asprintf(&bad_json, "%.*s\"identity\":{\"uid\":50001,\"gid\":5%s", (int)(at - j1),
			   j1, at + strlen(idk)) < 0)
		bad_json = NULL;
	r = bad_json ? ag3_spec_from_json(bad_json, strlen(bad_json), "sysgid", &sysgid, &err) : -1;
	check(r == 0 && sysgid, "a spec with gid 5 decodes", bad_json);
	char sh0[] = "sh", c0[] = "-c", touch[] = "echo ran > /workspace/sysgid-ran";
	char *res0 = NULL;
	r = sysgid ? ag3_run(sysgid, (char *[]){sh0, c0, touch, NULL}, &res0) : 0;
	check(r == -EPERM && !res0, "ag3_run refuses a spec with a system gid", res0);
	free(res0);
	struct ag3_context *ctx = ag3_context_new();
	check(ctx != NULL, "context", NULL);
	r = sysgid && ctx ? ag3_context_check_spec(ctx, sysgid, &err) : 0;
	msg = err ? ag3_error_format(err) : NULL;
	check(r == -EPERM && msg && strstr(msg, "identity.gid") && strstr(msg, "5"),
	      "the context's uid policy names the refused id", msg);
	free(msg);
	ag3_error_free(err);
	err = NULL;
	r = sysgid && ctx ? ag3_context_run(ctx, sysgid, (char *[]){sh0, c0, touch, NULL}, NULL)
			  : 0;
	check(r == -EPERM, "ag3_context_run refuses it too", NULL);
	char ran[4096];
	snprintf(ran, sizeof(ran), "%s/sysgid-ran", ws);
	check(access(ran, F_OK) != 0, "nothing ran", ran);
	/* A spec file with it: refused on load, the file named in the message. */
	char spec_path[4096];
	snprintf(spec_path, sizeof(spec_path), "%s/../sysgid-spec.json", ws);
	FILE *f = bad_json ? fopen(spec_path, "w") : NULL;
	if (f) {
		fputs(bad_json, f);
		fclose(f);
	}
	struct ag3_spec *loaded = NULL;
	r = f && ctx ? ag3_context_load_spec(ctx, spec_path, &loaded, &err) : 0;
	msg = err ? ag3_error_format(err) : NULL;
	check(r == -EPERM && !loaded && msg && strstr(msg, "sysgid-spec.json"),
	      "ag3_context_load_spec refuses it", msg);
	free(msg);
	ag3_error_free(err);
	err = NULL;
	unlink(spec_path);
	/* The same session ids through the context's compile: refused at compile time. */
	check(ctx && ag3_context_set_ids(ctx, 50001, 5) == 0, "set ids", NULL);
	struct ag3_spec *cspec = NULL;
	r = ctx ? ag3_context_compile(ctx, &cspec, &err) : 0;
	msg = err ? ag3_error_format(err) : NULL;
	check(r == -EPERM && !cspec && msg && strstr(msg, "identity.gid"),
	      "ag3_context_compile refuses a system gid", msg);
	free(msg);
	ag3_error_free(err);
	err = NULL;
	/* --uid-mode any's policy: 0 and the API uid are still refused, 1000 is not. */
	check(ctx && ag3_context_set_uid_mode(ctx, "nope") == -EINVAL, "bad uid mode refused",
	      NULL);
	check(ctx && ag3_context_set_uid_mode(ctx, "any") == 0, "uid mode any", NULL);
	check(ctx && ag3_context_set_ids(ctx, 1000, 1000) == 0, "set ids", NULL);
	r = ctx ? ag3_context_compile(ctx, &cspec, &err) : -1;
	check(r == 0 && cspec, "ag3_context_compile under uid mode any", NULL);
	ag3_spec_free(cspec);
	ag3_context_free(ctx);
	ag3_spec_free(sysgid);
	free(bad_json);
	free(j1);

	/* Really sandboxed: exit status, result record, the workspace written. */
	/* argv strings are writable, as execve's are (-Wwrite-strings). */
	char sh[] = "sh", dash_c[] = "-c", cmd_exit3[] = "echo hi > /workspace/from-api; exit 3",
	     cmd_isolated[] =
		     "grep -q '^CapBnd:[[:space:]]*0000000000000000$' /proc/self/status && "
		     "grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/self/status && "
		     "grep -q '^Seccomp:[[:space:]]*2$' /proc/self/status && "
		     "test \"$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')\" = lo";
	char *res = NULL;
	/* The caller's dumpable flag is its own: a vfork-style sandbox child shares its
	 * address space while it changes credentials, and must not leave it changed
	 * (nor break the next run, whose child writes its own /proc/self id maps). */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	r = ag3_run(spec, (char *[]){sh, dash_c, cmd_exit3, NULL}, &res);
	check(r == 3, "ag3_run returns the command's status", res);
	check(res && strstr(res, "\"status\":\"exited\"") && strstr(res, "\"exit_code\":3") &&
		      strstr(res, "\"capabilities_dropped\":true"),
	      "result record", res);
	free(res);
	char path[4096];
	snprintf(path, sizeof(path), "%s/from-api", ws);
	check(access(path, F_OK) == 0, "the command wrote the workspace", path);

	res = NULL;
	r = ag3_run(spec, (char *[]){sh, dash_c, cmd_isolated, NULL}, &res);
	check(r == 0, "isolated (no caps, no_new_privs, seccomp, only lo)", res);
	free(res);
	check(dumpable == 1 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1,
	      "the caller stays dumpable across ag3_run", NULL);

	res = NULL;
	r = ag3_run(spec, (char *[]){NULL}, &res);
	check(r == -EINVAL && res == NULL, "empty argv refused", NULL);

	/* The file tools' resolver: the file the command wrote, through the fd it returns. */
	struct ag3_path *pr = NULL;
	r = ag3_resolve_path(spec, "alice", "s1", NULL, "read", "from-api", 0, &pr, &err);
	char buf[16] = "";
	ssize_t n = r == 0 && pr && pr->allowed ? pread(pr->fd, buf, sizeof(buf) - 1, 0) : -1;
	check(r == 0 && pr && pr->allowed && !strcmp(pr->reason, "ALLOWED") && n == 3 &&
		      !strcmp(buf, "hi\n") && pr->sandbox_path &&
		      !strcmp(pr->sandbox_path, "/workspace/from-api") &&
		      strstr(pr->json, "\"allowed\":true"),
	      "ag3_resolve_path: read through the fd", pr ? pr->json : NULL);
	ag3_path_free(pr);
	pr = NULL;
	r = ag3_resolve_path(spec, "alice", "s1", NULL, "write", "../../../etc/passwd", 0, &pr,
			     &err);
	check(r == 0 && pr && !pr->allowed && !strcmp(pr->reason, "PATH_TRAVERSAL") &&
		      pr->fd == -1 && pr->dir_fd == -1 && *pr->message,
	      "ag3_resolve_path: traversal refused", pr ? pr->message : NULL);
	ag3_path_free(pr);
	pr = NULL;
	r = ag3_resolve_path(spec, "alice", "s1", NULL, "write", "new.txt", 0, &pr, &err);
	int wfd = r == 0 && pr && pr->allowed
			  ? openat(pr->dir_fd, pr->name, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644)
			  : -1;
	check(wfd >= 0 && write(wfd, "w", 1) == 1, "ag3_resolve_path: write through dir_fd + name",
	      pr ? pr->json : NULL);
	if (wfd >= 0)
		close(wfd);
	ag3_path_free(pr);
	pr = NULL;
	const char *const md[] = {"*.txt", NULL};
	const struct ag3_path_rules rules = {.blocklist = md};
	r = ag3_resolve_path(spec, "alice", "s1", &rules, "read", "new.txt", 0, &pr, &err);
	check(r == 0 && pr && !pr->allowed && !strcmp(pr->reason, "BLOCKLIST"),
	      "ag3_resolve_path: a caller's blocklist", pr ? pr->message : NULL);
	ag3_path_free(pr);
	pr = NULL;
	r = ag3_resolve_path(spec, NULL, NULL, NULL, "frob", "a", 0, &pr, &err);
	check(r == -EINVAL && !pr, "ag3_resolve_path: unknown operation refused", NULL);
	ag3_error_free(err);
	err = NULL;

	ag3_spec_free(spec);
	ag3_context_free(s);
	ag3_profile_free(p);
	ag3_error_free(err);
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
