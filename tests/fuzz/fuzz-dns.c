/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the DNS stub's wire format (runtime/dns.c). The first
 * two bytes pick the capacity of the reply buffer, the rest is the message.
 *
 * A query that parses has a valid lowercase name of at most 253 characters
 * and a question inside the message; its reply fits the capacity (or is
 * -ENOSPC), echoes the id and copies the question. A message that does not
 * parse gets a 12-byte error reply only when it is a query (QR=0) of 12 bytes
 * or more. Anything else is a bug: abort().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cap = (size_t)(data[0] << 8 | data[1]) % 600;
	data += 2;
	size -= 2;
	uint8_t *msg = malloc(size ? size : 1), *out = malloc(cap ? cap : 1);
	if (!msg || !out)
		abort();
	memcpy(msg, data, size); /* exactly `size` bytes: ASan sees any overread */
	struct ag3_dns_query q;
	if (ag3_dns_parse_query(msg, size, &q) == 0) {
		size_t n = strlen(q.name);
		if (n > 253 || q.question_end > size || q.question_end < 12 + n + 1 + 4 ||
		    q.id != (msg[0] << 8 | msg[1]))
			abort();
		for (size_t i = 0; i < n; i++) {
			char c = q.name[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_' || c == '.'))
				abort();
		}
		struct in_addr a = {.s_addr = 0x0102017f};
		ssize_t r = ag3_dns_build_reply(&q, msg, (uint16_t)(size & 15),
						size & 16 ? &a : NULL, 60, out, cap);
		if (r == -ENOSPC)
			goto out;
		if (r < 0 || (size_t)r > cap || (size_t)r < q.question_end || out[0] != msg[0] ||
		    out[1] != msg[1] || !(out[2] & 0x80) ||
		    memcmp(out + 12, msg + 12, q.question_end - 12) != 0)
			abort();
		if (ag3_dns_build_reply(&q, msg, 16, NULL, 0, out, cap) != -EINVAL)
			abort();
	} else {
		if (q.name[0] || q.question_end)
			abort();
		ssize_t r = ag3_dns_build_error(msg, size, AG3_DNS_FORMERR, out, cap);
		bool query = size >= 12 && !(msg[2] & 0x80);
		if (!query && r != -EBADMSG)
			abort();
		if (query && !(cap < 12 ? r == -ENOSPC
					: r == 12 && out[0] == msg[0] && out[1] == msg[1] &&
						  (out[2] & 0x80) && (out[3] & 15) == 1))
			abort();
	}
out:
	free(msg);
	free(out);
	return 0;
}
