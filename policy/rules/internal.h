/* SPDX-License-Identifier: MIT */
/*
 * Shared by the parts of the tool-permission rules (policy/rules/): the
 * shell splitter, the forms of one command, globs, matching and the
 * decision. Not public: the API is policy/rules.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/rules.h"
#include "runtime/util/cleanup.h"

/* shell.c: a blank between words (space, tab, newline, carriage return). */
bool ag3_shell_is_blank(char c);

/* glob.c: fnmatch over [p, p+pn) and [t, t+tn); with `stop_slash`, nothing matches '/'. */
bool ag3_glob_n(const char *p, size_t pn, const char *t, size_t tn, bool stop_slash);

/* command.c: the forms of one simple command the rules are matched against. */
struct cmd_forms {
	char *raw;          /* the normalized text */
	char *safe;         /* from the first word that is not a reserved word ("" when none) */
	char *core;         /* dequoted, from the command word (assignments and wrappers dropped) */
	char *base;         /* core with the command word's directory dropped; NULL when the same */
	char *inner;        /* `sh -c TEXT`, `eval TEXT...`: the command line it runs, or NULL */
	bool deny_only;     /* from an `inner` line: checked against deny rules only */
	const char *opaque; /* why no rule can tell what it runs (static), or NULL */
};

/* The forms of one (normalized) simple command. 0 or -ENOMEM. */
int ag3_cmd_forms_of(const char *part, struct cmd_forms *f);
void ag3_cmd_forms_clear(struct cmd_forms *f);

/* match.c: a shell tool's value split into its commands and their forms. */
struct split_line {
	char *whole; /* the line, blanks collapsed */
	struct cmd_forms *parts;
	size_t n;
};

/* 0, -E2BIG, -ELOOP, -ENOMEM. */
int ag3_split_line(const char *val, struct split_line *ret);
void ag3_split_line_clear(struct split_line *l);

/* match.c: one rule against a call. */
bool ag3_rule_arg_matches_all(const struct ag3_rule *rule);
bool ag3_rule_name_matches(const struct ag3_rule *rule, const struct ag3_tool_call *c);
/* A call's value against a rule of a tool that is not a shell. -ENOMEM, 0, 1. */
int ag3_rule_value_matches(const struct ag3_rules *r, const struct ag3_rule *rule,
			   const struct ag3_tool_call *c);
/* Whether a shell rule matches one command (the forms `deny` says). -ENOMEM, 0, 1. */
int ag3_rule_forms_match(const struct ag3_rule *rule, const struct cmd_forms *f, bool deny);
/* -ENOMEM, 0, or 1 with the matching part's index in *part (-1: all); `l` may be NULL. */
int ag3_rule_match_line(const struct ag3_rules *r, const struct ag3_rule *rule,
			const struct ag3_tool_call *c, const struct split_line *l, ssize_t *part);
