/* SPDX-License-Identifier: MIT */
/*
 * `lint --format sarif`: the report as a SARIF 2.1.0 log (OASIS), the format CI
 * systems read to annotate the lines of a change: one run, the rule catalogue as
 * the tool's rules, one result per finding with its file:line:column.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "policy/lint.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* SARIF's levels: error, warning, note (lint's info). */
static const char *sarif_level(enum ag3_lint_severity s)
{
	switch (s) {
	case AG3_LINT_ERROR:
		return "error";
	case AG3_LINT_WARNING:
		return "warning";
	default:
		return "note";
	}
}

/*
 * A file path as a URI reference (RFC 3986): every byte but the unreserved ones
 * and '/' percent-encoded, so any name (spaces, '#', '%', bytes that are not
 * UTF-8) round-trips; an absolute path becomes a file:// URI, a relative one
 * stays relative (to where lint ran, as CI systems expect).
 */
static char *path_to_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *s = malloc(sizeof("file://") + 3 * n);
	if (!s)
		return NULL;
	char *o = s;
	if (path[0] == '/')
		o = stpcpy(o, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return s;
}

static cJSON *text_object(const char *text)
{
	cJSON *o = cJSON_CreateObject();
	if (o && !cJSON_AddStringToObject(o, "text", text)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Adds `item` (NULL when its allocation failed) to the object `obj` under `key`, or
 * deletes it: false on failure. Objects are built top-down, each added as made. */
static bool add(cJSON *obj, const char *key, cJSON *item)
{
	if (item && obj && cJSON_AddItemToObject(obj, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

/* The same for an array. */
static bool append(cJSON *array, cJSON *item)
{
	if (item && array && cJSON_AddItemToArray(array, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static cJSON *sarif_rule(const struct ag3_lint_rule *r)
{
	cJSON *o = cJSON_CreateObject(), *conf;
	bool ok = o && cJSON_AddStringToObject(o, "id", r->id) &&
		  cJSON_AddStringToObject(o, "name", r->name) &&
		  add(o, "shortDescription", text_object(r->summary)) &&
		  add(o, "help", text_object(r->hint)) &&
		  add(o, "defaultConfiguration", conf = cJSON_CreateObject()) &&
		  cJSON_AddStringToObject(conf, "level", sarif_level(r->severity));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *sarif_location(const struct ag3_lint_finding *f)
{
	_cleanup_free_ char *uri = path_to_uri(f->file);
	cJSON *loc = cJSON_CreateObject(), *phys, *art, *region;
	bool ok = uri && loc && add(loc, "physicalLocation", phys = cJSON_CreateObject()) &&
		  add(phys, "artifactLocation", art = cJSON_CreateObject()) &&
		  cJSON_AddStringToObject(art, "uri", uri);
	if (ok && f->line)
		ok = add(phys, "region", region = cJSON_CreateObject()) &&
		     cJSON_AddNumberToObject(region, "startLine", f->line) &&
		     (!f->col || cJSON_AddNumberToObject(region, "startColumn", f->col));
	if (!ok) {
		cJSON_Delete(loc);
		return NULL;
	}
	return loc;
}

static cJSON *sarif_result(const struct ag3_lint_finding *f, size_t rule_index)
{
	cJSON *o = cJSON_CreateObject(), *locs;
	bool ok = o && cJSON_AddStringToObject(o, "ruleId", f->rule->id) &&
		  cJSON_AddNumberToObject(o, "ruleIndex", (double)rule_index) &&
		  cJSON_AddStringToObject(o, "level", sarif_level(f->rule->severity)) &&
		  add(o, "message", text_object(f->message));
	if (ok && f->file)
		ok = add(o, "locations", locs = cJSON_CreateArray()) &&
		     append(locs, sarif_location(f));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *sarif_log(const struct ag3_lint_report *rep)
{
	size_t n;
	const struct ag3_lint_rule *v = ag3_lint_rules(&n);
	cJSON *log = cJSON_CreateObject(), *runs, *run, *tool, *driver, *rules = NULL,
	      *results = NULL;
	bool ok = log && cJSON_AddStringToObject(log, "$schema", SARIF_SCHEMA) &&
		  cJSON_AddStringToObject(log, "version", "2.1.0") &&
		  add(log, "runs", runs = cJSON_CreateArray()) &&
		  append(runs, run = cJSON_CreateObject()) &&
		  add(run, "tool", tool = cJSON_CreateObject()) &&
		  add(tool, "driver", driver = cJSON_CreateObject()) &&
		  cJSON_AddStringToObject(driver, "name", PROG) &&
		  cJSON_AddStringToObject(driver, "version", AG3_VERSION) &&
		  cJSON_AddStringToObject(driver, "semanticVersion", AG3_VERSION) &&
		  add(driver, "rules", rules = cJSON_CreateArray()) &&
		  add(run, "results", results = cJSON_CreateArray());
	for (size_t i = 0; ok && i < n; i++)
		ok = append(rules, sarif_rule(&v[i]));
	/* the finding's rule is an entry of the catalogue: its index there */
	for (size_t i = 0; ok && i < rep->n; i++)
		ok = append(results, sarif_result(&rep->v[i], (size_t)(rep->v[i].rule - v)));
	if (!ok) {
		cJSON_Delete(log);
		return NULL;
	}
	return log;
}

int cli_lint_print_cjson(cJSON *json)
{
	char *s = json ? cJSON_Print(json) : NULL;
	cJSON_Delete(json);
	if (!s) {
		cli_error("out of memory");
		return -1;
	}
	int r = cli_print_json(stdout, s);
	free(s);
	return r;
}

int cli_lint_print_sarif(const struct ag3_lint_report *rep)
{
	return cli_lint_print_cjson(sarif_log(rep));
}
