/* SPDX-License-Identifier: MIT */
/*
 * The network allowlist's words, parsed and judged without any I/O: host
 * names, the rules of `network.domains` ("name[:port]", "*.name[:port]"), and
 * the resolved destinations the relay must refuse unless private destinations
 * are allowed. Everything given here is hostile (a profile, a spec, a name the
 * sandboxed process asked for); every function fails closed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define AG3_NET_NAME_MAX 253

struct ag3_net_rule {
	char host[AG3_NET_NAME_MAX + 1]; /* lowercase, no trailing dot; for "*.x.org": "x.org" */
	bool wildcard; /* "*.x.org": any name ending in ".x.org", not x.org itself */
	uint16_t port; /* 0: the default ports 80 and 443 */
};

/* True when `name` is a DNS host name we accept: 1..253 characters (not
 * counting one optional trailing dot), labels of 1..63 characters out of
 * [A-Za-z0-9_-], none starting or ending with '-'. A single label
 * ("localhost") is valid, and so is an all-digit name ("127.0.0.1"):
 * ag3_net_name_numeric tells those apart. */
bool ag3_net_name_valid(const char *name);
/* The same on the `len` bytes at `name` (no NUL needed; a NUL among them is
 * invalid). */
bool ag3_net_name_valid_n(const char *name, size_t len);

/* True when a valid name is an address rather than a name: its last label is
 * all digits (no top-level domain is), or every label is a number in one of
 * the forms inet_aton(3) reads ("127.1", "0x7f.1", "2130706433"), which
 * getaddrinfo would take as an IPv4 address without asking DNS. */
bool ag3_net_name_numeric_n(const char *name, size_t len);

/* A port: the `n` bytes at `s` are 1..65535 in decimal, no sign, no leading
 * zero. */
bool ag3_net_port_parse(const char *s, size_t n, uint16_t *port);

/* Parses "name", "name:port", "*.name" and "*.name:port" (case-insensitive;
 * one trailing dot on the name is dropped; port 1..65535 in decimal, no sign,
 * no leading zero). Refuses "*" alone, "*x.org", "a.*.org", IP addresses
 * (see ag3_net_name_numeric_n, and any '[' or second ':'), an empty text,
 * spaces and control characters, URLs and paths. Whether "*.com" is too wide
 * is lint's business, not this parser's. 0, or -EINVAL with *why (when `why`
 * is not NULL) set to a static English phrase; on failure *r is zeroed. */
int ag3_net_rule_parse(const char *text, struct ag3_net_rule *r, const char **why);

/* Whether rule `r` allows `name` (lowercase, no trailing dot: as
 * ag3_dns_parse_query gives it; compared case-insensitively all the same, and
 * a name that is not ag3_net_name_valid never matches) on `port`: 0 = on any
 * port the rule allows (the DNS stub's question), else that exact port (a
 * rule without a port allows 80 and 443 only). */
bool ag3_net_rule_match(const struct ag3_net_rule *r, const char *name, uint16_t port);

/*
 * Why the relay must refuse this resolved destination unless private
 * destinations are allowed: NULL when it is a public address, else a short
 * reason: "loopback" (127/8, ::1), "private" (10/8, 172.16/12, 192.168/16,
 * fec0::/10 site-local, 64:ff9b:1::/48 local-use NAT64), "link-local"
 * (169.254/16, fe80::/10), "metadata" (169.254.169.254, fd00:ec2::254,
 * 100.100.100.200), "unspecified" (0.0.0.0, ::), "multicast" (224/4, ff00::/8),
 * "broadcast" (255.255.255.255), "shared" (100.64/10), "reserved" (0/8,
 * 240/4, 192.0.0/24, 198.18/15, 100::/64, the rest of ::/8), "unique-local"
 * (fc00::/7). IPv4-mapped (::ffff:0:0/96), SIIT (::ffff:0:0:0/96),
 * IPv4-compatible (::/96) and NAT64 (64:ff9b::/96) IPv6 addresses are judged
 * by their IPv4 address, 6to4 (2002::/16) and Teredo (2001::/32, the client's)
 * by the one embedded. AF_INET and AF_INET6 only: any other family, or `len`
 * too short for the family's sockaddr, -> "family". Documentation ranges
 * (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) are NOT refused.
 */
const char *ag3_net_addr_refusal(const struct sockaddr *sa, socklen_t len);
