/* SPDX-License-Identifier: MIT */
/*
 * The DNS stub's wire format (RFC 1035), parsed and built without any I/O:
 * one standard query in, one reply out. The query comes from the sandboxed
 * process: hostile. The parser takes only what the stub needs and refuses
 * everything else (compression pointers, several questions, answers in a
 * query, odd bytes in a name).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

enum {
	AG3_DNS_NOERROR = 0,
	AG3_DNS_FORMERR = 1,
	AG3_DNS_SERVFAIL = 2,
	AG3_DNS_NXDOMAIN = 3,
	AG3_DNS_NOTIMP = 4,
	AG3_DNS_REFUSED = 5,
};

#define AG3_DNS_TYPE_A 1
#define AG3_DNS_TYPE_OPT 41
#define AG3_DNS_TYPE_ANY 255
#define AG3_DNS_CLASS_IN 1

struct ag3_dns_query {
	uint16_t id;
	bool rd;
	char name[254]; /* lowercase, dotted, no trailing dot; "" for the root */
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question in the message */
};

/* One standard query: QR=0, opcode 0, qdcount 1, ancount 0, nscount 0,
 * arcount 0 or 1 (that one an EDNS OPT record: root name, type 41, its rdata
 * within the message; accepted and ignored), nothing after the last record.
 * The name without compression pointers, labels 1..63 bytes, at most 253
 * characters as text, only [A-Za-z0-9_-] bytes in labels (anything else, '.',
 * NUL or a byte >= 0x80 among them, is refused). The other header bits (AA,
 * TC, Z, AD, CD, rcode) are ignored. 0, or -EBADMSG (and *q zeroed). */
int ag3_dns_parse_query(const void *msg, size_t len, struct ag3_dns_query *q);

/* A reply to a parsed query: header (same id, QR=1, opcode 0, AA=1, RD as
 * asked, RA=0, `rcode`; qdcount 1, ancount 0 or 1, nscount 0, arcount 0), the
 * question copied from `msg` (bytes 12..question_end), and when a4 != NULL and
 * qtype is A (1) or ANY (255) and qclass IN (1): one A record (name = pointer
 * 0xc00c, type A, class IN, `ttl`, rdlength 4, the address). Returns the
 * length, -ENOSPC when `cap` is too small, or -EINVAL for an rcode above 15 or
 * a `q` whose question_end no query can have. */
ssize_t ag3_dns_build_reply(const struct ag3_dns_query *q, const void *msg, uint16_t rcode,
			    const struct in_addr *a4, uint32_t ttl, void *out, size_t cap);

/* For a message ag3_dns_parse_query refused: a header-only reply (same id,
 * QR=1, the opcode and RD echoed, AA=0, RA=0, `rcode`, every count 0) when
 * len >= 12 and QR is 0; else -EBADMSG (send no reply: it is not a query).
 * Returns 12, -ENOSPC when cap < 12, or -EINVAL for an rcode above 15. */
ssize_t ag3_dns_build_error(const void *msg, size_t len, uint16_t rcode, void *out, size_t cap);
