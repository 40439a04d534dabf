/* SPDX-License-Identifier: MIT */
/*
 * `--version [--json]`: the version, then what this build was made with (the
 * libraries and their versions, the sanitizers, the init binary's installed
 * path) and the two facts of the running kernel that decide what a sandbox
 * gets from it (seccomp, the landlock ABI): one "name: value" line each.
 */
#include <cjson/cJSON.h>
#include <netlink/version.h>
#include <seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli.h"
#include "config.h"
#include "runtime/landlock.h"
#include "runtime/sandbox.h"
#include "runtime/util/sanitizer.h"

/* The landlock ABI this build's rules are written for (runtime/landlock.c). */
#define LANDLOCK_ABI_KNOWN 6

struct feature {
	const char *key; /* the --json key */
	char value[256];
};

static void set(struct feature *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(struct feature *f, const char *key, const char *fmt, ...)
{
	va_list ap;
	f->key = key;
	va_start(ap, fmt);
	vsnprintf(f->value, sizeof(f->value), fmt, ap);
	va_end(ap);
}

static const char *sanitizers(void)
{
	const char *s = AG3_BUILD_SANITIZE;
	if (strcmp(s, "none"))
		return s; /* meson's b_sanitize */
	return AG3_ASAN ? "address" : "none";
}

static size_t collect(struct feature *f)
{
	size_t n = 0;
	const struct scmp_version *sv = seccomp_version();
	/* PR_GET_SECCOMP: 0 (not filtered) or 2 (filtered), EINVAL without seccomp */
	bool kernel_seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	set(&f[n++], "seccomp", "libseccomp %u.%u.%u (built with %d.%d.%d); this kernel: %s",
	    sv ? sv->major : 0, sv ? sv->minor : 0, sv ? sv->micro : 0, SCMP_VER_MAJOR,
	    SCMP_VER_MINOR, SCMP_VER_MICRO, kernel_seccomp ? "yes" : "no");
	int abi = ag3_landlock_abi();
	if (abi > 0)
		set(&f[n++], "landlock", "this kernel: ABI %d (this build uses ABI 1-%d)", abi,
		    LANDLOCK_ABI_KNOWN);
	else
		set(&f[n++], "landlock", "this kernel: none (this build uses ABI 1-%d)",
		    LANDLOCK_ABI_KNOWN);
	set(&f[n++], "libnl", "%d.%d.%d (built with %s)", nl_ver_maj, nl_ver_min, nl_ver_mic,
	    LIBNL_VERSION);
	set(&f[n++], "libyaml", "%s", yaml_get_version_string());
	set(&f[n++], "cjson", "%s (built with %d.%d.%d)", cJSON_Version(), CJSON_VERSION_MAJOR,
	    CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
	set(&f[n++], "libcap", "yes");
	set(&f[n++], "build", "%s", AG3_BUILD_TYPE);
	set(&f[n++], "sanitizers", "%s", sanitizers());
	set(&f[n++], "init_installed", "%s", AG3_INIT_PATH);
	char path[4096];
	bool named = false;
	int r = ag3_sandbox_init_binary(path, sizeof(path), &named);
	if (r == 0)
		set(&f[n++], "init", "%s%s", path, named ? " ($AG3NTUM_SANDBOX_INIT)" : "");
	else if (named)
		set(&f[n++], "init", "%s: unusable, %s ($AG3NTUM_SANDBOX_INIT)",
		    path[0] ? path : "none", strerror(-r));
	else
		set(&f[n++], "init", "none (fresh sandboxes fork their init)");
	return n;
}

int cli_version(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json")) {
			cli_error("--version: unknown argument '%s' (only --json)", argv[i]);
			return 2;
		}
		json = true;
	}
	struct feature f[16];
	size_t n = collect(f);
	if (!json) {
		printf(PROG " %s\n", AG3_VERSION);
		for (size_t i = 0; i < n; i++)
			printf("%s: %s\n", f[i].key, cli_esc(f[i].value));
		return 0;
	}
	cJSON *o = cJSON_CreateObject(), *feat;
	bool ok = o && cJSON_AddStringToObject(o, "name", PROG) &&
		  cJSON_AddStringToObject(o, "version", AG3_VERSION) &&
		  (feat = cJSON_AddObjectToObject(o, "features"));
	for (size_t i = 0; ok && i < n; i++)
		ok = cJSON_AddStringToObject(feat, f[i].key, f[i].value);
	int abi = ag3_landlock_abi();
	ok = ok && cJSON_AddNumberToObject(o, "landlock_abi", abi > 0 ? abi : 0);
	char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s) {
		cli_error("out of memory");
		return 2;
	}
	int rc = cli_print_json(stdout, s) < 0 ? 2 : 0;
	free(s);
	return rc;
}
