/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "runtime/spec_json.h"

const char cli_compile_help[] =
	"Usage: " PROG " compile [OPTIONS]\n"
	"\n"
	"Compiles a profile and a session into the sandbox spec (JSON, schema\n"
	"\"ag3ntum.spec/1\") and prints it: every mount in order with the profile key it came\n"
	"from, the identity, namespaces, environment, security layers and limits: everything\n"
	"`exec` would do. The output is deterministic: the same inputs on the same host give\n"
	"the same bytes. `exec --spec FILE` runs a saved spec.\n"
	"\n"
	"%s"
	"\n"
	"Output options:\n"
	"  --compact          one line instead of indented JSON\n"
	"  --reveal-secrets   print the values of secret environment variables (from secrets\n"
	"                     files); by default they are shown as \"<redacted>\"\n"
	"  -o, --output FILE  write the spec to FILE instead of stdout; a spec written there\n"
	"                     keeps its secrets so that `exec --spec` can use it. FILE is a\n"
	"                     new file of mode 0600 renamed into place (whatever was there,\n"
	"                     a symlink included, is replaced, never written through); its\n"
	"                     directory is resolved without following symlinks\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 compiled; 2 the profile, session or spec is invalid (the message\n"
	"names file:line:column and the key), FILE cannot be written, or a usage error.\n";

int cli_compile(int argc, char **argv)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *vars = ag3_vars_new();
	if (!vars) {
		cli_error("out of memory");
		return 2;
	}
	struct cli_source src = {.vars = vars};
	bool compact = false, reveal = false;
	const char *output = NULL;
	const struct cli_opt opts[] = {
		{"compact", 0, CLI_OPT_FLAG, &compact, .value = true},
		{"reveal-secrets", 0, CLI_OPT_FLAG, &reveal, .value = true},
		{"output", 'o', CLI_OPT_STRING, &output},
		{0},
	};
	const struct cli_command_options co = {
		.cmd = "compile", .help = cli_compile_help, .source = &src, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (cli_refuse_operands("compile", argc, argv, first) < 0)
		return CLI_EXIT_USAGE;
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	if (cli_source_spec(&src, &spec) < 0)
		return 2;
	unsigned flags = compact ? 0 : AG3_JSON_PRETTY;
	if (!reveal && !output)
		flags |= AG3_JSON_REDACT_SECRETS;
	char *json = NULL;
	struct ag3_error *err = NULL;
	if (ag3_spec_to_json(spec, flags, &json, &err) < 0) {
		cli_print_error("compile", err);
		ag3_error_free(err);
		return 2;
	}
	size_t len = strlen(json);
	rc = 0;
	if (output) {
		/* a new 0600 file renamed over FILE: a file someone else made there, or a
		 * symlink or hard link planted there, is replaced, never written through */
		int r = cli_write_file_atomic(output, json, len, 0600);
		if (r < 0) {
			cli_error("--output %s: %s", output, strerror(-r));
			rc = 2;
		}
	} else if (cli_print_json(stdout, json) < 0) {
		rc = 2;
	}
	explicit_bzero(json, len);
	free(json);
	return rc;
}
