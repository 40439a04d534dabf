/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policy/rules.c: call strings, name normalization, prefix
 * rules, globs (with **), the shell command splitter, deny-wins, the modes,
 * session_workspace, denial messages and interrupt counting (reference 5.1 -
 * 5.5), and for policy/explain.c's path walk. Mostly tables: one row, one case.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain.h"
#include "policy/profile-model.h"
#include "policy/rules.h"

#include "helpers.h"

#define DEF AG3_PERM_DEFAULT
#define BYP AG3_PERM_BYPASS
#define ALLOW 1
#define DENY 0
#define ANY 0
#define RS(x) (AG3_REASON_##x + 1) /* 0: not checked */
#define NONE "-"                   /* expect no rule / no part */

static size_t n_cases; /* rows run (each test runs in its own process) */

/* ------------------------------------------------------------ helpers -- */

/* Rules from "pattern\n!deny-pattern\n...". */
static struct ag3_rules *mk_rules(int mode, const char *spec, const char *host_ws)
{
	struct ag3_rules *r = ag3_rules_new(mode);
	cr_assert_not_null(r);
	char *copy = strdup(spec ? spec : ""), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		bool deny = l[0] == '!';
		cr_assert_eq(ag3_rules_add(r, deny ? AG3_RULE_DENY : AG3_RULE_ALLOW, l + deny, NULL,
					   0, 0),
			     0);
	}
	free(copy);
	if (host_ws)
		cr_assert_eq(ag3_rules_set_host_workspace(r, host_ws), 0);
	return r;
}

/* A call: `input` is JSON when it starts with {" or is {}, else the value of the first key. */
static void mk_call(const char *tool, const char *input, struct ag3_tool_call *c)
{
	struct ag3_error *e = NULL;
	char *json = NULL;
	if (input && input[0] == '{' && (input[1] == '"' || input[1] == '}')) {
		json = strdup(input);
	} else {
		_cleanup_free_ char *name = ag3_tool_name_normalize(tool);
		const char *const *keys = ag3_tool_param_keys(name);
		cJSON *o = cJSON_CreateObject();
		if (keys && input)
			cJSON_AddStringToObject(o, keys[0], input);
		json = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
	}
	int r = ag3_tool_call_from_json(tool, json, strlen(json), c, &e);
	cr_assert_eq(r, 0, "%s %s: %s", tool, json, e ? e->msg : "");
	free(json);
}

struct dcase {
	int mode;
	const char *rules;
	const char *tool;
	const char *input;
	int allow;
	int reason;       /* RS(X); ANY (0): not checked */
	const char *rule; /* NULL: not checked; NONE: no rule */
	const char *part; /* NULL: not checked; NONE: the whole call */
	const char *host_ws;
};

static void run_dcases(const struct dcase *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct dcase *k = &v[i];
		struct ag3_rules *r = mk_rules(k->mode, k->rules, k->host_ws);
		struct ag3_tool_call c = {0};
		struct ag3_decision d = {0};
		mk_call(k->tool, k->input, &c);
		cr_assert_eq(ag3_rules_decide(r, &c, &d), 0);
		const char *in = k->input ? k->input : "(none)";
		cr_expect_eq(d.allow, k->allow,
			     "case %zu: %s %s with [%s]: expected %s, got %s (%s)", i, k->tool, in,
			     k->rules, k->allow ? "allow" : "deny", d.allow ? "allow" : "deny",
			     ag3_decision_reason_to_string(d.reason));
		if (k->reason != ANY)
			cr_expect_eq((int)d.reason, k->reason - 1,
				     "case %zu: %s %s: reason %s, want %s", i, k->tool, in,
				     ag3_decision_reason_to_string(d.reason),
				     ag3_decision_reason_to_string(k->reason - 1));
		if (k->rule && !strcmp(k->rule, NONE))
			cr_expect_null(d.rule, "case %zu: %s %s: rule %s, want none", i, k->tool,
				       in, d.rule ? d.rule->pattern : "");
		else if (k->rule)
			cr_expect(d.rule && !strcmp(d.rule->pattern, k->rule),
				  "case %zu: %s %s: rule %s, want %s", i, k->tool, in,
				  d.rule ? d.rule->pattern : "(none)", k->rule);
		if (k->part && !strcmp(k->part, NONE))
			cr_expect_null(d.part, "case %zu: part %s, want none", i, d.part);
		else if (k->part)
			cr_expect(d.part && !strcmp(d.part, k->part),
				  "case %zu: %s %s: part '%s', want '%s'", i, k->tool, in,
				  d.part ? d.part : "(none)", k->part);
		/* whatever was decided, no deny rule may match an allowed call */
		for (size_t j = 0; d.allow && j < r->n_deny; j++)
			cr_expect_eq(ag3_rule_matches(r, &r->deny[j], &c), 0,
				     "case %zu: allowed, but deny rule %s matches", i,
				     r->deny[j].pattern);
		ag3_decision_clear(&d);
		ag3_tool_call_clear(&c);
		ag3_rules_free(r);
		n_cases++;
	}
}

#define RUN(table) run_dcases(table, ELEMENTSOF(table))

/* ---------------------------------------------------- names and calls -- */

Test(rules, name_normalization)
{
	static const char *const v[][2] = {
		{"mcp__ag3ntum__Bash", "Ag3ntumBash"},
		{"mcp__ag3ntum__ReadDocument", "Ag3ntumReadDocument"},
		{"mcp__ag3ntum__", "Ag3ntum"},
		{"mcp__other__Bash", "mcp__other__Bash"},
		{"Bash", "Bash"},
		{"mcp__ag3ntumX", "mcp__ag3ntumX"},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *n = ag3_tool_name_normalize(v[i][0]);
		cr_expect_str_eq(n, v[i][1]);
		n_cases++;
	}
}

Test(rules, call_strings)
{
	static const char *const v[][3] = {
		/* tool, input JSON, call string */
		{"Bash", "{\"command\":\"ls -la\"}", "Bash(ls -la)"},
		{"mcp__ag3ntum__Bash", "{\"command\":\"git status\"}", "Ag3ntumBash(git status)"},
		{"Read", "{\"file_path\":\"/a\",\"path\":\"/b\"}", "Read(/a)"},
		{"Read", "{\"path\":\"/b\"}", "Read(/b)"},
		{"Read", "{}", "Read()"},
		{"Write", "{\"content\":\"x\",\"file_path\":\"a.txt\"}", "Write(a.txt)"},
		{"Glob", "{\"pattern\":\"*.py\",\"cwd\":\"/w\"}", "Glob(/w)"},
		{"Glob", "{\"path\":\"p\",\"cwd\":\"/w\"}", "Glob(p)"},
		{"Grep", "{\"file\":\"f\"}", "Grep(f)"},
		{"LS", "{\"dir\":\"d\"}", "LS(d)"},
		{"WebFetch", "{\"url\":\"https://x\"}", "WebFetch(https://x)"},
		{"WebSearch", "{\"query\":\"q\"}", "WebSearch(q)"},
		{"Task", "{\"prompt\":\"p\"}", "Task"},
		{"TodoWrite", "{}", "TodoWrite"},
		{"mcp__ag3ntum__Read", "{\"file_path\":\"/w/a\"}", "Ag3ntumRead(/w/a)"},
		{"mcp__ag3ntum__WebFetch", "{\"url\":\"u\"}", "Ag3ntumWebFetch(u)"},
		{"mcp__ag3ntum__AskUserQuestion", "{\"q\":1}", "Ag3ntumAskUserQuestion"},
		{"Bash", "{\"command\":null}", "Bash()"},
		{"Bash", "{\"command\":true}", "Bash(True)"},
		{"Bash", "{\"command\":42}", "Bash(42)"},
		{"Bash", "{\"Command\":\"ls\"}", "Bash()"}, /* keys are case-sensitive */
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		struct ag3_tool_call c = {0};
		struct ag3_error *e = NULL;
		cr_assert_eq(ag3_tool_call_from_json(v[i][0], v[i][1], strlen(v[i][1]), &c, &e), 0,
			     "%s", v[i][1]);
		_cleanup_free_ char *s = ag3_tool_call_string(&c);
		cr_expect_str_eq(s, v[i][2], "%s %s", v[i][0], v[i][1]);
		ag3_tool_call_clear(&c);
		n_cases++;
	}
}

Test(rules, input_json_strict)
{
	static const char *const bad[] = {
		"[1]",
		"\"x\"",
		"42",
		"null",
		"{",
		"{\"command\":\"a\"} x",
		"{\"a\":1,\"a\":2}",
		"",
		"{'command':'ls'}",
		/* a NUL would end the C string: `ls` checked, `; rm x` run */
		"{\"command\":\"ls\\u0000; rm x\"}",
		"{\"command\":\"ls\\U0000\"}",
		"{\"x\\u0000\":1,\"command\":\"ls\"}",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct ag3_tool_call c = {0};
		struct ag3_error *e = NULL;
		cr_expect_lt(ag3_tool_call_from_json("Bash", bad[i], strlen(bad[i]), &c, &e), 0,
			     "accepted %s", bad[i]);
		cr_expect_not_null(e);
		ag3_error_free(e);
		n_cases++;
	}
	struct ag3_tool_call c = {0};
	struct ag3_error *e = NULL;
	cr_expect_eq(ag3_tool_call_from_json("Bash", "{\"command\":\"ls\"}\n ", 18, &c, &e), 0);
	ag3_tool_call_clear(&c);
	/* an escaped backslash before u0000 is text, not a NUL */
	static const char lit[] = "{\"command\":\"echo \\\\u0000\"}";
	cr_expect_eq(ag3_tool_call_from_json("Bash", lit, strlen(lit), &c, &e), 0, "%s", lit);
	ag3_tool_call_clear(&c);
}

Test(rules, call_parse)
{
	struct ag3_tool_call c = {0};
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_tool_call_parse("mcp__ag3ntum__Bash(echo (a))", &c, &e), 0);
	cr_expect_str_eq(c.name, "Ag3ntumBash");
	cr_expect_str_eq(c.arg, "echo (a)");
	ag3_tool_call_clear(&c);
	cr_assert_eq(ag3_tool_call_parse("Task", &c, &e), 0);
	cr_expect_null(c.arg);
	ag3_tool_call_clear(&c);
	cr_expect_lt(ag3_tool_call_parse("Bash(ls", &c, &e), 0);
	ag3_error_free(e);
	e = NULL;
	cr_expect_lt(ag3_tool_call_parse("(ls)", &c, &e), 0);
	ag3_error_free(e);
	e = NULL;
	cr_expect_lt(ag3_tool_call_parse("a b(ls)", &c, &e), 0);
	ag3_error_free(e);
	n_cases += 5;
}

Test(rules, rule_parse)
{
	struct ag3_rule r = {0};
	cr_assert_eq(ag3_rule_parse("mcp__ag3ntum__Bash(git:*)", &r), 0);
	cr_expect_str_eq(r.name, "Ag3ntumBash");
	cr_expect_str_eq(r.raw_name, "mcp__ag3ntum__Bash");
	cr_expect_str_eq(r.arg, "git:*");
	cr_expect_not(r.malformed);
	ag3_rule_clear(&r);
	cr_assert_eq(ag3_rule_parse("Bash(git", &r), 0);
	cr_expect(r.malformed);
	cr_expect_str_eq(r.arg, "git");
	ag3_rule_clear(&r);
	cr_assert_eq(ag3_rule_parse("Task", &r), 0);
	cr_expect_null(r.arg);
	ag3_rule_clear(&r);
	n_cases += 3;
}

/* --------------------------------------------------------------- globs -- */

Test(rules, glob)
{
	static const struct {
		const char *p, *t;
		bool m;
	} v[] = {
		{"*", "", true},
		{"*", "a/b c", true},
		{"git *", "git status", true},
		{"git *", "git", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[ab]x", "bx", true},
		{"[!ab]x", "bx", false},
		{"[!ab]x", "cx", true},
		{"[a-c]", "b", true},
		{"[a-c]", "d", false},
		{"[", "[", true},
		{"a[", "a[", true},
		{"[]]", "]", true},
		{"**", "x/y", true},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"x*y*z", "x--y--z", true},
		{"cat /etc/*", "cat /etc/ssl/x", true},
		{"ab", "abc", false},
		{"abc", "ab", false},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		cr_expect_eq(ag3_glob_match(v[i].p, v[i].t), v[i].m, "'%s' vs '%s'", v[i].p,
			     v[i].t);
		n_cases++;
	}
}

Test(rules, path_glob)
{
	static const struct {
		const char *p, *t;
		bool m;
	} v[] = {
		{"/a/*", "/a/b", true},
		{"/a/*", "/a/b/c", false},
		{"/a/**", "/a/b/c", true},
		{"/a/**", "/a", true},
		{"/**/secrets/**", "/x/y/secrets/z", true},
		{"/**/secrets/**", "/secrets", true},
		{"/**/secrets/**", "/x/secretsy/z", false},
		{"/w/src/**/*.py", "/w/src/a.py", true},
		{"/w/src/**/*.py", "/w/src/a/b/c.py", true},
		{"/w/src/**/*.py", "/w/src/a/b/c.txt", false},
		{"/w/src/**/*.py", "/w/lib/a.py", false},
		{"/a/?", "/a/b", true},
		{"/a?b", "/a/b", false},
		{"/a/[bc]/d", "/a/c/d", true},
		{"/a/**/**/d", "/a/d", true},
		{"/a/b**", "/a/bxx", true}, /* not a whole component: like `*` */
		{"/a/b**", "/a/b/x", false},
		{"/**", "/", true},
		{"/", "/", true},
		{"/x", "/", false},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		cr_expect_eq(ag3_path_glob_match(v[i].p, v[i].t), v[i].m, "'%s' vs '%s'", v[i].p,
			     v[i].t);
		n_cases++;
	}
}

/* ------------------------------------------------------------ splitter -- */

Test(rules, shell_split)
{
	static const struct {
		const char *in;
		const char *out; /* parts joined with " ¦ " */
	} v[] = {
		{"ls -la", "ls -la"},
		{"a && b", "a ¦ b"},
		{"a || b", "a ¦ b"},
		{"a; b", "a ¦ b"},
		{"a | b", "a ¦ b"},
		{"a |& b", "a ¦ b"},
		{"a & b", "a ¦ b"},
		{"a\nb", "a ¦ b"},
		{"a;;b", "a ¦ b"},
		{"echo $(rm x)", "rm x ¦ echo $(rm x)"},
		{"echo `rm x`", "rm x ¦ echo `rm x`"},
		{"echo `echo \\`rm x\\``", "rm x ¦ echo `rm x` ¦ echo `echo \\`rm x\\``"},
		{"diff <(ls a) >(cat)", "ls a ¦ cat ¦ diff <(ls a) >(cat)"},
		{"(cd x && make)", "cd x ¦ make"},
		{"(a) | b", "a ¦ b"},
		{"echo 'a; b'", "echo 'a; b'"},
		{"echo \"a; b\"", "echo \"a; b\""},
		{"echo \"$(rm 'x;y')\"", "rm 'x;y' ¦ echo \"$(rm 'x;y')\""},
		{"echo '$(rm x)'", "echo '$(rm x)'"},
		{"echo $'a\\'; b'", "echo $'a\\'; b'"},
		{"echo a\\; b", "echo a\\; b"},
		{"make 2>&1", "make 2>&1"},
		{"a &> f", "a &> f"},
		{"a >& f", "a >& f"},
		{"echo \\>& rm x", "echo \\> ¦ rm x"},
		{"echo $((1+2))", "echo $((1+2))"},
		{"echo $(( $(rm x) + 1 ))", "rm x ¦ echo $(( $(rm x) + 1 ))"},
		{"echo $((rm -rf /) )", "rm -rf / ¦ echo $((rm -rf /) )"},
		{"((i++)); b", "b"},
		{"r\\\nm x", "rm x"},
		{"  a   b  ", "a b"},
		{"", ""},
		{";;;", ""},
		{"echo \"unterminated; rm", "echo \"unterminated; rm"},
		{"case $x in a) rm;; esac", "case $x in a ¦ rm ¦ esac"},
		{"x $(a $(b $(c)))", "c ¦ b $(c) ¦ a $(b $(c)) ¦ x $(a $(b $(c)))"},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		char **parts = NULL;
		size_t n = 0;
		cr_assert_eq(ag3_shell_split(v[i].in, strlen(v[i].in), &parts, &n), 0, "%s",
			     v[i].in);
		char buf[1024] = "";
		for (size_t k = 0; k < n; k++) {
			if (k)
				strcat(buf, " ¦ ");
			strncat(buf, parts[k], sizeof(buf) - strlen(buf) - 8);
		}
		cr_expect_str_eq(buf, v[i].out, "split '%s'", v[i].in);
		ag3_strv_free(parts);
		n_cases++;
	}
}

Test(rules, shell_split_bounds)
{
	char **parts = NULL;
	size_t n = 0;
	/* nesting */
	char deep[512] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "$(");
	cr_expect_eq(ag3_shell_split(deep, strlen(deep), &parts, &n), -ELOOP);
	char bt[2048] = "";
	for (int i = 0; i < 40; i++) /* `a \`b \\\`c ...: backticks nested by escaping */
		strcat(bt, "`\\");
	int k = ag3_shell_split(bt, strlen(bt), &parts, &n);
	cr_expect(k == 0 || k == -ELOOP);
	if (k == 0)
		ag3_strv_free(parts);
	char ok[256] = "";
	for (int i = 0; i < 20; i++)
		strcat(ok, "$(");
	cr_expect_eq(ag3_shell_split(ok, strlen(ok), &parts, &n), 0);
	ag3_strv_free(parts);
	/* parts */
	size_t len = 3 * (AG3_RULES_MAX_PARTS + 10);
	char *many = malloc(len + 1);
	for (size_t i = 0; i < AG3_RULES_MAX_PARTS + 10; i++)
		memcpy(many + 3 * i, "a; ", 3);
	many[len] = '\0';
	cr_expect_eq(ag3_shell_split(many, len, &parts, &n), -E2BIG);
	free(many);
	/* length */
	char *big = malloc(AG3_RULES_MAX_INPUT + 2);
	memset(big, 'a', AG3_RULES_MAX_INPUT + 1);
	big[AG3_RULES_MAX_INPUT + 1] = '\0';
	cr_expect_eq(ag3_shell_split(big, AG3_RULES_MAX_INPUT + 1, &parts, &n), -E2BIG);
	free(big);
	/* unbalanced "((" many times over stays linear */
	char *arith = malloc(30001);
	for (size_t i = 0; i < 10000; i++)
		memcpy(arith + 3 * i, "$((", 3);
	arith[30000] = '\0';
	int r = ag3_shell_split(arith, 30000, &parts, &n);
	cr_expect(r == 0 || r == -ELOOP);
	if (r == 0)
		ag3_strv_free(parts);
	free(arith);
	n_cases += 7;
}

/* ------------------------------------------------------------ decisions -- */

Test(rules, names_and_modes)
{
	static const struct dcase v[] = {
		{DEF, "mcp__ag3ntum__Bash(*)", "mcp__ag3ntum__Bash", "ls", ALLOW, RS(ALLOW_RULE),
		 "mcp__ag3ntum__Bash(*)", NONE},
		{DEF, "Ag3ntumBash(*)", "mcp__ag3ntum__Bash", "ls", ALLOW, RS(ALLOW_RULE)},
		{DEF, "mcp__ag3ntum__Bash(*)", "Bash", "ls", DENY, RS(DEFAULT_DENY), NONE},
		{DEF, "mcp__ag3ntum__*", "mcp__ag3ntum__Read", "x", ALLOW, RS(ALLOW_RULE)},
		{DEF, "Ag3ntum*", "mcp__ag3ntum__LS", "x", ALLOW, RS(ALLOW_RULE)},
		{DEF, "mcp__*", "mcp__other__tool", "{}", ALLOW, RS(ALLOW_RULE)},
		{DEF, "mcp__*", "Task", "{}", DENY, RS(DEFAULT_DENY)},
		{DEF, "Task", "Task", "{}", ALLOW, RS(ALLOW_RULE), "Task"},
		{DEF, "Task(*)", "Task", "{}", ALLOW, RS(ALLOW_RULE)},
		{DEF, "Task(x)", "Task", "{}", DENY, RS(DEFAULT_DENY)},
		{DEF, "!Bash", "Bash", "ls", DENY, RS(DENY_RULE), "Bash"},
		{DEF, "bash(*)", "Bash", "ls", DENY, RS(DEFAULT_DENY)},
		{DEF, "Bash(*)\n!Bash(*)", "Bash", "ls", DENY, RS(DENY_RULE), "Bash(*)"},
		{DEF, "", "Bash", "ls", DENY, RS(DEFAULT_DENY), NONE},
		{BYP, "", "Bash", "ls", ALLOW, RS(MODE_ALLOW), NONE},
		{BYP, "!Read(*)", "Read", "a", DENY, RS(DENY_RULE)},
		{AG3_PERM_ACCEPT_EDITS, "", "Write", "a", DENY, RS(DEFAULT_DENY)},
		{AG3_PERM_PLAN, "", "Task", "{}", DENY, RS(DEFAULT_DENY)},
		{BYP, "Read(./x)", "Read", "y", ALLOW, RS(MODE_ALLOW), NONE},
		{DEF, "!Bash(rm:*)\n!Bash(*)", "Bash", "rm x", DENY, RS(DENY_RULE), "Bash(rm:*)"},
		{DEF, "!Bash(*)\n!Bash(rm:*)", "Bash", "rm x", DENY, RS(DENY_RULE), "Bash(*)"},
		{DEF, "Read(*)\nRead(./**)", "Read", "a", ALLOW, RS(ALLOW_RULE), "Read(*)"},
	};
	RUN(v);
}

Test(rules, prefix_rules)
{
	static const struct dcase v[] = {
		{DEF, "Bash(git:*)", "Bash", "git", ALLOW, RS(ALLOW_RULE), "Bash(git:*)"},
		{DEF, "Bash(git:*)", "Bash", "git status", ALLOW},
		{DEF, "Bash(git:*)", "Bash", "gitk", DENY, RS(DEFAULT_DENY)},
		{DEF, "Bash(git:*)", "Bash", "git   status", ALLOW},
		{DEF, "Bash(git:*)", "Bash", "  git status  ", ALLOW},
		{DEF, "Bash(git:*)", "Bash", "git\tstatus", ALLOW},
		{DEF, "Bash(npm run test:*)", "Bash", "npm run test", ALLOW},
		{DEF, "Bash(npm run test:*)", "Bash", "npm run test --watch", ALLOW},
		{DEF, "Bash(npm run test:*)", "Bash", "npm run testx", DENY},
		{DEF, "Bash(npm run test:*)", "Bash", "npm run", DENY},
		{DEF, "Ag3ntumBash(git:*)", "mcp__ag3ntum__Bash", "git log", ALLOW},
		{DEF, "Ag3ntumBash(git:*)", "mcp__ag3ntum__Bash", "gitk", DENY},
		{DEF, "mcp__ag3ntum__Bash(git:*)", "mcp__ag3ntum__Bash", "git log -1", ALLOW},
		{DEF, "!Bash(rm:*)\nBash(*)", "Bash", "rmdir x", ALLOW},
		{DEF, "!Bash(rm:*)\nBash(*)", "Bash", "rm", DENY, RS(DENY_RULE)},
		{DEF, "WebFetch(https://example.com:*)", "WebFetch", "https://example.com/x",
		 ALLOW},
		{DEF, "WebFetch(https://example.com:*)", "WebFetch", "https://evil.com", DENY},
		{DEF, "Bash(git *)", "Bash", "git status", ALLOW},
		{DEF, "Bash(git *)", "Bash", "git", DENY},
		{DEF, "Bash(ls)", "Bash", "ls", ALLOW},
		{DEF, "Bash(ls)", "Bash", "ls -la", DENY},
		{DEF, "Bash(cat /etc/*)", "Bash", "cat /etc/ssl/x", ALLOW},
	};
	RUN(v);
}

Test(rules, compound_deny)
{
#define AD "Bash(*)\n!Bash(rm:*)"
	static const struct dcase v[] = {
		{DEF, AD, "Bash", "ls; rm -rf /", DENY, RS(DENY_RULE), "Bash(rm:*)", "rm -rf /"},
		{DEF, AD, "Bash", "ls && rm x", DENY, RS(DENY_RULE), NULL, "rm x"},
		{DEF, AD, "Bash", "ls || rm x", DENY},
		{DEF, AD, "Bash", "ls | rm x", DENY},
		{DEF, AD, "Bash", "ls & rm x", DENY},
		{DEF, AD, "Bash", "ls\nrm x", DENY},
		{DEF, AD, "Bash", "echo $(rm x)", DENY, RS(DENY_RULE), NULL, "rm x"},
		{DEF, AD, "Bash", "echo `rm x`", DENY},
		{DEF, AD, "Bash", "cat <(rm x)", DENY},
		{DEF, AD, "Bash", "tee >(rm x)", DENY},
		{DEF, AD, "Bash", "(rm x)", DENY},
		{DEF, AD, "Bash", "echo 'a; rm x'", ALLOW},
		{DEF, AD, "Bash", "echo \"a; rm x\"", ALLOW},
		{DEF, AD, "Bash", "echo a\\; rm x", ALLOW},
		{DEF, AD, "Bash", "echo \"$(rm x)\"", DENY},
		{DEF, AD, "Bash", "echo '$(rm x)'", ALLOW},
		{DEF, AD, "Bash", "echo $((1+2)); ls", ALLOW},
		{DEF, AD, "Bash", "echo $((rm x) )", DENY},
		{DEF, AD, "Bash", "make 2>&1", ALLOW},
		{DEF, AD, "Bash", "echo \\>& rm x", DENY},
		{DEF, AD, "Bash", "FOO=1 rm x", DENY},
		{DEF, AD, "Bash", "sudo rm x", DENY},
		{DEF, AD, "Bash", "sudo -u root rm x", DENY},
		{DEF, AD, "Bash", "env -i PATH=/x rm x", DENY},
		{DEF, AD, "Bash", "/bin/rm x", DENY},
		{DEF, AD, "Bash", "\"rm\" x", DENY},
		{DEF, AD, "Bash", "r\\m x", DENY},
		{DEF, AD, "Bash", "if true; then rm x; fi", DENY},
		{DEF, AD, "Bash", "nohup timeout 5 rm x", DENY},
		{DEF, AD, "Bash", "command rm x", DENY},
		{DEF, AD, "Bash", "xargs rm < list", DENY},
		{DEF, AD, "Bash", "r\\\nm x", DENY},
		{DEF, AD, "Bash", "echo rm x", ALLOW},
		{DEF, AD, "Bash", "x=$(echo; rm y)", DENY},
		{DEF, AD, "Bash", "echo `echo \\`rm x\\``", DENY},
		{DEF, "Ag3ntumBash(*)\n!Ag3ntumBash(rm *)", "mcp__ag3ntum__Bash", "ls; rm -rf /",
		 DENY, RS(DENY_RULE), "Ag3ntumBash(rm *)"},
		{DEF, "Bash(*)\n!Bash(*&&*)", "Bash", "a && b", DENY, RS(DENY_RULE)},
		{DEF, "Bash(*)\n!Bash(curl *)", "Bash", "for u in a b; do curl $u; done", DENY},
		/* what `sh -c` and `eval` run is checked against deny rules too */
		{DEF, AD, "Bash", "bash -c \"rm -rf /\"", DENY, RS(DENY_RULE), NULL, "rm -rf /"},
		{DEF, AD, "Bash", "sh -c 'git status; rm x'", DENY, RS(DENY_RULE), NULL, "rm x"},
		{DEF, AD, "Bash", "/bin/bash -lc 'echo $(rm x)'", DENY},
		{DEF, AD, "Bash", "eval \"rm x\"", DENY},
		{DEF, AD, "Bash", "sudo sh -c 'rm x'", DENY},
		{DEF, AD, "Bash", "bash -c 'bash -c \"rm x\"'", DENY},
		{DEF, AD, "Bash", "bash -c 'ls -la'", ALLOW},
		{DEF, AD, "Bash", "bash script.sh -c rm", ALLOW}, /* -c after the script: an arg */
		{DEF, AD, "Bash", "sh -c 'sh -c \"sh -c \\\"sh -c \\\\\\\"sh -c x\\\\\\\"\\\"\"'",
		 DENY, RS(UNCHECKABLE)},
	};
#undef AD
	RUN(v);
}

/* Forms a deny rule must not be slipped past with: redirections before the command,
 * function and coproc bodies, `time -p`, wrappers and evaluators that run a command
 * or a command line, and commands whose name is only known when they run (denied as
 * uncheckable while deny rules exist). */
Test(rules, compound_deny_hidden_commands)
{
#define AD "Bash(*)\n!Bash(rm:*)"
	static const struct dcase v[] = {
		{DEF, AD, "Bash", ">x rm y", DENY},
		{DEF, AD, "Bash", "2>/dev/null rm x", DENY},
		{DEF, AD, "Bash", "function f { rm x; }; f", DENY},
		{DEF, AD, "Bash", "coproc rm x", DENY},
		{DEF, AD, "Bash", "time -p rm x", DENY},
		{DEF, AD, "Bash", "bash -c -- 'rm x'", DENY},
		{DEF, AD, "Bash", "{rm,-rf,/}", DENY},
		{DEF, AD, "Bash", "rm{,} x", DENY},
		{DEF, AD, "Bash", "$'\\x72m' x", DENY},
		{DEF, AD, "Bash", "r$()m x", DENY},
		{DEF, AD, "Bash", "r${x}m x", DENY},
		{DEF, AD, "Bash", "${IFS}rm x", DENY},
		{DEF, AD, "Bash", "rm${IFS}x", DENY},
		{DEF, AD, "Bash", "R=rm; $R -rf /", DENY},
		{DEF, AD, "Bash", "${RM:-rm} x", DENY},
		{DEF, AD, "Bash", "RM=rm env $RM x", DENY},
		{DEF, AD, "Bash", "/bin/r? x", DENY},
		{DEF, AD, "Bash", "/bin/r* x", DENY},
		{DEF, AD, "Bash", "[r]m x", DENY},
		{DEF, AD, "Bash", "watch rm x", DENY},
		{DEF, AD, "Bash", "flock f rm x", DENY},
		{DEF, AD, "Bash", "flock f -c 'rm x'", DENY},
		{DEF, AD, "Bash", "chroot / rm x", DENY},
		{DEF, AD, "Bash", "parallel rm ::: x", DENY},
		{DEF, AD, "Bash", "su -c 'rm x'", DENY},
		{DEF, AD, "Bash", "su root -c 'rm x'", DENY},
		{DEF, AD, "Bash", "env -S 'rm x'", DENY},
		{DEF, AD, "Bash", "ssh host rm x", DENY},
		{DEF, AD, "Bash", "strace rm x", DENY},
		{DEF, AD, "Bash", "busybox rm x", DENY},
		{DEF, AD, "Bash", "find / -exec rm {} \\;", DENY},
		{DEF, AD, "Bash", "trap 'rm x' EXIT", DENY},
		{DEF, AD, "Bash", "echo rm x | sh", DENY},
		{DEF, AD, "Bash", "sh <<< \"rm x\"", DENY},
		{DEF, AD, "Bash", "bash", DENY},
		{DEF, AD, "Bash", "f() { rm x; }", DENY},
		{DEF, AD, "Bash", "ls; sudo -- rm x", DENY},
		{DEF, AD, "Bash", "xargs -I{} sh -c '{}'", DENY},
		{DEF, AD, "Bash", "R=rm; $R -rf /", DENY, RS(UNCHECKABLE), NONE, "$R -rf /"},
		{DEF, AD, "Bash", "sh <<< \"rm x\"", DENY, RS(UNCHECKABLE)},
		{DEF, AD, "Bash", ">x rm y", DENY, RS(DENY_RULE), "Bash(rm:*)"},
		{DEF, AD, "Bash", "env -S 'rm x'", DENY, RS(DENY_RULE), NULL, "rm x"},
		{DEF, AD, "Bash", "flock f -c 'rm x'", DENY, RS(DENY_RULE), NULL, "rm x"},
		/* without deny rules, an opaque command is only as allowed as the allow rules say */
		{DEF, "Bash(*)", "Bash", "$CMD x", ALLOW, RS(ALLOW_RULE)},
		{DEF, "Bash(git:*)", "Bash", "$CMD x", DENY, RS(DEFAULT_DENY)},
	};
#undef AD
	RUN(v);
}

/* ... and the everyday commands that look like them stay allowed. */
Test(rules, compound_deny_everyday_commands)
{
#define AD "Bash(*)\n!Bash(rm:*)"
	static const struct dcase v[] = {
		{DEF, AD, "Bash", "[ -f x ] && make", ALLOW},
		{DEF, AD, "Bash", "[[ -f x ]] && make", ALLOW},
		{DEF, AD, "Bash", "test -f x || exit 1", ALLOW},
		{DEF, AD, "Bash", "ls *.py", ALLOW},
		{DEF, AD, "Bash", "echo $HOME {a,b}", ALLOW},
		{DEF, AD, "Bash", "cd /tmp && ls", ALLOW},
		{DEF, AD, "Bash", "for f in *.c; do gcc -c $f; done", ALLOW},
		{DEF, AD, "Bash", "bash script.sh", ALLOW},
		{DEF, AD, "Bash", "bash -n x.sh", ALLOW},
		{DEF, AD, "Bash", "npm run build 2>&1 | tail -5", ALLOW},
		{DEF, AD, "Bash", "cat <<EOF > f", ALLOW},
		{DEF, AD, "Bash", "while read l; do echo $l; done < f", ALLOW},
		{DEF, AD, "Bash", "./configure && make -j2", ALLOW},
		{DEF, AD, "Bash", "time make", ALLOW},
		{DEF, AD, "Bash", "time -p make", ALLOW},
		{DEF, AD, "Bash", "timeout 10 pytest -x", ALLOW},
		{DEF, AD, "Bash", "git commit -m \"fix: $(date)\"", ALLOW},
		{DEF, AD, "Bash", "ls > out.txt 2>&1", ALLOW},
		{DEF, AD, "Bash", "echo hi >&2", ALLOW},
		{DEF, AD, "Bash", "exec 3>&1", ALLOW},
		{DEF, AD, "Bash", "env FOO=1 make", ALLOW},
		{DEF, AD, "Bash", "python3 -c 'import os'", ALLOW},
		{DEF, AD, "Bash", "find . -name '*.py' -exec grep -l x {} +", ALLOW},
		{DEF, AD, "Bash", "ssh -V", ALLOW},
		{DEF, AD, "Bash", "watch -n 1 ls", ALLOW},
		{DEF, AD, "Bash", "sudo -u bob ls", ALLOW},
	};
#undef AD
	RUN(v);
}

Test(rules, compound_allow)
{
#define GM "Bash(git:*)\nBash(make:*)\nBash(grep:*)"
	static const struct dcase v[] = {
		{DEF, GM, "Bash", "git pull && make", ALLOW, RS(ALLOW_RULE), "Bash(git:*)"},
		{DEF, GM, "Bash", "git pull && curl x", DENY, RS(DEFAULT_DENY), NONE, "curl x"},
		{DEF, GM, "Bash", "git status | grep x", ALLOW},
		{DEF, GM, "Bash", "if git status; then make; fi", ALLOW},
		{DEF, GM, "Bash", "{ git status; make; }", ALLOW},
		{DEF, GM, "Bash", "for f in a b; do git add $f; done", ALLOW},
		{DEF, GM, "Bash", "git log $(curl x)", DENY, RS(DEFAULT_DENY), NONE, "curl x"},
		{DEF, GM, "Bash", "FOO=1 git status", DENY, RS(DEFAULT_DENY)},
		{DEF, GM, "Bash", "case $x in a) git status;; esac", ALLOW},
		{DEF, GM, "Bash", "! git diff --quiet", ALLOW},
		{DEF, GM, "Bash", "(git status)", ALLOW},
		{DEF, GM, "Bash", "git status; ", ALLOW},
		{DEF, GM, "Bash", "", DENY, RS(DEFAULT_DENY)},
		{BYP, "Bash(git:*)", "Bash", "git pull && curl x", ALLOW, RS(MODE_ALLOW)},
		{BYP, "Bash(git:*)", "Bash", "git pull && git push", ALLOW, RS(ALLOW_RULE)},
		{BYP, "!Bash(curl:*)", "Bash", "git pull && curl x", DENY, RS(DENY_RULE)},
		{DEF, "Bash(echo *)", "Bash", "echo a && echo b", ALLOW},
		{DEF, "Bash(echo *)", "Bash", "echo a && rm b", DENY, RS(DEFAULT_DENY), NONE,
		 "rm b"},
		{DEF, "Bash(*)", "Bash", "a; b $(c) `d`", ALLOW},
		{DEF, "Bash(bash:*)", "Bash", "bash -c 'curl x'", ALLOW}, /* the shell is allowed */
		{DEF, "Bash(git:*)", "Bash", "bash -c 'git status'", DENY, RS(DEFAULT_DENY)},
		{DEF, "Bash()", "Bash", "", ALLOW},
	};
#undef GM
	RUN(v);
}

Test(rules, paths)
{
	static const struct dcase v[] = {
		{DEF, "Read(./**)", "Read", "src/a.py", ALLOW},
		{DEF, "Read(./**)", "Read", "./src/a.py", ALLOW},
		{DEF, "Read(./**)", "Read", "/workspace/src/a.py", ALLOW},
		{DEF, "Read(./**)", "Read", "/etc/passwd", DENY},
		{DEF, "Read(./**)", "Read", "../x", DENY},
		{DEF, "Read(./**)", "Read", "src/../../etc/passwd", DENY},
		{DEF, "Write(*)\n!Write(/**)", "Write", "./a", DENY, RS(DENY_RULE), "Write(/**)"},
		{DEF, "Write(*)\n!Write(/workspace/private/**)", "Write", "private/x", DENY},
		{DEF, "Write(*)\n!Write(/workspace/private/**)", "Write", "./private", DENY},
		{DEF, "Write(*)\n!Write(/workspace/private/**)", "Write", "./privatex", ALLOW},
		{DEF, "Read(*)\n!Read(**/secrets/**)", "Read", "a/b/secrets/c", DENY},
		{DEF, "Read(*)\n!Read(**/secrets/**)", "Read", "secrets/x", DENY},
		{DEF, "Read(*)\n!Read(**/secrets/**)", "Read", "a/secrets", DENY},
		{DEF, "Read(*)\n!Read(**/secrets/**)", "Read", "a/secretsx/c", ALLOW},
		{DEF, "Read(*)\n!Read(/**/secrets/**)", "Read", "/etc/secrets/k", DENY},
		{DEF, "Write(src/**/*.py)", "Write", "src/a.py", ALLOW},
		{DEF, "Write(src/**/*.py)", "Write", "src/a/b/c.py", ALLOW},
		{DEF, "Write(src/**/*.py)", "Write", "src/a.txt", DENY},
		{DEF, "Write(src/**/*.py)", "Write", "lib/a.py", DENY},
		{DEF, "Read(src/*)", "Read", "src/a", ALLOW},
		{DEF, "Read(src/*)", "Read", "src/a/b", ALLOW},
		{DEF, "Read(*.md)", "Read", "docs/x.md", ALLOW},
		{DEF, "Read(*.md)", "Read", "/etc/x.md", DENY},
		{DEF, "Read(*)\n!Read(*.env)", "Read", ".env", DENY},
		{DEF, "Read(*)\n!Read(*.env)", "Read", "app/prod.env", DENY},
		{DEF, "Read(/etc/*)", "Read", "/etc/passwd", ALLOW},
		{DEF, "Read(/etc/*)", "Read", "/etc/ssl/certs/x", ALLOW},
		{DEF, "Read(/etc/*)", "Read", "/etcx", DENY},
		{DEF, "Read(/a/*/c)", "Read", "/a/b/c", ALLOW},
		{DEF, "Read(/a/*/c)", "Read", "/a/b/x/c", DENY},
		{DEF, "Read(*)\n!Read(/workspace/secret)", "Read", "/users/alice/ws/secret/x", DENY,
		 RS(DENY_RULE), NULL, NULL, "/users/alice/ws"},
		{DEF, "Read(*)\n!Read(/users/alice/ws/secret)", "Read", "./secret/k", DENY,
		 RS(DENY_RULE), NULL, NULL, "/users/alice/ws"},
		{DEF, "Read(./**)", "Read", "/users/alice/ws/a", ALLOW, ANY, NULL, NULL,
		 "/users/alice/ws"},
		{DEF, "Glob(./**)", "Glob", "{\"path\":\"src\"}", ALLOW},
		{DEF, "Glob(./**)", "Glob", "{\"pattern\":\"*\",\"cwd\":\"/etc\"}", DENY},
		{DEF, "Grep(./**)", "Grep", "{\"file\":\"a.txt\"}", ALLOW},
		{DEF, "Ag3ntumRead(./**)", "mcp__ag3ntum__Read", "/etc/passwd", DENY},
		{DEF, "Ag3ntumRead(./**)", "mcp__ag3ntum__Read", "a", ALLOW},
		{DEF, "Ag3ntumRead(./**)", "mcp__ag3ntum__Read", "{\"path\":\"b\"}", ALLOW},
		{DEF, "mcp__ag3ntum__Write(*)\n!mcp__ag3ntum__Write(/etc/**)",
		 "mcp__ag3ntum__Write", "/etc/x", DENY, RS(DENY_RULE)},
		{DEF, "Read(./a?c)", "Read", "abc", ALLOW},
		{DEF, "Read(./a?c)", "Read", "a/c", DENY},
		{DEF, "Read(./[ab].txt)", "Read", "a.txt", ALLOW},
		{DEF, "Read(./[ab].txt)", "Read", "c.txt", DENY},
		{DEF, "Read(./[!ab].txt)", "Read", "c.txt", ALLOW},
		{DEF, "Read(*)", "Read", "{}", ALLOW},
		{DEF, "Read(./**)", "Read", "{}", DENY},
		{DEF, "LS(/workspace)", "LS", ".", ALLOW},
		{DEF, "Edit(./src)", "Edit", "src/deep/x.c", ALLOW},
		{DEF, "MultiEdit(/workspace/**)", "MultiEdit", "x", ALLOW},
	};
	RUN(v);
}

Test(rules, generic_and_bypass_attempts)
{
	static const struct dcase v[] = {
		{DEF, "WebFetch(https://*.example.com/*)", "WebFetch", "https://api.example.com/v1",
		 ALLOW},
		{DEF, "WebFetch(https://*.example.com/*)", "WebFetch", "https://evil.com/", DENY},
		/* fnmatch, as the platform: `*` crosses '/' and '.' in generic values */
		{DEF, "WebFetch(https://*.example.com/*)", "WebFetch",
		 "https://evil.com/a.example.com/", ALLOW},
		{DEF, "WebSearch(*python*)", "WebSearch", "learn python", ALLOW},
		{DEF, "Ag3ntumWebFetch(https://docs.*)", "mcp__ag3ntum__WebFetch", "https://docs.x",
		 ALLOW},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":true}",
		 DENY, RS(SANDBOX_BYPASS), NONE},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":false}",
		 ALLOW},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":1}",
		 DENY, RS(SANDBOX_BYPASS)},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":0}",
		 ALLOW},
		{DEF, "Bash(*)", "Bash",
		 "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":\"no\"}", DENY,
		 RS(SANDBOX_BYPASS)},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":\"\"}",
		 ALLOW},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":[]}",
		 ALLOW},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":null}",
		 ALLOW},
		{BYP, "", "Read", "{\"file_path\":\"a\",\"dangerouslyDisableSandbox\":{\"x\":1}}",
		 DENY, RS(SANDBOX_BYPASS)},
		{DEF, "Bash(*)", "Bash", "{\"command\":\"ls\",\"DangerouslyDisableSandbox\":true}",
		 ALLOW},
	};
	RUN(v);
}

Test(rules, uncheckable)
{
	/* a line too long, too deep, too many commands: denied when a rule needs to look in */
	char *big = malloc(AG3_RULES_MAX_INPUT + 64);
	memset(big, 'a', AG3_RULES_MAX_INPUT + 10);
	big[AG3_RULES_MAX_INPUT + 10] = '\0';
	char deep[256] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "$(");
	char *many = malloc(3 * 1100 + 1);
	for (int i = 0; i < 1100; i++)
		memcpy(many + 3 * i, "a; ", 3);
	many[3 * 1100] = '\0';
	struct dcase v[] = {
		{DEF, "Bash(git:*)", "Bash", big, DENY, RS(UNCHECKABLE)},
		{DEF, "Bash(*)", "Bash", big, ALLOW, RS(ALLOW_RULE)},
		{DEF, "Bash(*)\n!Bash(rm:*)", "Bash", deep, DENY, RS(UNCHECKABLE)},
		{DEF, "Bash(*)", "Bash", deep, ALLOW},
		{DEF, "Bash(a)", "Bash", many, DENY, RS(UNCHECKABLE)},
		{BYP, "!Bash(rm:*)", "Bash", many, DENY, RS(UNCHECKABLE)},
		{DEF, "Read(./**)", "Read", big, DENY, RS(UNCHECKABLE)},
	};
	RUN(v);
	free(big);
	free(many);
}

/* ------------------------------------------------------------ sessions -- */

static struct ag3_profile *load(const char *yaml)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &e), 0, "%s",
		     e ? e->msg : "");
	return p;
}

static bool decide_profile(const struct ag3_profile *p, bool session, const char *tool,
			   const char *input, const char **rule)
{
	struct ag3_rules_options o = {.session = session};
	struct ag3_rules *r = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_rules_from_profile(p, &o, &r, &e), 0);
	struct ag3_tool_call c = {0};
	struct ag3_decision d = {0};
	mk_call(tool, input, &c);
	cr_assert_eq(ag3_rules_decide(r, &c, &d), 0);
	static char last[256];
	snprintf(last, sizeof(last), "%s", d.rule ? d.rule->pattern : "");
	if (rule)
		*rule = last;
	bool allow = d.allow;
	ag3_decision_clear(&d);
	ag3_tool_call_clear(&c);
	ag3_rules_free(r);
	n_cases++;
	return allow;
}

Test(rules, session_workspace_replaces_permissions)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load("name: t\n"
		     "permissions:\n  allow: [\"Bash(*)\", \"Write({workspace}/**)\"]\n"
		     "session_workspace:\n  allow: [\"Read(*)\", \"Write({workspace}/**)\"]\n"
		     "  deny: [\"Read({workspace}/private/**)\"]\n");
	const char *rule = NULL;
	cr_expect(decide_profile(p, false, "Bash", "ls", NULL));
	cr_expect_not(decide_profile(p, true, "Bash", "ls", NULL));
	cr_expect(decide_profile(p, true, "Read", "/etc/x", NULL));
	cr_expect_not(decide_profile(p, true, "Read", "private/x", &rule));
	cr_expect_str_eq(rule, "Read(./private/**)");
	cr_expect(decide_profile(p, true, "Write", "./a", &rule));
	cr_expect_str_eq(rule, "Write(./**)");
	/* without a session, {workspace} stays literal (the platform never replaced it there) */
	cr_expect_not(decide_profile(p, false, "Write", "./a", NULL));

	_cleanup_(ag3_profile_freep) struct ag3_profile *q =
		load("name: t\npermissions:\n  allow: [\"Bash(git:*)\"]\n");
	cr_expect(decide_profile(q, true, "Bash", "git log", NULL)); /* no session_workspace */
	cr_expect_not(decide_profile(q, true, "Bash", "ls", NULL));
}

Test(rules, rules_carry_locations)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load("name: t\nsession_workspace:\n  allow:\n    - Task\n  deny:\n    - "
		     "\"Bash(rm:*)\"\n");
	struct ag3_rules_options o = {.session = true};
	_cleanup_(ag3_rules_freep) struct ag3_rules *r = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_rules_from_profile(p, &o, &r, &e), 0);
	cr_assert_eq(r->n_deny, 1);
	cr_expect_str_eq(r->deny[0].key, "session_workspace.deny[0]");
	cr_expect_eq(r->deny[0].line, 6);
	cr_expect_eq(r->deny[0].col, 7);
	cr_expect_str_eq(r->allow[0].key, "session_workspace.allow[0]");
	cr_expect_eq(r->allow[0].line, 4);
	cr_expect_str_eq(r->file, "t.yaml");
	n_cases++;
}

Test(rules, platform_head_profile)
{
	char *path = fixture("v-48de794/permissions.yaml");
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_file(path, &p, &e), 0);
	free(path);
	const char *rule;
	cr_expect(decide_profile(p, true, "mcp__ag3ntum__Bash", "ls -la", &rule));
	cr_expect_str_eq(rule, "mcp__ag3ntum__Bash(*)"); /* never matched on the platform */
	cr_expect_not(decide_profile(p, true, "Bash", "ls", &rule));
	cr_expect_str_eq(rule, "Bash(*)");
	cr_expect(decide_profile(p, true, "Task", "{}", NULL));
	cr_expect(decide_profile(p, true, "mcp__ag3ntum__AskUserQuestion", "{}", NULL));
	cr_expect(decide_profile(p, true, "NotebookEdit", "{}", NULL));
	cr_expect_not(decide_profile(p, true, "Foo", "{}", NULL));
	cr_expect_not(decide_profile(p, false, "mcp__ag3ntum__Bash", "ls", NULL)); /* no rules */
	ag3_profile_free(p);
}

/* ------------------------------------------------------------- denials -- */

static char *deny_msg(struct ag3_denial_tracker *t, const struct ag3_rules *r, const char *tool,
		      const char *input, bool *interrupt)
{
	struct ag3_tool_call c = {0};
	struct ag3_decision d = {0};
	struct ag3_denial den = {0};
	mk_call(tool, input, &c);
	cr_assert_eq(ag3_rules_decide(r, &c, &d), 0);
	cr_assert_not(d.allow, "%s %s was allowed", tool, input);
	cr_assert_eq(ag3_denial_record(t, r, &c, &d, &den), 0);
	char *m = strdup(den.message);
	if (interrupt)
		*interrupt = den.interrupt;
	ag3_denial_clear(&den);
	ag3_decision_clear(&d);
	ag3_tool_call_clear(&c);
	n_cases++;
	return m;
}

Test(rules, denial_messages_and_counting)
{
	_cleanup_(ag3_rules_freep) struct ag3_rules *r =
		mk_rules(DEF, "Bash(git:*)\nBash(make:*)\nRead(./**)", NULL);
	struct ag3_denial_tracker t = {0};
	bool in;
	char *m = deny_msg(&t, r, "Bash", "ls -la", &in);
	cr_expect_str_eq(m, "Bash command 'ls -la...' is not permitted. Allowed patterns for "
			    "Bash: 'Bash(git:*)', 'Bash(make:*)'.");
	cr_expect_not(in);
	free(m);
	m = deny_msg(&t, r, "Bash", "ls", &in);
	cr_expect_str_eq(m, "Bash command 'ls...' is not permitted. Allowed patterns for Bash: "
			    "'Bash(git:*)', 'Bash(make:*)'. FINAL WARNING: Agent will be stopped "
			    "if this tool is denied again.");
	cr_expect_not(in);
	free(m);
	m = deny_msg(&t, r, "Bash", "ls", &in);
	cr_expect_str_eq(m, "TASK STOPPED: Maximum permission failures exceeded (3/3 denials for "
			    "Bash). Last error: Bash command 'ls...' is not permitted. Allowed "
			    "patterns for Bash: 'Bash(git:*)', 'Bash(make:*)'.");
	cr_expect(in);
	free(m);
	m = deny_msg(&t, r, "Read", "/etc/passwd", &in);
	cr_expect_str_eq(m, "Read for '/etc/passwd' is not permitted. Allowed patterns for Read: "
			    "'Read(./**)'.");
	cr_expect_not(in);
	free(m);
	m = deny_msg(&t, r, "WebFetch", "https://x", &in);
	cr_expect_str_eq(m, "WebFetch for 'https://x' is not permitted. No WebFetch operations are "
			    "allowed in this security context.");
	free(m);
	/* 6 in all: the sixth interrupts, with the tool's own count (and the final warning) */
	m = deny_msg(&t, r, "Read", "/etc/shadow", &in);
	cr_expect(in);
	cr_expect(strstr(m, "TASK STOPPED: Maximum permission failures exceeded (2/3 denials for "
			    "Read). Last error: Read for '/etc/shadow'") == m,
		  "%s", m);
	cr_expect(strstr(m, "FINAL WARNING") != NULL);
	cr_expect_eq(t.total, 6);
	cr_expect(t.interrupted);
	free(m);
	ag3_denial_tracker_clear(&t);
}

Test(rules, denial_message_details)
{
	struct ag3_denial_tracker t = {0};
	bool in;
	/* 50 characters, then "..." (always, for shell tools) */
	_cleanup_(ag3_rules_freep) struct ag3_rules *r = mk_rules(DEF, "", NULL);
	char *m = deny_msg(&t, r, "Bash",
			   "0123456789012345678901234567890123456789012345678901234567890", &in);
	cr_expect_str_eq(m, "Bash command '01234567890123456789012345678901234567890123456789...' "
			    "is not permitted. No Bash operations are allowed in this security "
			    "context.");
	free(m);
	/* code points, not bytes */
	char utf[256] = "";
	for (int i = 0; i < 60; i++)
		strcat(utf, "é");
	m = deny_msg(&t, r, "Read", utf, &in);
	char want[512] = "Read for '";
	for (int i = 0; i < 50; i++)
		strcat(want, "é");
	strcat(want,
	       "' is not permitted. No Read operations are allowed in this security context.");
	cr_expect_str_eq(m, want);
	free(m);
	ag3_denial_tracker_clear(&t);

	/* at most 5 patterns; looked up under the normalized name (the shipped rules now show) */
	_cleanup_(ag3_rules_freep) struct ag3_rules *r2 =
		mk_rules(DEF,
			 "Read(a)\nRead(b)\nRead(c)\nRead(d)\nRead(e)\nRead(f)\n"
			 "mcp__ag3ntum__Bash(git:*)\nTask",
			 NULL);
	m = deny_msg(&t, r2, "Read", "z", &in);
	cr_expect_str_eq(m, "Read for 'z' is not permitted. Allowed patterns for Read: 'Read(a)', "
			    "'Read(b)', 'Read(c)', 'Read(d)', 'Read(e)'.");
	free(m);
	m = deny_msg(&t, r2, "mcp__ag3ntum__Bash", "ls", &in);
	cr_expect_str_eq(m, "Ag3ntumBash command 'ls...' is not permitted. Allowed patterns for "
			    "Ag3ntumBash: 'mcp__ag3ntum__Bash(git:*)'.");
	free(m);
	ag3_denial_tracker_clear(&t);

	/* the security violation: always an interrupt, not counted per tool */
	struct ag3_tool_call c = {0};
	struct ag3_decision d = {0};
	struct ag3_denial den = {0};
	mk_call("Bash", "{\"command\":\"ls\",\"dangerouslyDisableSandbox\":true}", &c);
	cr_assert_eq(ag3_rules_decide(r, &c, &d), 0);
	cr_assert_eq(ag3_denial_record(&t, r, &c, &d, &den), 0);
	cr_expect_str_eq(den.message,
			 "Security violation: sandbox bypass attempted. Agent stopped.");
	cr_expect(den.interrupt);
	cr_expect(den.security_violation);
	cr_expect_eq(t.total, 0);
	cr_expect_eq(t.violations, 1);
	ag3_denial_clear(&den);
	ag3_decision_clear(&d);
	ag3_tool_call_clear(&c);
	ag3_denial_tracker_clear(&t);
	n_cases++;
}

/* ------------------------------------------------------------- explain -- */

static void add_mount(struct ag3_spec *s, enum ag3_mount_op op, const char *src, const char *tgt,
		      bool ro, const char *origin)
{
	struct ag3_mount m = {.op = op,
			      .source = (char *)src,
			      .target = (char *)tgt,
			      .ro = ro,
			      .origin = (char *)origin};
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
}

Test(rules, explain_path_walk)
{
	_cleanup_(ag3_spec_freep) struct ag3_spec *s = ag3_spec_new();
	add_mount(s, AG3_MOUNT_BIND, "/usr", "/usr", true, "sandbox.static_mounts.system_usr");
	add_mount(s, AG3_MOUNT_SYMLINK, "usr/bin", "/bin", false,
		  "sandbox.static_mounts.system_bin");
	add_mount(s, AG3_MOUNT_BIND, "/srv/ro", "/mounts/ro", true, "sandbox.session_mounts.x");
	add_mount(s, AG3_MOUNT_TMPFS, NULL, "/tmp", false, "builtin /tmp");
	add_mount(s, AG3_MOUNT_TMPFS, NULL, "/mounts", false, "sandbox.tmpfs_paths[0]");
	add_mount(s, AG3_MOUNT_BIND, "/data/a", "/mounts/a/b", false, "sandbox.dynamic_mounts[0]");
	add_mount(s, AG3_MOUNT_MASK, NULL, "/usr/secret", true, "mask");
	add_mount(s, AG3_MOUNT_PROC, NULL, "/proc", false, "builtin /proc");
	static const struct {
		const char *path, *resolved;
		enum ag3_explain_state state;
		ssize_t mount;
		bool ro;
		size_t shadowed;
	} v[] = {
		{"/usr/bin/sh", "/usr/bin/sh", AG3_EXPLAIN_MOUNTED, 0, true, 0},
		{"/bin/sh", "/usr/bin/sh", AG3_EXPLAIN_MOUNTED, 0, true, 0},
		{"/bin/../usr/lib", "/usr/lib", AG3_EXPLAIN_MOUNTED, 0, true, 0},
		{"/mounts/ro/x", "/mounts/ro/x", AG3_EXPLAIN_ABSENT, 4, false, 1},
		{"/mounts/a", "/mounts/a", AG3_EXPLAIN_CREATED, 4, false, 0},
		{"/mounts/a/b/c", "/mounts/a/b/c", AG3_EXPLAIN_MOUNTED, 5, false, 1},
		{"/tmp", "/tmp", AG3_EXPLAIN_MOUNTED, 3, false, 0},
		{"/usr/secret/k", "/usr/secret/k", AG3_EXPLAIN_MASKED, 6, true, 1},
		{"/nope", "/nope", AG3_EXPLAIN_ABSENT, -1, true, 0},
		/* what the runtime does to every /proc */
		{"/proc/self/status", "/proc/self/status", AG3_EXPLAIN_MOUNTED, 7, false, 0},
		{"/proc/kcore", "/proc/kcore", AG3_EXPLAIN_MASKED, 7, true, 0},
		{"/proc/acpi/wakeup", "/proc/acpi/wakeup", AG3_EXPLAIN_MASKED, 7, true, 0},
		{"/proc/sys/kernel/hostname", "/proc/sys/kernel/hostname", AG3_EXPLAIN_MOUNTED, 7,
		 true, 0},
		{"/proc/sysfoo", "/proc/sysfoo", AG3_EXPLAIN_MOUNTED, 7, false, 0},
		{"/", "/", AG3_EXPLAIN_MOUNTED, -1, true, 0},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		struct ag3_explain_path e = {0};
		cr_assert_eq(ag3_explain_path(s, v[i].path, &e, NULL), 0, "%s", v[i].path);
		cr_expect_str_eq(e.resolved, v[i].resolved, "%s", v[i].path);
		cr_expect_eq(e.state, v[i].state, "%s: state %s", v[i].path,
			     ag3_explain_state_to_string(e.state));
		cr_expect_eq(e.mount, v[i].mount, "%s: mount %zd", v[i].path, e.mount);
		cr_expect_eq(e.ro, v[i].ro, "%s: ro", v[i].path);
		cr_expect_eq(e.n_shadowed, v[i].shadowed, "%s: shadowed %zu", v[i].path,
			     e.n_shadowed);
		ag3_explain_path_clear(&e);
		n_cases++;
	}
	struct ag3_explain_path e = {0};
	cr_assert_eq(ag3_explain_path(s, "/usr/bin/x", &e, NULL), 0);
	cr_expect_str_eq(e.host_path, "/usr/bin/x");
	ag3_explain_path_clear(&e);
	/* a symlink loop is an error, not a hang */
	add_mount(s, AG3_MOUNT_SYMLINK, "/loop2", "/loop1", false, "l1");
	add_mount(s, AG3_MOUNT_SYMLINK, "/loop1", "/loop2", false, "l2");
	struct ag3_error *err = NULL;
	cr_expect_eq(ag3_explain_path(s, "/loop1/x", &e, &err), -ELOOP);
	ag3_error_free(err);
}

Test(rules, explain_origin_keys)
{
	static const char *const v[][2] = {
		{"sandbox.static_mounts.system_usr", "sandbox.static_mounts.system_usr"},
		{"sandbox.session_mounts.workspace (ephemeral: no --workspace)",
		 "sandbox.session_mounts.workspace"},
		{"sandbox.tmpfs_paths[0]", "sandbox.tmpfs_paths[0]"},
		{"original-path of global.ro[0] datasets", "global.ro[0]"},
		{"builtin /tmp", NULL},
		{"builtin /lib64 (host has it)", NULL},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		char *k = NULL;
		cr_assert_eq(ag3_explain_origin_key(v[i][0], &k), 0);
		if (v[i][1])
			cr_expect_str_eq(k, v[i][1]);
		else
			cr_expect_null(k, "%s -> %s", v[i][0], k);
		free(k);
		n_cases++;
	}
}
