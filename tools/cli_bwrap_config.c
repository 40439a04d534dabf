/* SPDX-License-Identifier: MIT */
/*
 * The operator's configuration of the bwrap front end at run time: which file
 * (the system's, or $AG3NTUM_BWRAP_CONFIG for a caller who did not come through
 * sudo), its layers added to the spec (policy/bwrap-config.c), and after the
 * run what they did: a timeout line, a line for each layer the host could not
 * apply, the result record in result_dir. README "The operator's
 * configuration".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_bwrap_config.h"
#include "policy/bwrap-config.h"
#include "runtime/util/cleanup.h"
#include "runtime/util/text.h"

#define CONFIG_ENV "AG3NTUM_BWRAP_CONFIG"

/* The configuration this caller gets: 0 (*ret NULL: none), or -1 with `res` failed. */

bool cli_bwrap_elevated_caller(void)
{
	static const struct {
		const char *name, *self; /* the variable; its value when root asked */
	} vars[] = {{"SUDO_UID", "0"}, {"PKEXEC_UID", "0"}, {"DOAS_USER", "root"}};
	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		const char *v = getenv(vars[i].name);
		if (v && strcmp(v, vars[i].self) != 0)
			return true;
	}
	return false;
}

static int load_config(struct ag3_bwrap_config **ret, struct ag3_result *res)
{
	*ret = NULL;
	const char *env = getenv(CONFIG_ENV), *path = AG3_BWRAP_CONFIG_PATH;
	char text[512];
	if (env) {
		/* The operator's file is not the caller's to swap: not through sudo (a
		 * sudoers rule keeping the variable), not through a set-id binary. */
		if (cli_bwrap_elevated_caller() || getuid() != geteuid() || getgid() != getegid()) {
			snprintf(text, sizeof(text),
				 "%s is refused for a caller who came through sudo or a set-id "
				 "binary: the operator's %s applies (README \"The operator's "
				 "configuration\")",
				 CONFIG_ENV, AG3_BWRAP_CONFIG_PATH);
			ag3_result_setup_failed(res, EPERM, "config", NULL, text);
			return -1;
		}
		path = env;
	}
	/* Root (and a sudo caller) trusts only root's file; an unprivileged caller also
	 * its own, which can constrain nobody but itself. */
	const uid_t also = geteuid() != 0 ? getuid() : (uid_t)-1;
	struct ag3_error *e = NULL;
	int r = ag3_bwrap_config_load(path, also, ret, &e);
	if (r == -ENOENT && !e && !env)
		return 0; /* no operator configuration: plain bwrap */
	if (r == -ENOENT && !e)
		r = ag3_error_set_at(&e, ENOENT, path, 0, 0, "%s names no file", CONFIG_ENV);
	if (r < 0) {
		_cleanup_free_ char *f = e ? ag3_error_format(e) : NULL;
		ag3_result_setup_failed(res, e ? e->err : -r, "config", NULL,
					f ? f : "the operator's configuration is refused");
		ag3_error_free(e);
		return -1;
	}
	return 0;
}

/* <result_dir>/<UTC time>.<ns>-<pid>.json, one per run. */
static void write_record(const struct ag3_bwrap_config *cfg, const struct ag3_result *res)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32], path[PATH_MAX];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if (snprintf(path, sizeof(path), "%s/%s.%09ldZ-%d.json", cfg->result_dir.v, stamp,
		     ts.tv_nsec, (int)getpid()) >= (int)sizeof(path)) {
		fprintf(stderr, "bwrap: %s: result_dir: the path is too long\n", cfg->file);
		return;
	}
	char *s = NULL;
	_cleanup_free_ char *j = NULL, *line = NULL;
	int n = -1;
	if (ag3_result_to_json(res, &s) == 0 && (j = ag3_escape_json(s)))
		n = asprintf(&line, "%s\n", j);
	free(s);
	int r = n < 0 ? -ENOMEM : cli_write_file_atomic(path, line, (size_t)n, 0640);
	if (r < 0)
		fprintf(stderr, "bwrap: %s: result_dir: cannot write %s: %s\n", cfg->file, path,
			strerror(-r));
}

void cli_bwrap_run(struct ag3_spec *spec, const struct ag3_run_opts *ro, struct ag3_result *res,
		   int (*before)(void *data, struct ag3_spec *spec, struct ag3_result *res),
		   void *before_data)
{
	_cleanup_(ag3_bwrap_config_freep) struct ag3_bwrap_config *cfg = NULL;
	if (load_config(&cfg, res) < 0)
		return;
	if (!cfg) {
		if (!before || before(before_data, spec, res) == 0)
			ag3_sandbox_run(spec, ro, res);
		return;
	}
	struct ag3_error *e = NULL;
	if (ag3_bwrap_config_apply(cfg, spec, &e) < 0) {
		ag3_result_setup_failed(res, e ? e->err : ENOMEM, "config", NULL,
					e && e->msg ? e->msg : NULL);
		ag3_error_free(e);
		return;
	}
	struct stat st;
	if (*cfg->result_dir.v && (stat(cfg->result_dir.v, &st) < 0 || !S_ISDIR(st.st_mode))) {
		char text[PATH_MAX + 128];
		snprintf(text, sizeof(text), "%s:%u:%u: result_dir: %s is not a directory",
			 cfg->file, cfg->result_dir.meta.loc.line, cfg->result_dir.meta.loc.col,
			 cfg->result_dir.v);
		ag3_result_setup_failed(res, ENOTDIR, "config", NULL, text);
		return;
	}
	if (before && before(before_data, spec, res) < 0)
		return;
	ag3_sandbox_run(spec, ro, res);
	if (res->status == AG3_STATUS_TIMEOUT)
		fprintf(stderr,
			"bwrap: timeout: the command ran longer than %llu ms (limits.timeout in "
			"%s) and was killed\n",
			(unsigned long long)spec->limits.timeout_ms, cfg->file);
	for (size_t i = 0; i < res->enforcement.n_degraded; i++)
		fprintf(stderr, "bwrap: warning: %s: not applied as configured: %s\n", cfg->file,
			res->enforcement.degraded[i]);
	if (*cfg->result_dir.v)
		write_record(cfg, res);
}
