/* SPDX-License-Identifier: MIT */
/* Host names, allowlist rules and refused destinations (runtime/netrules.h). */
#include "runtime/netrules.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static bool label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool ag3_net_name_valid_n(const char *name, size_t len)
{
	if (!name)
		return false;
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > AG3_NET_NAME_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? name[i] : '.';
		if (c == '.') {
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return false;
			label = 0;
		} else if (label_char((unsigned char)c)) {
			if (label == 0 && c == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
	return true;
}

bool ag3_net_name_valid(const char *name)
{
	return name && ag3_net_name_valid_n(name, strlen(name));
}

/* One label of an inet_aton address: decimal, octal (leading 0) or 0x hex. */
static bool numeric_label(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (size_t i = 2; i < n; i++)
			if (!is_xdigit(s[i]))
				return false;
		return true;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

bool ag3_net_name_numeric_n(const char *name, size_t len)
{
	if (len && name[len - 1] == '.')
		len--;
	size_t last = len;
	while (last > 0 && name[last - 1] != '.')
		last--;
	bool digits = last < len;
	for (size_t i = last; i < len; i++)
		digits = digits && is_digit(name[i]);
	if (digits)
		return true;
	unsigned labels = 0;
	for (size_t start = 0; start <= len;) {
		const char *dot = memchr(name + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - name) : len;
		if (++labels > 4 || !numeric_label(name + start, end - start))
			return false;
		start = end + 1;
	}
	return true;
}

static int fail(const char **why, const char *phrase, struct ag3_net_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (why)
		*why = phrase;
	return -EINVAL;
}

bool ag3_net_port_parse(const char *s, size_t n, uint16_t *port)
{
	if (n == 0 || n > 5 || s[0] == '0')
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

int ag3_net_rule_parse(const char *text, struct ag3_net_rule *r, const char **why)
{
	memset(r, 0, sizeof(*r));
	if (!text || !*text)
		return fail(why, "is empty", r);
	if (strstr(text, "://"))
		return fail(why, "is a URL, not a host name", r);
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f)
			return fail(why, "contains a space or a control character", r);
		if (c == '/')
			return fail(why, "contains a path ('/'): give the host name alone", r);
		if (c == '[' || c == ']')
			return fail(why, "is an IPv6 address, not a host name", r);
		if (c == '@')
			return fail(why, "contains '@': give the host name alone", r);
	}
	const char *colon = strchr(text, ':');
	if (colon && strchr(colon + 1, ':'))
		return fail(why, "is an IPv6 address, not a host name", r);
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	if (colon && !ag3_net_port_parse(colon + 1, strlen(colon + 1), &r->port))
		return fail(why, "has a port that is not a number from 1 to 65535", r);
	const char *name = text;
	bool wildcard = false;
	if (n >= 2 && name[0] == '*' && name[1] == '.') {
		wildcard = true;
		name += 2;
		n -= 2;
	}
	if (memchr(name, '*', n))
		return fail(why, "has a '*' that is not the whole first label (\"*.example.org\")",
			    r);
	if (n == 0)
		return fail(why, "has no host name", r);
	if (!ag3_net_name_valid_n(name, n))
		return fail(why,
			    "is not a valid host name (labels of 1 to 63 letters, digits, '-' or "
			    "'_', 253 characters at most)",
			    r);
	if (name[n - 1] == '.')
		n--;
	if (ag3_net_name_numeric_n(name, n))
		return fail(why, "is an IP address, not a host name", r);
	for (size_t i = 0; i < n; i++)
		r->host[i] = lower(name[i]);
	r->host[n] = 0;
	r->wildcard = wildcard;
	return 0;
}

bool ag3_net_rule_match(const struct ag3_net_rule *r, const char *name, uint16_t port)
{
	if (!r || !name || !ag3_net_name_valid(name))
		return false;
	if (port != 0 && !(r->port ? port == r->port : port == 80 || port == 443))
		return false;
	size_t n = strlen(name), h = strnlen(r->host, sizeof(r->host));
	if (n && name[n - 1] == '.')
		n--;
	if (h == 0 || h == sizeof(r->host))
		return false;
	if (!r->wildcard)
		return n == h && strncasecmp(name, r->host, n) == 0;
	return n > h + 1 && name[n - h - 1] == '.' && strncasecmp(name + n - h, r->host, h) == 0;
}

/* The reason to refuse an IPv4 address (network order bytes). */
static const char *v4_refusal(const uint8_t a[4])
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
#define IN(net, bits) ((bits) == 0 || (x >> (32 - (bits))) == ((uint32_t)(net) >> (32 - (bits))))
	if (x == 0)
		return "unspecified";
	if (x == 0xa9fea9feu || x == 0x646464c8u) /* 169.254.169.254, 100.100.100.200 */
		return "metadata";
	if (x == 0xffffffffu)
		return "broadcast";
	if (IN(0x00000000u, 8) || IN(0xf0000000u, 4) || IN(0xc0000000u, 24) || IN(0xc6120000u, 15))
		return "reserved"; /* 0/8, 240/4, 192.0.0/24, 198.18/15 */
	if (IN(0x7f000000u, 8))
		return "loopback";
	if (IN(0x0a000000u, 8) || IN(0xac100000u, 12) || IN(0xc0a80000u, 16))
		return "private";
	if (IN(0xa9fe0000u, 16))
		return "link-local";
	if (IN(0x64400000u, 10))
		return "shared";
	if (IN(0xe0000000u, 4))
		return "multicast";
#undef IN
	return NULL;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static const char *v6_refusal(const uint8_t a[16])
{
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t siit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
	static const uint8_t metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
	if (zero(a, 16))
		return "unspecified";
	if (zero(a, 15) && a[15] == 1)
		return "loopback";
	if (zero(a, 12) || !memcmp(a, mapped, 12) || !memcmp(a, siit, 12) || !memcmp(a, nat64, 12))
		return v4_refusal(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4 */
		return v4_refusal(a + 2);
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) { /* Teredo: the client's */
		uint8_t c[4] = {(uint8_t)~a[12], (uint8_t)~a[13], (uint8_t)~a[14], (uint8_t)~a[15]};
		return v4_refusal(c);
	}
	if (!memcmp(a, metadata, 16))
		return "metadata";
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 && a[5] == 1)
		return "private"; /* 64:ff9b:1::/48, local-use NAT64 */
	if (a[0] == 0 || (a[0] == 0x01 && a[1] == 0 && zero(a + 2, 6)))
		return "reserved"; /* ::/8, 100::/64 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return "private"; /* site-local, deprecated */
	if ((a[0] & 0xfe) == 0xfc)
		return "unique-local";
	if (a[0] == 0xff)
		return "multicast";
	return NULL;
}

const char *ag3_net_addr_refusal(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return "family";
	sa_family_t family;
	memcpy(&family, &sa->sa_family, sizeof(family));
	if (family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof(in));
		uint8_t a[4];
		memcpy(a, &in.sin_addr, 4);
		return v4_refusal(a);
	}
	if (family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof(in6));
		return v6_refusal(in6.sin6_addr.s6_addr);
	}
	return "family";
}
