/* SPDX-License-Identifier: MIT */
/* The DNS stub's wire format (runtime/dns.c). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "runtime/dns.h"

/* A query for `name` (dotted, as text) of `qtype`, class IN, id 0x1234, RD;
 * with an EDNS OPT record when `opt`. Returns its length. */
static size_t query(uint8_t *m, const char *name, uint16_t qtype, bool opt)
{
	static const uint8_t header[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(m, header, 12);
	size_t o = 12;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		m[o++] = (uint8_t)n;
		memcpy(m + o, name, n);
		o += n;
		name += n + (dot ? 1 : 0);
	}
	m[o++] = 0;
	m[o++] = (uint8_t)(qtype >> 8);
	m[o++] = (uint8_t)qtype;
	m[o++] = 0;
	m[o++] = 1;
	if (opt) {
		static const uint8_t rr[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 0};
		memcpy(m + o, rr, sizeof(rr));
		o += sizeof(rr);
		m[11] = 1;
	}
	return o;
}

Test(dns, parse_plain_query)
{
	uint8_t m[512];
	size_t n = query(m, "WWW.Example.ORG", 1, false);
	struct ag3_dns_query q;
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_eq(q.id, 0x1234);
	cr_expect(q.rd);
	cr_expect_str_eq(q.name, "www.example.org");
	cr_expect_eq(q.qtype, 1);
	cr_expect_eq(q.qclass, 1);
	cr_expect_eq(q.question_end, n);
	m[2] = 0; /* RD off */
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect(!q.rd);
}

Test(dns, parse_root_underscore_and_limits)
{
	uint8_t m[600];
	struct ag3_dns_query q;
	size_t n = query(m, "", 2, false);
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_str_eq(q.name, "");
	n = query(m, "_dmarc.a-b.org", 16, false);
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_str_eq(q.name, "_dmarc.a-b.org");
	cr_expect_eq(q.qtype, 16);

	char name[300];
	memset(name, 'a', 63);
	name[63] = 0;
	n = query(m, name, 1, false);
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), 0, "a label of 63");
	name[63] = 'a';
	name[64] = 0;
	n = query(m, name, 1, false);
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG, "a label of 64");
	/* 253 characters as text: 63.63.63.61 */
	memset(name, 'b', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = 0;
	n = query(m, name, 1, false);
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0, "253 characters");
	cr_expect_str_eq(q.name, name);
	name[253] = 'b';
	name[254] = 0;
	n = query(m, name, 1, false);
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG, "254 characters");
}

Test(dns, parse_opt_record)
{
	uint8_t m[512];
	struct ag3_dns_query q;
	size_t n = query(m, "example.org", 1, true);
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0, "an EDNS OPT record is accepted");
	cr_expect_eq(q.question_end, n - 15);
	cr_expect_str_eq(q.name, "example.org");
	cr_expect_eq(ag3_dns_parse_query(m, n + 1, &q), -EBADMSG, "a byte after the OPT record");
	size_t at = n - 15;
	m[at + 2] = 1; /* an A record, not OPT, in the additional section */
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG);
	m[at + 2] = 41;
	m[at] = 1; /* not the root name */
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG);
	m[at] = 0;
	m[at + 10] = 5; /* rdlength past the end */
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG);
	m[at + 10] = 4;
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), 0);
	n = query(m, "example.org", 1, false);
	cr_expect_eq(ag3_dns_parse_query(m, n + 1, &q), -EBADMSG, "a byte after the question");
	m[11] = 1;
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG, "arcount 1 and no record");
}

Test(dns, parse_refuses_header)
{
	uint8_t m[512], c[512];
	struct ag3_dns_query q;
	size_t n = query(m, "example.org", 1, false);
	struct {
		size_t off;
		uint8_t val;
		const char *what;
	} bad[] = {
		{2, 0x81, "QR=1"},      {2, 0x09, "opcode 1 (IQUERY)"},
		{2, 0x11, "opcode 2"},  {2, 0x29, "opcode 5 (UPDATE)"},
		{5, 0, "qdcount 0"},    {5, 2, "qdcount 2"},
		{4, 1, "qdcount 257"},  {7, 1, "ancount 1"},
		{9, 1, "nscount 1"},    {11, 2, "arcount 2"},
		{10, 1, "arcount 256"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memcpy(c, m, n);
		c[bad[i].off] = bad[i].val;
		cr_expect_eq(ag3_dns_parse_query(c, n, &q), -EBADMSG, "%s", bad[i].what);
	}
	memcpy(c, m, n);
	c[3] = 0x3f;  /* Z, AD, CD bits and an rcode: ignored */
	c[2] |= 0x06; /* AA, TC */
	cr_expect_eq(ag3_dns_parse_query(c, n, &q), 0);
}

Test(dns, parse_refuses_names)
{
	uint8_t m[512];
	struct ag3_dns_query q;
	/* a compression pointer for the whole name, and after a label */
	static const uint8_t ptr[] = {0x12, 0x34, 1, 0,    0,    1, 0, 0, 0,
				      0,    0,    0, 0xc0, 0x0c, 0, 1, 0, 1};
	cr_expect_eq(ag3_dns_parse_query(ptr, sizeof(ptr), &q), -EBADMSG, "a pointer");
	static const uint8_t ptr2[] = {0x12, 0x34, 1, 0,   0,    1,    0, 0, 0, 0,
				       0,    0,    1, 'a', 0xc0, 0x0c, 0, 1, 0, 1};
	cr_expect_eq(ag3_dns_parse_query(ptr2, sizeof(ptr2), &q), -EBADMSG,
		     "a pointer after a label");
	static const uint8_t ext[] = {0x12, 0x34, 1,    0,   0, 1, 0, 0, 0, 0,
				      0,    0,    0x41, 'a', 0, 0, 1, 0, 1};
	cr_expect_eq(ag3_dns_parse_query(ext, sizeof(ext), &q), -EBADMSG, "label type 0x40");
	const char *bytes = ".\0 /*\x80\xff@";
	for (size_t i = 0; i < 8; i++) {
		size_t n = query(m, "abc.org", 1, false);
		m[14] = (uint8_t)bytes[i];
		cr_expect_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG, "byte 0x%02x in a label",
			     (uint8_t)bytes[i]);
		cr_expect_eq(q.name[0], 0, "a refused query leaves *q zeroed");
	}
	cr_expect_eq(ag3_dns_parse_query(NULL, 0, &q), -EBADMSG);
}

Test(dns, parse_truncated_at_every_length)
{
	uint8_t m[512];
	struct ag3_dns_query q;
	size_t n = query(m, "www.example.org", 1, false);
	for (size_t l = 0; l < n; l++)
		cr_expect_eq(ag3_dns_parse_query(m, l, &q), -EBADMSG, "cut at %zu of %zu", l, n);
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), 0);
	n = query(m, "www.example.org", 1, true);
	for (size_t l = 0; l < n; l++)
		cr_expect_eq(ag3_dns_parse_query(m, l, &q), -EBADMSG, "with OPT, cut at %zu of %zu",
			     l, n);
	cr_expect_eq(ag3_dns_parse_query(m, n, &q), 0);
}

Test(dns, reply_with_address)
{
	uint8_t m[512], out[512];
	struct ag3_dns_query q;
	size_t n = query(m, "example.org", 1, true);
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	struct in_addr a;
	inet_pton(AF_INET, "127.77.1.2", &a);
	ssize_t r = ag3_dns_build_reply(&q, m, AG3_DNS_NOERROR, &a, 60, out, sizeof(out));
	size_t qlen = q.question_end - 12;
	cr_assert_eq(r, (ssize_t)(12 + qlen + 16));
	static const uint8_t header[12] = {0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0};
	cr_expect_arr_eq(out, header, 12);
	cr_expect_arr_eq(out + 12, m + 12, qlen, "the question copied");
	static const uint8_t rr[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 77, 1, 2};
	cr_expect_arr_eq(out + 12 + qlen, rr, 16);
	/* every capacity short of the length: -ENOSPC, and nothing past cap written */
	for (size_t cap = 0; cap < (size_t)r; cap++) {
		memset(out, 0xee, sizeof(out));
		cr_expect_eq(ag3_dns_build_reply(&q, m, 0, &a, 60, out, cap), -ENOSPC, "cap %zu",
			     cap);
		cr_expect_eq(out[cap], 0xee);
	}
	/* the ANY type gets the record too */
	n = query(m, "example.org", 255, false);
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_eq(ag3_dns_build_reply(&q, m, 0, &a, 0x01020304, out, sizeof(out)),
		     (ssize_t)n + 16);
	cr_expect_eq(out[7], 1);
	cr_expect_eq(out[n + 6], 1);
	cr_expect_eq(out[n + 9], 4, "the ttl's bytes in order");
}

Test(dns, reply_without_address)
{
	uint8_t m[512], out[512];
	struct ag3_dns_query q;
	struct in_addr a = {htonl(0x7f4d0102)};
	size_t n = query(m, "example.org", 28, false); /* AAAA */
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_eq(ag3_dns_build_reply(&q, m, 0, &a, 60, out, sizeof(out)), (ssize_t)n,
		     "AAAA: no A record");
	cr_expect_eq(out[7], 0, "ancount 0");
	n = query(m, "nope.org", 1, false);
	m[2] = 0; /* RD off */
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_eq(ag3_dns_build_reply(&q, m, AG3_DNS_NXDOMAIN, NULL, 0, out, sizeof(out)),
		     (ssize_t)n);
	cr_expect_eq(out[2], 0x84, "QR, AA, no RD");
	cr_expect_eq(out[3], 0x03, "NXDOMAIN, RA=0");
	cr_expect_eq(out[7], 0);
	cr_expect_eq(out[11], 0, "arcount 0");
	n = query(m, "example.org", 1, false);
	m[n - 1] = 3; /* class CHAOS */
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), 0);
	cr_expect_eq(ag3_dns_build_reply(&q, m, 0, &a, 60, out, sizeof(out)), (ssize_t)n,
		     "class CH: no A record");
	cr_expect_eq(ag3_dns_build_reply(&q, m, 16, &a, 60, out, sizeof(out)), -EINVAL);
	struct ag3_dns_query zero = {0};
	cr_expect_eq(ag3_dns_build_reply(&zero, m, 0, &a, 60, out, sizeof(out)), -EINVAL);
}

Test(dns, error_reply)
{
	uint8_t m[512], out[64];
	size_t n = query(m, "example.org", 1, false);
	m[5] = 2; /* qdcount 2 */
	struct ag3_dns_query q;
	cr_assert_eq(ag3_dns_parse_query(m, n, &q), -EBADMSG);
	cr_assert_eq(ag3_dns_build_error(m, n, AG3_DNS_FORMERR, out, sizeof(out)), 12);
	static const uint8_t formerr[12] = {0x12, 0x34, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	cr_expect_arr_eq(out, formerr, 12);
	m[2] = 0x29; /* opcode 5, RD */
	cr_assert_eq(ag3_dns_build_error(m, n, AG3_DNS_NOTIMP, out, sizeof(out)), 12);
	cr_expect_eq(out[2], 0xa9, "QR, the opcode and RD echoed");
	cr_expect_eq(out[3], 0x04);
	cr_expect_eq(ag3_dns_build_error(m, 12, AG3_DNS_REFUSED, out, sizeof(out)), 12);
	cr_expect_eq(ag3_dns_build_error(m, 11, AG3_DNS_FORMERR, out, sizeof(out)), -EBADMSG,
		     "shorter than a header");
	cr_expect_eq(ag3_dns_build_error(m, n, AG3_DNS_FORMERR, out, 11), -ENOSPC);
	cr_expect_eq(ag3_dns_build_error(m, n, 16, out, sizeof(out)), -EINVAL);
	m[2] = 0x80; /* a response: never answered */
	cr_expect_eq(ag3_dns_build_error(m, n, AG3_DNS_FORMERR, out, sizeof(out)), -EBADMSG);
	cr_expect_eq(ag3_dns_build_error(NULL, 0, AG3_DNS_FORMERR, out, sizeof(out)), -EBADMSG);
}
