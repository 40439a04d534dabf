/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the allowlist's rules and refused destinations
 * (runtime/netrules.c). The first byte picks the function.
 *
 * A rule that parses has a valid, lowercase, non-numeric host and prints back
 * to a text that parses to the same rule; a name it matches is valid and is
 * the host (or ends in "." and the host, for a wildcard). A refusal is NULL or
 * one of the documented reasons, and an IPv4 address gets the same verdict
 * when it comes as ::ffff:a.b.c.d. Anything else is a bug: abort().
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/netrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rule(const uint8_t *data, size_t size)
{
	/* "rule\nname" and a port from the last two bytes */
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	uint16_t port = size >= 2 ? (uint16_t)(data[size - 2] << 8 | data[size - 1]) : 0;
	char *name = strchr(s, '\n');
	if (name)
		*name++ = 0;
	struct ag3_net_rule r;
	const char *why = NULL;
	if (ag3_net_rule_parse(s, &r, &why) != 0) {
		if (!why || !*why || r.host[0] || r.wildcard || r.port)
			abort();
		free(s);
		return;
	}
	size_t h = strlen(r.host);
	if (!ag3_net_name_valid(r.host) || ag3_net_name_numeric_n(r.host, h) ||
	    r.host[h - 1] == '.')
		abort();
	for (size_t i = 0; i < h; i++)
		if (r.host[i] >= 'A' && r.host[i] <= 'Z')
			abort();
	char back[300];
	snprintf(back, sizeof(back), "%s%s", r.wildcard ? "*." : "", r.host);
	if (r.port)
		snprintf(back + strlen(back), sizeof(back) - strlen(back), ":%u", r.port);
	struct ag3_net_rule again;
	if (ag3_net_rule_parse(back, &again, NULL) != 0 || memcmp(&r, &again, sizeof(r)) != 0)
		abort();
	if (!ag3_net_rule_match(&r, r.host, 0) == !r.wildcard)
		abort(); /* a rule matches its own host unless it is a wildcard */
	if (name && ag3_net_rule_match(&r, name, port)) {
		size_t n = strlen(name);
		if (n && name[n - 1] == '.')
			n--;
		if (!ag3_net_name_valid(name) ||
		    (port && port != r.port && (r.port || (port != 80 && port != 443))))
			abort();
		if (r.wildcard ? !(n > h + 1 && name[n - h - 1] == '.') : n != h)
			abort();
	}
	free(s);
}

static const char *const reasons[] = {"loopback",    "private",      "link-local", "metadata",
				      "unspecified", "multicast",    "broadcast",  "shared",
				      "reserved",    "unique-local", "family"};

static void addr(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	size_t n = size < sizeof(ss) ? size : sizeof(ss);
	uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees any overread */
	if (!copy)
		abort();
	memcpy(copy, data, n);
	const char *why = ag3_net_addr_refusal((const struct sockaddr *)copy, (socklen_t)n);
	free(copy);
	bool known = !why;
	for (size_t i = 0; why && i < sizeof(reasons) / sizeof(*reasons); i++)
		known = known || strcmp(why, reasons[i]) == 0;
	if (!known)
		abort();
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, n);
	if (ss.ss_family == AF_INET && n >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, &ss, sizeof(in));
		struct sockaddr_in6 m = {.sin6_family = AF_INET6};
		m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(m.sin6_addr.s6_addr + 12, &in.sin_addr, 4);
		const char *w = ag3_net_addr_refusal((struct sockaddr *)&m, sizeof(m));
		if (!why != !w || (why && strcmp(why, w) != 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		addr(data + 1, size - 1);
	else
		rule(data + 1, size - 1);
	return 0;
}
