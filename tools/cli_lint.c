/* SPDX-License-Identifier: MIT */
/* `lint`: check profiles (and the external-mounts file) before deployment. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "policy/lint.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"

const char cli_lint_help[] =
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
	"  --format text|json|sarif\n"
	"                      text (default): one finding per line, then its hint; json: a\n"
	"                      list of {rule, name, severity, file, line, column, message, hint};\n"
	"                      sarif: a SARIF 2.1.0 log (CI systems annotate the profile)\n"
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

enum lint_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF };

/* --format text|json|sarif: *(enum lint_format *)dst */
static int parse_format(void *dst, const char *arg)
{
	static const char *const names[] = {
		[FORMAT_TEXT] = "text", [FORMAT_JSON] = "json", [FORMAT_SARIF] = "sarif"};
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (!strcmp(arg, names[i])) {
			*(enum lint_format *)dst = (enum lint_format)i;
			return 0;
		}
	cli_error("--format: '%s' is not text, json or sarif", arg);
	return -1;
}

static int list_rules(enum lint_format format)
{
	size_t n;
	const struct ag3_lint_rule *v = ag3_lint_rules(&n);
	if (format == FORMAT_SARIF) {
		struct ag3_lint_report none = {0};
		return cli_lint_print_sarif(&none) < 0 ? 2 : 0;
	}
	if (format == FORMAT_TEXT) {
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
	return cli_lint_print_cjson(a);
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
	enum lint_format format = FORMAT_TEXT;
	bool strict = false, list = false;
	const char *mounts_path = NULL, *host_root = NULL, *arch = NULL;
	const struct cli_opt opts[] = {
		{"format", 0, CLI_OPT_CALL, &format, .call = parse_format},
		{"strict", 0, CLI_OPT_FLAG, &strict, .value = true},
		{"mounts", 0, CLI_OPT_STRING, &mounts_path},
		{"host-root", 0, CLI_OPT_ABS_PATH, &host_root},
		{"arch", 0, CLI_OPT_STRING, &arch},
		{"list-rules", 0, CLI_OPT_FLAG, &list, .value = true},
		{0},
	};
	const struct cli_command_options co = {
		.cmd = "lint", .help = cli_lint_help, .permute = true, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (list) {
		if (first < argc) {
			cli_error("lint: --list-rules takes no PROFILE ('%s')", argv[first]);
			return CLI_EXIT_USAGE;
		}
		return list_rules(format);
	}
	if (first >= argc) {
		cli_error("lint: no PROFILE given (see '" PROG " lint --help')");
		return 2;
	}

	struct ag3_lint_report rep = {0};
	struct ag3_error *err = NULL;
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *mounts = NULL;
	rc = 0;
	if (mounts_path && ag3_mounts_config_load_file(mounts_path, &mounts, &err) < 0) {
		if (ag3_lint_add_load_error(&rep, mounts_path, err) < 0)
			goto oom;
		ag3_error_free(err);
		err = NULL;
	}
	struct ag3_lint_options o = {.host_root = host_root, .arch = arch, .mounts = mounts};
	for (int i = first; i < argc; i++) {
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
	if (format == FORMAT_JSON) {
		if (print_json(&rep) < 0)
			rc = 2;
	} else if (format == FORMAT_SARIF) {
		if (cli_lint_print_sarif(&rep) < 0)
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
