/* SPDX-License-Identifier: MIT */
/*
 * The profile linter: a catalogue of rules, each with a stable id
 * (AG3L000...), a severity, a message pointing at file:line:column and a fix
 * hint. It checks a loaded profile (and optionally the external-mounts file)
 * for what would break, what the platform got wrong, and what it silently
 * ignored. README.md, "Lint rules", lists them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/mounts-config.h"
#include "policy/profile-model.h"
#include "runtime/util/error.h"

enum ag3_lint_severity {
	AG3_LINT_INFO,
	AG3_LINT_WARNING,
	AG3_LINT_ERROR,
	_AG3_LINT_SEVERITY_MAX,
};

const char *ag3_lint_severity_to_string(enum ag3_lint_severity s);

struct ag3_lint_rule {
	const char *id;   /* "AG3L004" */
	const char *name; /* "writable-system-dir" */
	enum ag3_lint_severity severity;
	const char *summary; /* what it finds, one line */
	const char *hint;    /* how to fix it */
	bool needs_mounts;   /* only with an external-mounts file */
};

/* The catalogue, in id order. */
const struct ag3_lint_rule *ag3_lint_rules(size_t *n);
/* A rule by id ("AG3L004") or name ("writable-system-dir"), or NULL. */
const struct ag3_lint_rule *ag3_lint_rule_find(const char *id_or_name);

struct ag3_lint_finding {
	const struct ag3_lint_rule *rule;
	char *file;         /* may be NULL (no file) */
	unsigned line, col; /* 1-based; 0 when unknown */
	char *message;
};

struct ag3_lint_report {
	struct ag3_lint_finding *v;
	size_t n;
};

void ag3_lint_report_clear(struct ag3_lint_report *rep);
/* Counts of findings by severity. */
size_t ag3_lint_report_count(const struct ag3_lint_report *rep, enum ag3_lint_severity s);
/* Whether the report has a finding of rule `id`. */
bool ag3_lint_report_has(const struct ag3_lint_report *rep, const char *id);

struct ag3_lint_options {
	/* Host paths (mount sources) are looked up beneath this directory; NULL = "/". */
	const char *host_root;
	/* The machine the profile is for ("x86_64", "aarch64"); NULL = this one (uname). */
	const char *arch;
	/* The external-mounts file deployed with the profile, or NULL. */
	const struct ag3_mounts_config *mounts;
};

/* Lints a loaded profile, appending findings to `rep`. 0 or -ENOMEM. */
int ag3_lint_profile(const struct ag3_profile *p, const struct ag3_lint_options *o,
		     struct ag3_lint_report *rep);

/*
 * Appends the AG3L000 finding for a file that does not load (the loader's
 * error, at its file:line:col). 0 or -ENOMEM.
 */
int ag3_lint_add_load_error(struct ag3_lint_report *rep, const char *file,
			    const struct ag3_error *e);

/* Sorts the findings by file (first appearance), line, column, id. */
void ag3_lint_report_sort(struct ag3_lint_report *rep);
