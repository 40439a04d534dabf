/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the operator's configuration of the bwrap front end
 * (policy/bwrap-config.c): any bytes in, either a configuration (then added to
 * a spec that shares the host's network, which must still validate) or an
 * error with a message; never a crash, a leak or unbounded time and memory.
 *
 * Seed corpus: tests/fuzz/corpus/bwrap-config/ (the README's example).
 */
#include <stdint.h>
#include <stdlib.h>

#include "policy/bwrap-config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag3_bwrap_config *c = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_bwrap_config_parse("fuzz.yaml", (const char *)data, size, &c, &e);
	check_error(r, e);
	ag3_error_free(e);
	e = NULL;
	if (c) {
		struct ag3_spec *s = ag3_spec_new();
		if (!s)
			abort();
		s->namespaces.net = false;
		s->network.mode = AG3_NET_HOST;
		s->security.seccomp.enabled = s->security.landlock.enabled = false;
		r = ag3_bwrap_config_apply(c, s, &e);
		check_error(r, e);
		ag3_error_free(e);
		e = NULL;
		/* what the parser accepted makes a valid spec */
		if (r == 0 && ag3_spec_validate(s, &e) < 0)
			__builtin_trap();
		ag3_error_free(e);
		ag3_spec_free(s);
		ag3_bwrap_config_free(c);
	}
	return 0;
}
