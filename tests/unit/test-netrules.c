/* SPDX-License-Identifier: MIT */
/* Host names, allowlist rules and refused destinations (runtime/netrules.c). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "runtime/netrules.h"

Test(netrules, name_valid)
{
	char long_label[70], n253[300], n254[300];
	memset(long_label, 'a', 63);
	long_label[63] = 0;
	cr_expect(ag3_net_name_valid(long_label));
	long_label[63] = 'a';
	long_label[64] = 0;
	cr_expect(!ag3_net_name_valid(long_label), "a label of 64");
	/* 253 characters: 63.63.63.61 */
	memset(n253, 'a', 253);
	n253[63] = n253[127] = n253[191] = '.';
	n253[253] = 0;
	cr_expect(ag3_net_name_valid(n253));
	strcpy(n254, n253);
	strcat(n254, ".");
	cr_expect(ag3_net_name_valid(n254), "253 and a trailing dot");
	n254[253] = 'a';
	cr_expect(!ag3_net_name_valid(n254), "254 characters");

	const char *good[] = {"localhost",    "example.org", "EXAMPLE.Org",
			      "example.org.", "a",           "_dmarc.example.org",
			      "x-y.z9",       "127.0.0.1",   "a_b.c"};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect(ag3_net_name_valid(good[i]), "%s", good[i]);
	const char *bad[] = {"",
			     ".",
			     "..",
			     "example..org",
			     ".example.org",
			     "example.org..",
			     "-a.org",
			     "a-.org",
			     "a.-b.org",
			     "a b.org",
			     "a/b",
			     "a:80",
			     "*.a.org",
			     "[::1]",
			     "ex\xc3\xa9.org",
			     "a\tb",
			     "a@b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect(!ag3_net_name_valid(bad[i]), "%s", bad[i]);
	cr_expect(!ag3_net_name_valid(NULL));
	cr_expect(!ag3_net_name_valid_n("a\0b", 3), "a NUL inside");
	cr_expect(ag3_net_name_valid_n("abc", 2));
}

Test(netrules, name_numeric)
{
	const char *num[] = {"127.0.0.1",  "127.1",    "2130706433",  "0x7f.1",
			     "0X7F000001", "1.2.3.4.", "example.123", "017.0.0.1"};
	for (size_t i = 0; i < sizeof(num) / sizeof(*num); i++)
		cr_expect(ag3_net_name_numeric_n(num[i], strlen(num[i])), "%s", num[i]);
	const char *names[] = {"example.org", "1.2.3.4.org", "a.0xff",
			       "123.example", "0xg.1a",      "1.2.3.4.5a"};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		cr_expect(!ag3_net_name_numeric_n(names[i], strlen(names[i])), "%s", names[i]);
}

static struct ag3_net_rule parse_ok(const char *text)
{
	struct ag3_net_rule r;
	const char *why = "unset";
	int e = ag3_net_rule_parse(text, &r, &why);
	cr_assert_eq(e, 0, "%s: %d (%s)", text, e, why);
	return r;
}

Test(netrules, rule_parse_accepts)
{
	struct ag3_net_rule r = parse_ok("Example.ORG");
	cr_expect_str_eq(r.host, "example.org");
	cr_expect(!r.wildcard);
	cr_expect_eq(r.port, 0);
	r = parse_ok("example.org.:8443");
	cr_expect_str_eq(r.host, "example.org");
	cr_expect_eq(r.port, 8443);
	r = parse_ok("*.PyPI.org");
	cr_expect_str_eq(r.host, "pypi.org");
	cr_expect(r.wildcard);
	cr_expect_eq(r.port, 0);
	r = parse_ok("*.x.org:1");
	cr_expect(r.wildcard);
	cr_expect_eq(r.port, 1);
	r = parse_ok("localhost:65535");
	cr_expect_eq(r.port, 65535);
	r = parse_ok("*.com"); /* too wide is lint's business */
	cr_expect_str_eq(r.host, "com");
}

Test(netrules, rule_parse_refuses)
{
	const char *bad[] = {"",
			     "*",
			     "*.",
			     "*x.org",
			     "a.*.org",
			     "**.x.org",
			     "*.*.org",
			     "x.*",
			     "127.0.0.1",
			     "127.0.0.1:80",
			     "127.1",
			     "0x7f000001",
			     "2130706433",
			     "*.0.1",
			     "[::1]",
			     "[::1]:443",
			     "::1",
			     "fe80::1",
			     "a:b:c",
			     "x.org:",
			     "x.org:0",
			     "x.org:00443",
			     "x.org:+443",
			     "x.org:-1",
			     "x.org:65536",
			     "x.org:99999999999",
			     "x.org:44a",
			     "https://x.org",
			     "http://x.org/",
			     "x.org/path",
			     "/x.org",
			     "user@x.org",
			     " x.org",
			     "x.org ",
			     "x .org",
			     "x.org\n",
			     "x..org",
			     "-x.org",
			     "x.org..",
			     ":443",
			     "ex\xc3\xa9.org"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct ag3_net_rule r;
		memset(&r, 0x5a, sizeof(r));
		const char *why = NULL;
		cr_expect_eq(ag3_net_rule_parse(bad[i], &r, &why), -EINVAL, "%s", bad[i]);
		cr_expect(why && *why, "%s: a reason", bad[i]);
		cr_expect_eq(r.host[0], 0, "%s: the rule is zeroed", bad[i]);
	}
	struct ag3_net_rule r;
	cr_expect_eq(ag3_net_rule_parse("x..org", &r, NULL), -EINVAL, "why may be NULL");
	cr_expect_eq(ag3_net_rule_parse(NULL, &r, NULL), -EINVAL);
}

Test(netrules, match_exact_and_wildcard)
{
	struct ag3_net_rule apex = parse_ok("x.org"), wild = parse_ok("*.x.org");
	cr_expect(ag3_net_rule_match(&apex, "x.org", 443));
	cr_expect(ag3_net_rule_match(&apex, "X.Org", 80), "case-insensitive");
	cr_expect(ag3_net_rule_match(&apex, "x.org.", 80), "a trailing dot");
	cr_expect(!ag3_net_rule_match(&apex, "a.x.org", 443), "apex rule, subdomain");
	cr_expect(!ag3_net_rule_match(&apex, "xx.org", 443));
	cr_expect(!ag3_net_rule_match(&apex, "x.org.evil", 443));
	cr_expect(!ag3_net_rule_match(&wild, "x.org", 443), "wildcard, apex");
	cr_expect(ag3_net_rule_match(&wild, "a.x.org", 443));
	cr_expect(ag3_net_rule_match(&wild, "b.a.x.org", 80));
	cr_expect(!ag3_net_rule_match(&wild, "ax.org", 443), "a suffix, not a label");
	cr_expect(!ag3_net_rule_match(&wild, ".x.org", 443), "an empty label");
	cr_expect(!ag3_net_rule_match(&wild, "a..x.org", 443));
	cr_expect(!ag3_net_rule_match(&wild, "a.x.org.evil.com", 443));
	cr_expect(!ag3_net_rule_match(&apex, "", 0));
	cr_expect(!ag3_net_rule_match(&apex, NULL, 0));
}

Test(netrules, match_ports)
{
	struct ag3_net_rule dflt = parse_ok("x.org"), p = parse_ok("x.org:8443");
	cr_expect(ag3_net_rule_match(&dflt, "x.org", 0), "port 0: any port the rule allows");
	cr_expect(ag3_net_rule_match(&dflt, "x.org", 80));
	cr_expect(ag3_net_rule_match(&dflt, "x.org", 443));
	cr_expect(!ag3_net_rule_match(&dflt, "x.org", 8080));
	cr_expect(!ag3_net_rule_match(&dflt, "x.org", 22));
	cr_expect(ag3_net_rule_match(&p, "x.org", 0));
	cr_expect(ag3_net_rule_match(&p, "x.org", 8443));
	cr_expect(!ag3_net_rule_match(&p, "x.org", 443), "an explicit port only");
	cr_expect(!ag3_net_rule_match(&p, "x.org", 80));
}

static const char *v4(const char *text)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(443)};
	cr_assert_eq(inet_pton(AF_INET, text, &in.sin_addr), 1, "%s", text);
	return ag3_net_addr_refusal((struct sockaddr *)&in, sizeof(in));
}

static const char *v6(const char *text)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	cr_assert_eq(inet_pton(AF_INET6, text, &in6.sin6_addr), 1, "%s", text);
	return ag3_net_addr_refusal((struct sockaddr *)&in6, sizeof(in6));
}

#define REFUSED(f, addr, why)                                                                      \
	do {                                                                                       \
		const char *got = f(addr);                                                         \
		cr_expect(got &&strcmp(got, why) == 0, "%s: %s, expected %s", addr,                \
			  got ? got : "(public)", why);                                            \
	} while (0)
#define PUBLIC(f, addr)                                                                            \
	do {                                                                                       \
		const char *got = f(addr);                                                         \
		cr_expect(!got, "%s: %s, expected public", addr, got);                             \
	} while (0)

Test(netrules, refusal_ipv4)
{
	REFUSED(v4, "127.0.0.1", "loopback");
	REFUSED(v4, "127.255.255.254", "loopback");
	REFUSED(v4, "10.1.2.3", "private");
	REFUSED(v4, "172.16.0.1", "private");
	REFUSED(v4, "172.31.255.255", "private");
	PUBLIC(v4, "172.32.0.1");
	PUBLIC(v4, "172.15.255.255");
	REFUSED(v4, "192.168.1.1", "private");
	REFUSED(v4, "169.254.169.254", "metadata");
	REFUSED(v4, "100.100.100.200", "metadata");
	REFUSED(v4, "169.254.1.1", "link-local");
	REFUSED(v4, "0.0.0.0", "unspecified");
	REFUSED(v4, "0.1.2.3", "reserved");
	REFUSED(v4, "240.0.0.1", "reserved");
	REFUSED(v4, "255.255.255.254", "reserved");
	REFUSED(v4, "255.255.255.255", "broadcast");
	REFUSED(v4, "224.0.0.1", "multicast");
	REFUSED(v4, "239.255.255.250", "multicast");
	REFUSED(v4, "100.64.0.1", "shared");
	REFUSED(v4, "100.127.255.255", "shared");
	PUBLIC(v4, "100.128.0.1");
	REFUSED(v4, "192.0.0.170", "reserved");
	REFUSED(v4, "198.18.0.1", "reserved");
	PUBLIC(v4, "192.0.2.1");
	PUBLIC(v4, "198.51.100.7");
	PUBLIC(v4, "203.0.113.9");
	PUBLIC(v4, "1.1.1.1");
	PUBLIC(v4, "8.8.8.8");
	PUBLIC(v4, "223.255.255.255");
}

Test(netrules, refusal_ipv6)
{
	REFUSED(v6, "::", "unspecified");
	REFUSED(v6, "::1", "loopback");
	REFUSED(v6, "::ffff:127.0.0.1", "loopback");
	REFUSED(v6, "::ffff:10.0.0.1", "private");
	REFUSED(v6, "::ffff:169.254.169.254", "metadata");
	REFUSED(v6, "::ffff:0.0.0.0", "unspecified");
	PUBLIC(v6, "::ffff:8.8.8.8");
	REFUSED(v6, "::ffff:0:192.168.0.1", "private");
	REFUSED(v6, "::127.0.0.1", "loopback");
	REFUSED(v6, "::10.0.0.1", "private");
	PUBLIC(v6, "::8.8.8.8");
	REFUSED(v6, "64:ff9b::127.0.0.1", "loopback");
	REFUSED(v6, "64:ff9b::a9fe:a9fe", "metadata");
	PUBLIC(v6, "64:ff9b::8.8.8.8");
	REFUSED(v6, "64:ff9b:1::1", "private");
	REFUSED(v6, "2002:7f00:1::1", "loopback");
	REFUSED(v6, "2002:c0a8:101::1", "private");
	PUBLIC(v6, "2002:808:808::1");
	REFUSED(v6, "2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"); /* client 127.0.0.1 */
	PUBLIC(v6, "2001:0:4136:e378:8000:63bf:f7f7:f7f7");              /* client 8.8.8.8 */
	REFUSED(v6, "fe80::1", "link-local");
	REFUSED(v6, "febf::1", "link-local");
	REFUSED(v6, "fec0::1", "private");
	REFUSED(v6, "fd00:ec2::254", "metadata");
	REFUSED(v6, "fd00::1", "unique-local");
	REFUSED(v6, "fc00::1", "unique-local");
	REFUSED(v6, "ff02::1", "multicast");
	REFUSED(v6, "100::1", "reserved");
	REFUSED(v6, "1::1", "reserved");
	PUBLIC(v6, "2001:db8::1");
	PUBLIC(v6, "2606:4700:4700::1111");
	PUBLIC(v6, "2a00:1450:4001:82b::200e");
}

Test(netrules, refusal_family_and_length)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	cr_expect_str_eq(ag3_net_addr_refusal((struct sockaddr *)&un, sizeof(un)), "family");
	struct sockaddr_in in = {.sin_family = AF_INET};
	inet_pton(AF_INET, "8.8.8.8", &in.sin_addr);
	cr_expect_null(ag3_net_addr_refusal((struct sockaddr *)&in, sizeof(in)));
	cr_expect_str_eq(ag3_net_addr_refusal((struct sockaddr *)&in, sizeof(in) - 1), "family");
	cr_expect_str_eq(ag3_net_addr_refusal((struct sockaddr *)&in, 1), "family");
	cr_expect_str_eq(ag3_net_addr_refusal(NULL, sizeof(in)), "family");
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "2606:4700:4700::1111", &in6.sin6_addr);
	cr_expect_null(ag3_net_addr_refusal((struct sockaddr *)&in6, sizeof(in6)));
	cr_expect_str_eq(ag3_net_addr_refusal((struct sockaddr *)&in6, sizeof(struct sockaddr_in)),
			 "family");
}
