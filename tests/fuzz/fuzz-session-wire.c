/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for a session's wire: the command request (parsed by the
 * command's init inside the sandbox, from whatever a client sent) and the
 * server's hello (parsed by the client). The first byte picks the reader.
 *
 * A request that parses must pack back to the same bytes; a hello that parses
 * gives at most AG3_MAX_DEGRADED downgrades. Anything else is a bug: abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/session-proto.h"
#include "runtime/spec_json.h"
#include "runtime/cmdreq.h"
#include "runtime/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t which = data[0];
	data++;
	size--;
	if (which & 1) {
		struct ag3_result res = {0};
		struct ag3_session_limits lim;
		struct ag3_spec_network net;
		int r = ag3_hello_parse(data, size, &lim, &res, (which & 2) ? &net : NULL);
		if (r == 0 && res.enforcement.n_degraded > AG3_MAX_DEGRADED)
			abort();
		/* A network section that parsed is one a spec could hold; one that did
		 * not leaves nothing behind. */
		if ((which & 2) && r != 0 && (net.n_domains || net.domains || net.localhost_ports))
			abort();
		if ((which & 2) && r == 0 && net.mode == AG3_NET_ALLOWLIST &&
		    (net.max_connections < 1 || net.max_connections > 4096))
			abort();
		if (which & 2)
			ag3_spec_network_clear(&net);
		ag3_result_clear(&res);
		return 0;
	}
	struct ag3_cmd cmd;
	char why[256];
	if (ag3_cmdreq_parse(data, size, &cmd, why, sizeof(why)) < 0) {
		if (!why[0] || cmd.argv || cmd.env || cmd.cwd)
			abort(); /* refused: with a reason, holding nothing */
		return 0;
	}
	void *buf = NULL;
	size_t len = 0;
	if (ag3_cmdreq_pack(&cmd, &buf, &len) < 0 || len != size || memcmp(buf, data, size))
		abort(); /* what parses packs back to the same bytes */
	free(buf);
	ag3_cmd_clear(&cmd);
	return 0;
}
