/* SPDX-License-Identifier: MIT */
/* The head of a request to the sandbox's HTTP proxy (runtime/httpproxy.h). */
#include "runtime/httpproxy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/netrules.h"

/* RFC 9110 tchar */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* host[:port] (the port required when `need_port`, else `dflt`): a valid
 * host name, stored lowercase without its trailing dot. 0 or -EBADMSG. */
static int parse_hostport(const char *s, size_t n, bool need_port, uint16_t dflt, char host[254],
			  uint16_t *port)
{
	const char *colon = memchr(s, ':', n);
	size_t h = colon ? (size_t)(colon - s) : n;
	if (memchr(s, '[', n) || (colon && memchr(colon + 1, ':', n - h - 1)))
		return -EBADMSG;
	if (!ag3_net_name_valid_n(s, h))
		return -EBADMSG;
	*port = dflt;
	if (colon) {
		if (!ag3_net_port_parse(colon + 1, n - h - 1, port))
			return -EBADMSG;
	} else if (need_port) {
		return -EBADMSG;
	}
	if (s[h - 1] == '.')
		h--;
	for (size_t i = 0; i < h; i++)
		host[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	host[h] = 0;
	return 0;
}

/* Where the head ends (just past "\r\n\r\n"), 0 when it is not all there yet,
 * or -EBADMSG for a NUL, a bare LF or a bare CR among the bytes read. */
static ssize_t head_end(const char *buf, size_t len)
{
	size_t lim = len < AG3_PROXY_HEAD_MAX ? len : AG3_PROXY_HEAD_MAX;
	for (size_t i = 0; i < lim; i++) {
		char c = buf[i];
		if (c == 0)
			return -EBADMSG;
		if (c == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return -EBADMSG;
		if (c != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r')
			return -EBADMSG;
		if (i >= 3 && buf[i - 2] == '\n')
			return (ssize_t)(i + 1);
	}
	return len >= AG3_PROXY_HEAD_MAX ? -E2BIG : 0;
}

struct line {
	const char *s;
	size_t n;
};

/* The request line: method, target and version. */
static int request_line(struct line l, struct line *method, struct line *target)
{
	size_t i = 0;
	while (i < l.n && tchar((unsigned char)l.s[i]))
		i++;
	if (i == 0 || i == l.n || l.s[i] != ' ')
		return -EBADMSG;
	*method = (struct line){l.s, i};
	size_t t = ++i;
	while (i < l.n && l.s[i] != ' ') {
		unsigned char c = (unsigned char)l.s[i];
		if (c < 0x21 || c > 0x7e || c == '#')
			return -EBADMSG;
		i++;
	}
	if (i == t || i == l.n)
		return -EBADMSG;
	*target = (struct line){l.s + t, i - t};
	i++;
	if (!span_is(l.s + i, l.n - i, "HTTP/1.1") && !span_is(l.s + i, l.n - i, "HTTP/1.0"))
		return -EBADMSG;
	if (memcmp(l.s + i, "HTTP/", 5) != 0) /* the version is case-sensitive */
		return -EBADMSG;
	return 0;
}

/* A header line: its name and its value without the whitespace around it. */
static int header_line(struct line l, struct line *name, struct line *value)
{
	size_t i = 0;
	while (i < l.n && tchar((unsigned char)l.s[i]))
		i++;
	if (i == 0 || i == l.n || l.s[i] != ':')
		return -EBADMSG; /* obs-fold (leading SP/HTAB), no ':', SP before ':' */
	*name = (struct line){l.s, i};
	size_t b = i + 1, e = l.n;
	while (b < e && (l.s[b] == ' ' || l.s[b] == '\t'))
		b++;
	while (e > b && (l.s[e - 1] == ' ' || l.s[e - 1] == '\t'))
		e--;
	for (size_t k = b; k < e; k++) {
		unsigned char c = (unsigned char)l.s[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EBADMSG;
	}
	*value = (struct line){l.s + b, e - b};
	return 0;
}

static bool dropped(struct line name)
{
	return span_is(name.s, name.n, "proxy-connection") ||
	       span_is(name.s, name.n, "proxy-authorization") ||
	       span_is(name.s, name.n, "proxy-authenticate");
}

static void put(char *out, size_t *o, const char *s, size_t n)
{
	memcpy(out + *o, s, n);
	*o += n;
}

static ssize_t parse(const char *buf, size_t end, struct ag3_proxy_req *req)
{
	/* the lines, CRLF excluded; the last one is the blank line */
	struct line first = {buf, (size_t)((const char *)memchr(buf, '\r', end) - buf)};
	struct line method, target;
	int r = request_line(first, &method, &target);
	if (r < 0)
		return r;

	/* the headers: syntax, count, Host, Content-Length, Transfer-Encoding */
	struct line host = {NULL, 0}, clen = {NULL, 0};
	bool te = false;
	unsigned n_headers = 0;
	for (size_t off = first.n + 2; off < end - 2;) {
		struct line l = {
			buf + off,
			(size_t)((const char *)memchr(buf + off, '\r', end - off) - (buf + off))};
		struct line name, value;
		if (++n_headers > AG3_PROXY_HEADERS_MAX || header_line(l, &name, &value) < 0)
			return -EBADMSG;
		if (span_is(name.s, name.n, "host")) {
			if (host.s)
				return -EBADMSG;
			host = value;
		} else if (span_is(name.s, name.n, "content-length")) {
			if (value.n == 0)
				return -EBADMSG;
			for (size_t i = 0; i < value.n; i++)
				if (!is_digit(value.s[i]))
					return -EBADMSG;
			if (clen.s && (clen.n != value.n || memcmp(clen.s, value.s, value.n)))
				return -EBADMSG;
			clen = value;
		} else if (span_is(name.s, name.n, "transfer-encoding")) {
			te = true;
		}
		off += l.n + 2;
	}

	if (method.n == 7 && memcmp(method.s, "CONNECT", 7) == 0) { /* case-sensitive */
		if (parse_hostport(target.s, target.n, true, 0, req->host, &req->port) < 0)
			return -EBADMSG;
		req->connect = true;
		return (ssize_t)end;
	}

	struct line path;
	if (target.s[0] == '/') {
		if (!host.s)
			return -ENOTSUP;
		if (parse_hostport(host.s, host.n, false, 80, req->host, &req->port) < 0)
			return -EBADMSG;
		path = target;
	} else if (target.n == 1 && target.s[0] == '*') {
		return -ENOTSUP;
	} else {
		/* absolute form: scheme "://" authority [path-abempty] ["?" query] */
		size_t i = 0;
		while (i < target.n &&
		       (strchr("+-.", target.s[i]) || is_digit(target.s[i]) ||
			((target.s[i] | 0x20) >= 'a' && (target.s[i] | 0x20) <= 'z')))
			i++;
		if (i == 0 || is_digit(target.s[0]) || strchr("+-.", target.s[0]) ||
		    target.n - i < 3 || memcmp(target.s + i, "://", 3) != 0)
			return -EBADMSG;
		if (!span_is(target.s, i, "http"))
			return -ENOTSUP;
		const char *a = target.s + i + 3, *t_end = target.s + target.n, *p = a;
		while (p < t_end && *p != '/' && *p != '?')
			p++;
		if (parse_hostport(a, (size_t)(p - a), false, 80, req->host, &req->port) < 0)
			return -EBADMSG;
		if (host.s) {
			char h[254];
			uint16_t port;
			if (parse_hostport(host.s, host.n, false, 80, h, &port) < 0 ||
			    strcmp(h, req->host) != 0 || port != req->port)
				return -EBADMSG;
		}
		path = (struct line){p, (size_t)(t_end - p)};
	}
	if (te && clen.s)
		return -ENOTSUP;
	if (!host.s && n_headers == AG3_PROXY_HEADERS_MAX)
		return -EBADMSG; /* the head upstream would hold one more, the Host added */

	/* the head upstream: at most the head received, a '/' and a Host line */
	char *out = malloc(end + 2 + sizeof("Host: :65535\r\n") + AG3_NET_NAME_MAX);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	put(out, &o, method.s, method.n + 1);
	if (path.n == 0 || path.s[0] != '/')
		put(out, &o, "/", 1);
	put(out, &o, path.s, path.n);
	put(out, &o, target.s + target.n, (size_t)(first.s + first.n + 2 - (target.s + target.n)));
	if (!host.s) {
		put(out, &o, "Host: ", 6);
		put(out, &o, req->host, strlen(req->host));
		if (req->port != 80) {
			char p[8];
			size_t pn = 0;
			for (unsigned v = req->port; v; v /= 10)
				p[sizeof(p) - ++pn] = (char)('0' + v % 10);
			put(out, &o, ":", 1);
			put(out, &o, p + sizeof(p) - pn, pn);
		}
		put(out, &o, "\r\n", 2);
	}
	for (size_t off = first.n + 2; off < end - 2;) {
		size_t n = (size_t)((const char *)memchr(buf + off, '\r', end - off) - (buf + off));
		struct line name = {
			buf + off, (size_t)((const char *)memchr(buf + off, ':', n) - (buf + off))};
		if (!dropped(name))
			put(out, &o, buf + off, n + 2);
		off += n + 2;
	}
	put(out, &o, "\r\n", 2);
	out[o] = 0;
	req->head = out;
	req->head_len = o;
	return (ssize_t)end;
}

ssize_t ag3_proxy_parse(const char *buf, size_t len, struct ag3_proxy_req *req)
{
	memset(req, 0, sizeof(*req));
	if (!buf)
		return -EBADMSG;
	ssize_t end = head_end(buf, len);
	if (end <= 0)
		return end;
	ssize_t r = parse(buf, (size_t)end, req);
	if (r < 0) {
		free(req->head);
		memset(req, 0, sizeof(*req));
	}
	return r;
}

void ag3_proxy_req_clear(struct ag3_proxy_req *req)
{
	if (!req)
		return;
	free(req->head);
	req->head = NULL;
	req->head_len = 0;
}
