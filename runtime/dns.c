/* SPDX-License-Identifier: MIT */
/* The DNS stub's wire format (runtime/dns.h). */
#include "runtime/dns.h"

#include <errno.h>
#include <string.h>

#define HEADER 12
#define QR 0x8000u
#define OPCODE(f) (((f) >> 11) & 0xfu)
#define AA 0x0400u
#define RD 0x0100u

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool label_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The EDNS OPT record at m[off..]: it must be the whole rest of the message. */
static bool opt_record(const uint8_t *m, size_t len, size_t off)
{
	/* root name (1), type (2), class (2), ttl (4), rdlength (2) */
	if (len - off < 11 || m[off] != 0 || get16(m + off + 1) != AG3_DNS_TYPE_OPT)
		return false;
	return len - off - 11 == get16(m + off + 9);
}

int ag3_dns_parse_query(const void *msg, size_t len, struct ag3_dns_query *q)
{
	const uint8_t *m = msg;
	memset(q, 0, sizeof(*q));
	if (!m || len < HEADER)
		return -EBADMSG;
	uint16_t flags = get16(m + 2);
	if ((flags & QR) || OPCODE(flags) != 0 || get16(m + 4) != 1 || get16(m + 6) != 0 ||
	    get16(m + 8) != 0 || get16(m + 10) > 1)
		return -EBADMSG;
	size_t off = HEADER, n = 0;
	for (;;) {
		if (off >= len)
			goto bad;
		uint8_t l = m[off++];
		if (l == 0)
			break;
		if (l > 63 || l > len - off) /* pointers (0xc0) and 0x40/0x80 types too */
			goto bad;
		if (n + (n ? 1 : 0) + l > 253)
			goto bad;
		if (n)
			q->name[n++] = '.';
		for (uint8_t i = 0; i < l; i++) {
			uint8_t c = m[off + i];
			if (!label_byte(c))
				goto bad;
			q->name[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
		off += l;
	}
	q->name[n] = 0;
	if (len - off < 4)
		goto bad;
	q->qtype = get16(m + off);
	q->qclass = get16(m + off + 2);
	off += 4;
	q->question_end = off;
	if (get16(m + 10) == 1 ? !opt_record(m, len, off) : off != len)
		goto bad;
	q->id = get16(m);
	q->rd = flags & RD;
	return 0;
bad:
	memset(q, 0, sizeof(*q));
	return -EBADMSG;
}

ssize_t ag3_dns_build_reply(const struct ag3_dns_query *q, const void *msg, uint16_t rcode,
			    const struct in_addr *a4, uint32_t ttl, void *out, size_t cap)
{
	/* the shortest question: the root (1) and type and class (4); the longest:
	 * 253 characters as text take 255 bytes as labels */
	if (rcode > 15 || q->question_end < HEADER + 5 || q->question_end > HEADER + 255 + 4)
		return -EINVAL;
	bool answer = a4 && (q->qtype == AG3_DNS_TYPE_A || q->qtype == AG3_DNS_TYPE_ANY) &&
		      q->qclass == AG3_DNS_CLASS_IN;
	size_t qlen = q->question_end - HEADER, total = HEADER + qlen + (answer ? 16 : 0);
	if (cap < total)
		return -ENOSPC;
	uint8_t *o = out;
	put16(o, q->id);
	put16(o + 2, (uint16_t)(QR | AA | (q->rd ? RD : 0) | rcode));
	put16(o + 4, 1);
	put16(o + 6, answer ? 1 : 0);
	put16(o + 8, 0);
	put16(o + 10, 0);
	memmove(o + HEADER, (const uint8_t *)msg + HEADER, qlen);
	if (answer) {
		uint8_t *a = o + HEADER + qlen;
		put16(a, 0xc00c);
		put16(a + 2, AG3_DNS_TYPE_A);
		put16(a + 4, AG3_DNS_CLASS_IN);
		put16(a + 6, (uint16_t)(ttl >> 16));
		put16(a + 8, (uint16_t)ttl);
		put16(a + 10, 4);
		memcpy(a + 12, &a4->s_addr, 4);
	}
	return (ssize_t)total;
}

ssize_t ag3_dns_build_error(const void *msg, size_t len, uint16_t rcode, void *out, size_t cap)
{
	const uint8_t *m = msg;
	if (!m || len < HEADER || (get16(m + 2) & QR))
		return -EBADMSG;
	if (rcode > 15)
		return -EINVAL;
	if (cap < HEADER)
		return -ENOSPC;
	uint16_t flags = get16(m + 2);
	uint8_t *o = out;
	uint16_t id = get16(m); /* before writing: out may be msg */
	memset(o, 0, HEADER);
	put16(o, id);
	put16(o + 2, (uint16_t)(QR | (OPCODE(flags) << 11) | (flags & RD) | rcode));
	return HEADER;
}
