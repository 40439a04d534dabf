/* SPDX-License-Identifier: MIT */
/* `lint`: check profiles (and the external-mounts file) before deployment. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "policy/lint.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"

static const char lint_help[] =
	"Usage: " PROG " lint [OPTIONS] PROFILE...\n"
	"\n"
	"Checks profiles in the agent platform's permissions.yaml schema before they are\n"
	"deployed: what would break, what is unsafe, what the platform got wrong or silently\n"
	"ignored. Each finding names a rule (AG3L000 ...), a severity, the file:line:column\n"
	"it is about and how to fix it. A profile that does not load is an error finding\n"
	"with the loader's message. `" PROG " lint --list-rules` prints the catalogue;\n"
	"README.md, \"Lint rules\", explains each rule.\n"
	"\n"
	"Options:\n"
	"  --format text|json  text (default): one finding per line, then its hint; json: a\n"
	"                      list of {rule, name, severity, file, line, column, message, hint}\n"
	"  --strict            warnings fail too (exit 1)\n"
	"  --mounts FILE       the external-mounts.yaml deployed with the profiles: also lint\n"
	"                      it, and the profiles together with it\n"
	"  --host-root DIR     look mount sources up beneath DIR instead of / (to lint for\n"
	"                      another machine's layout)\n"
	"  --arch ARCH         the machine the profiles are for (default: this one's)\n"
	"  --list-rules        print the rule catalogue and exit\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 clean (warnings and infos allowed without --strict), 1 warnings\n"
	"with --strict, 2 errors (or bad options).\n";

enum {
	OPT_FORMAT = OPT_LOCAL_FIRST,
	OPT_STRICT,
	OPT_LMOUNTS,
	OPT_LHOST_ROOT,
	OPT_ARCH,
	OPT_LIST,
	OPT_HELP
};

static int list_rules(bool json)
{
	size_t n;
	const struct ag3_lint_rule *v = ag3_lint_rules(&n);
	if (!json) {
		for (size_t i = 0; i < n; i++)
			printf("%s  %-7s  %-26s %s\n", v[i].id,
			       ag3_lint_severity_to_string(v[i].severity), v[i].name, v[i].summary);
		return 0;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "rule", v[i].id);
		cJSON_AddStringToObject(o, "name", v[i].name);
		cJSON_AddStringToObject(o, "severity", ag3_lint_severity_to_string(v[i].severity));
		cJSON_AddStringToObject(o, "summary", v[i].summary);
		cJSON_AddStringToObject(o, "hint", v[i].hint);
		cJSON_AddBoolToObject(o, "needs_mounts", v[i].needs_mounts);
		cJSON_AddItemToArray(a, o);
	}
	char *s = a ? cJSON_Print(a) : NULL;
	cJSON_Delete(a);
	if (!s) {
		cli_error("out of memory");
		return 2;
	}
	puts(s);
	free(s);
	return 0;
}

static int print_json(const struct ag3_lint_report *rep)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < rep->n; i++) {
		const struct ag3_lint_finding *f = &rep->v[i];
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddStringToObject(o, "rule", f->rule->id);
		cJSON_AddStringToObject(o, "name", f->rule->name);
		cJSON_AddStringToObject(o, "severity",
					ag3_lint_severity_to_string(f->rule->severity));
		if (f->file)
			cJSON_AddStringToObject(o, "file", f->file);
		else
			cJSON_AddNullToObject(o, "file");
		cJSON_AddNumberToObject(o, "line", f->line);
		cJSON_AddNumberToObject(o, "column", f->col);
		cJSON_AddStringToObject(o, "message", f->message);
		cJSON_AddStringToObject(o, "hint", f->rule->hint);
		cJSON_AddItemToArray(a, o);
	}
	char *s = a ? cJSON_Print(a) : NULL;
	cJSON_Delete(a);
	if (!s) {
		cli_error("out of memory");
		return -1;
	}
	int r = cli_print_json(stdout, s);
	free(s);
	return r;
}

static void print_text(const struct ag3_lint_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct ag3_lint_finding *f = &rep->v[i];
		const char *file = cli_esc(f->file ? f->file : "?");
		if (f->line)
			printf("%s:%u:%u: ", file, f->line, f->col);
		else
			printf("%s: ", file);
		printf("%s: %s [%s %s]\n", ag3_lint_severity_to_string(f->rule->severity),
		       cli_esc(f->message), f->rule->id, f->rule->name);
		printf("    hint: %s\n", f->rule->hint);
	}
	printf("%zu error(s), %zu warning(s), %zu info\n",
	       ag3_lint_report_count(rep, AG3_LINT_ERROR),
	       ag3_lint_report_count(rep, AG3_LINT_WARNING),
	       ag3_lint_report_count(rep, AG3_LINT_INFO));
}

int cli_lint(int argc, char **argv)
{
	bool json = false, strict = false, list = false;
	const char *mounts_path = NULL, *host_root = NULL, *arch = NULL;
	static const struct option opts[] = {
		{"format", required_argument, NULL, OPT_FORMAT},
		{"strict", no_argument, NULL, OPT_STRICT},
		{"mounts", required_argument, NULL, OPT_LMOUNTS},
		{"host-root", required_argument, NULL, OPT_LHOST_ROOT},
		{"arch", required_argument, NULL, OPT_ARCH},
		{"list-rules", no_argument, NULL, OPT_LIST},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "json")) {
				json = true;
			} else if (!strcmp(optarg, "text")) {
				json = false;
			} else {
				cli_error("--format: '%s' is not text or json", optarg);
				return 2;
			}
			break;
		case OPT_STRICT:
			strict = true;
			break;
		case OPT_LMOUNTS:
			mounts_path = optarg;
			break;
		case OPT_LHOST_ROOT:
			if (optarg[0] != '/') {
				cli_error("--host-root: '%s' is not an absolute path", optarg);
				return 2;
			}
			host_root = optarg;
			break;
		case OPT_ARCH:
			arch = optarg;
			break;
		case OPT_LIST:
			list = true;
			break;
		case 'h':
		case OPT_HELP:
			fputs(lint_help, stdout);
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " lint --help'.\n");
			return 2;
		}
	}
	if (list)
		return list_rules(json);
	if (optind >= argc) {
		cli_error("lint: no PROFILE given (see '" PROG " lint --help')");
		return 2;
	}

	struct ag3_lint_report rep = {0};
	struct ag3_error *err = NULL;
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *mounts = NULL;
	int rc = 0;
	if (mounts_path && ag3_mounts_config_load_file(mounts_path, &mounts, &err) < 0) {
		if (ag3_lint_add_load_error(&rep, mounts_path, err) < 0)
			goto oom;
		ag3_error_free(err);
		err = NULL;
	}
	struct ag3_lint_options o = {.host_root = host_root, .arch = arch, .mounts = mounts};
	for (int i = optind; i < argc; i++) {
		_cleanup_(ag3_profile_freep) struct ag3_profile *p = NULL;
		if (ag3_profile_load_file(argv[i], &p, &err) < 0) {
			int k = ag3_lint_add_load_error(&rep, argv[i], err);
			ag3_error_free(err);
			err = NULL;
			if (k < 0)
				goto oom;
			continue;
		}
		if (ag3_lint_profile(p, &o, &rep) < 0)
			goto oom;
	}
	ag3_lint_report_sort(&rep);
	if (json) {
		if (print_json(&rep) < 0)
			rc = 2;
	} else {
		print_text(&rep);
	}
	if (rc == 0 && ag3_lint_report_count(&rep, AG3_LINT_ERROR))
		rc = 2;
	else if (rc == 0 && strict && ag3_lint_report_count(&rep, AG3_LINT_WARNING))
		rc = 1;
	ag3_lint_report_clear(&rep);
	return rc;
oom:
	ag3_error_free(err);
	ag3_lint_report_clear(&rep);
	cli_error("out of memory");
	return 2;
}
