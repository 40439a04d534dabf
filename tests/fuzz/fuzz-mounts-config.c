/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the external-mounts loader, the per-user plan and the
 * dynamic-request validator: any bytes in, either a config (which then plans
 * for a user and validates a few requests, or fails with an error) or an
 * error with a message; never a crash, a leak or unbounded time and memory.
 * Also feeds the same bytes to the secrets loader.
 *
 * Seed corpus: tests/fuzz/corpus/mounts-config/ (the platform's two
 * external-mounts examples, the golden test's config, a dynamic config).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"
#include "policy/mounts-config.h"
#include "policy/secrets.h"
#include "policy/vars.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A host root that does not exist: every host path is missing. */
#define NO_ROOT "/nonexistent-ag3-fuzz-root"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag3_mounts_config *c = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_mounts_config_load_buffer("fuzz.yaml", (const char *)data, size, &c, &e);
	check_error(r, e);
	ag3_error_free(e);
	e = NULL;

	struct ag3_vars *s = ag3_vars_new();
	if (!s)
		abort();
	ag3_vars_set_username(s, "alice");
	r = ag3_secrets_load_buffer(s, "fuzz.yaml", (const char *)data, size, true, &e);
	check_error(r, e);
	ag3_error_free(e);
	e = NULL;

	if (c) {
		static const char *const reqs[] = {"logs", "logs/nginx:ro", "home/.ssh",
						   "data/a/b/c:rw=x", "logs/x.key"};
		struct ag3_dyn_mount dm[ELEMENTSOF(reqs)];
		size_t n = 0;
		for (size_t i = 0; i < ELEMENTSOF(reqs); i++) {
			struct ag3_dyn_request q;
			if (ag3_dyn_request_parse(reqs[i], &q, NULL) < 0)
				abort();
			/* the first base's name too */
			if (i == 0 && c->dynamic.bases.n) {
				free(q.base);
				q.base = strdup(c->dynamic.bases.items[0].name.v);
			}
			r = ag3_dyn_validate(c, &q, "alice", n, NO_ROOT, &dm[n], &e);
			if (r == AG3_DYN_OK) {
				if (e || !dm[n].container_path || !dm[n].host_path)
					__builtin_trap();
				n++;
			} else if (r > 0) {
				if (!e || !e->msg || !strstr(e->msg, ag3_dyn_code_to_string(r)))
					__builtin_trap();
			}
			ag3_error_free(e);
			e = NULL;
			ag3_dyn_request_clear(&q);
		}
		for (int user = 0; user < 2; user++) {
			struct ag3_xplan *plan = NULL;
			struct ag3_vars *ps = ag3_vars_new();
			if (!ps)
				abort();
			if (user)
				ag3_vars_set_username(ps, "bob");
			r = ag3_mounts_config_plan(c, NULL, ps, dm, n, NO_ROOT, &plan, &e);
			check_error(r, e);
			if (r == 0) {
				for (size_t i = 0; i < plan->n; i++)
					if (!plan->items[i].origin || !plan->items[i].target ||
					    (plan->items[i].skip != AG3_XPLAN_SKIP_NONE &&
					     !plan->items[i].skip_reason))
						__builtin_trap();
				ag3_xplan_free(plan);
			}
			ag3_error_free(e);
			e = NULL;
			ag3_vars_free(ps);
		}
		for (size_t i = 0; i < n; i++)
			ag3_dyn_mount_clear(&dm[i]);
	}
	ag3_vars_free(s);
	ag3_mounts_config_free(c);
	return 0;
}
