/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for `serve`'s request parser (tools/serve-proto.c): any line
 * is a request or an error with a known code and a message, never a crash, a
 * leak, or a request that breaks what the parser promises (exactly one of argv
 * and shell, stdin within its limit, an id that is an integer or a short string).
 *
 * Input: the line. Seed corpus: tests/fuzz/corpus/serve-request/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/serve-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_req r;
	const char *code = NULL;
	char *msg = NULL;
	int rc = serve_req_parse((const char *)data, size, &r, &code, &msg);
	if (rc < 0) {
		if (!code || (strcmp(code, SERVE_BAD_JSON) && strcmp(code, SERVE_BAD_REQUEST) &&
			      strcmp(code, SERVE_UNKNOWN_OP) && strcmp(code, "INTERNAL")))
			__builtin_trap();
		if (!msg || !*msg)
			__builtin_trap();
	} else {
		if (msg)
			__builtin_trap();
		if (r.op == SERVE_OP_EXEC &&
		    (!r.session || !!r.argv == !!r.shell || (r.argv && !r.argv[0]) ||
		     r.stdin_len > SERVE_MAX_STDIN))
			__builtin_trap();
		if (r.op == SERVE_OP_CANCEL && !r.exec_id)
			__builtin_trap();
		if (r.op == SERVE_OP_CHECK && (!r.tool || !r.input))
			__builtin_trap();
		if (r.op == SERVE_OP_RESOLVE && !r.path)
			__builtin_trap();
	}
	if (r.id && !cJSON_IsNumber(r.id) &&
	    !(cJSON_IsString(r.id) && strlen(r.id->valuestring) <= SERVE_MAX_ID))
		__builtin_trap();
	free(msg);
	serve_req_clear(&r);
	return 0;
}
