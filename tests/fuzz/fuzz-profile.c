/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the profile loader and the compiler: any bytes in,
 * either a profile (which then compiles, or fails with an error) or an error
 * with a message; never a crash, a leak or unbounded time and memory.
 *
 * Seed corpus: tests/fuzz/corpus/profile/ (the platform's permissions.yaml
 * files, the default profile, the unit tests' data).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"
#include "policy/profile-model.h"
#include "policy/vars.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_profile_load_buffer("fuzz.yaml", (const char *)data, size, &p, &e);
	check_error(r, e);
	ag3_error_free(e);
	e = NULL;
	if (r < 0) {
		if (p)
			__builtin_trap();
		return 0;
	}

	struct ag3_ploc loc;
	(void)ag3_profile_locate(p, "sandbox.static_mounts", &loc);
	(void)ag3_profile_locate(p, "sandbox.tmpfs_paths[0]", &loc);

	/* compile twice, with and without a full session */
	for (int pass = 0; pass < 2; pass++) {
		struct ag3_vars *s = ag3_vars_new();
		struct ag3_spec *spec = NULL;
		if (!s)
			abort();
		if (pass == 1) {
			ag3_vars_set_username(s, "alice");
			ag3_vars_set_session_id(s, "20260127_101500_1a2b3c4d");
			ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/tmp");
			ag3_vars_set_env(s, "SECRET", "x");
			s->uid_set = s->gid_set = true;
			s->uid = s->gid = 50001;
		}
		r = ag3_compile_ex(p, s, NULL, &spec, &e);
		check_error(r, e);
		if (r == 0 && (!spec || ag3_spec_validate(spec, NULL) < 0))
			__builtin_trap();
		ag3_error_free(e);
		e = NULL;
		ag3_spec_free(spec);
		ag3_vars_free(s);
	}
	ag3_profile_free(p);
	return 0;
}
