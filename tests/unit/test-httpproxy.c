/* SPDX-License-Identifier: MIT */
/* The head of a request to the sandbox's HTTP proxy (runtime/httpproxy.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/httpproxy.h"

static ssize_t parse(const char *s, struct ag3_proxy_req *req)
{
	return ag3_proxy_parse(s, strlen(s), req);
}

static void expect_err(const char *s, ssize_t err)
{
	struct ag3_proxy_req req;
	ssize_t r = parse(s, &req);
	cr_expect_eq(r, err, "%s: %zd, expected %zd", s, r, err);
	cr_expect_null(req.head, "%s: no head", s);
	ag3_proxy_req_clear(&req);
}

Test(httpproxy, connect)
{
	const char *s = "CONNECT PyPI.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n"
			"Proxy-Authorization: Basic eA==\r\n\r\n\x16\x03\x01";
	struct ag3_proxy_req req;
	ssize_t r = parse(s, &req);
	cr_assert_eq(r, (ssize_t)strlen(s) - 3, "the head only: the TLS bytes after it are data");
	cr_expect(req.connect);
	cr_expect_str_eq(req.host, "pypi.org");
	cr_expect_eq(req.port, 443);
	cr_expect_null(req.head);
	ag3_proxy_req_clear(&req);
	s = "CONNECT x.org.:8443 HTTP/1.0\r\n\r\n";
	cr_assert_eq(parse(s, &req), (ssize_t)strlen(s));
	cr_expect_str_eq(req.host, "x.org");
	cr_expect_eq(req.port, 8443);
	cr_assert_gt(parse("CONNECT 127.0.0.1:22 HTTP/1.1\r\n\r\n", &req), 0,
		     "an IPv4 address: for the relay to refuse with an event");
	cr_expect_str_eq(req.host, "127.0.0.1");
	cr_expect_eq(req.port, 22);
	const char *bad[] = {"CONNECT x.org HTTP/1.1\r\n\r\n",
			     "CONNECT x.org: HTTP/1.1\r\n\r\n",
			     "CONNECT x.org:0 HTTP/1.1\r\n\r\n",
			     "CONNECT x.org:65536 HTTP/1.1\r\n\r\n",
			     "CONNECT x.org:0443 HTTP/1.1\r\n\r\n",
			     "CONNECT [::1]:443 HTTP/1.1\r\n\r\n",
			     "CONNECT ::1:443 HTTP/1.1\r\n\r\n",
			     "CONNECT user@x.org:443 HTTP/1.1\r\n\r\n",
			     "CONNECT http://x.org:443 HTTP/1.1\r\n\r\n",
			     "CONNECT x.org:443/ HTTP/1.1\r\n\r\n",
			     "CONNECT x..org:443 HTTP/1.1\r\n\r\n",
			     "CONNECT x.org:443 HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
			     "connect x.org:443 HTTP/1.1\r\n\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_err(bad[i], -EBADMSG);
}

Test(httpproxy, absolute_form)
{
	const char *s = "GET http://Example.ORG/simple/pkg/?q=1&r=%20 HTTP/1.1\r\n"
			"Host: example.org\r\nProxy-Connection: keep-alive\r\nUser-Agent: t\r\n"
			"proxy-authorization: Basic eA==\r\nAccept: */*\r\n"
			"Proxy-Authenticate: x\r\n\r\nBODY";
	struct ag3_proxy_req req;
	cr_assert_eq(parse(s, &req), (ssize_t)strlen(s) - 4);
	cr_expect(!req.connect);
	cr_expect_str_eq(req.host, "example.org");
	cr_expect_eq(req.port, 80);
	cr_assert_not_null(req.head);
	cr_expect_str_eq(req.head, "GET /simple/pkg/?q=1&r=%20 HTTP/1.1\r\nHost: example.org\r\n"
				   "User-Agent: t\r\nAccept: */*\r\n\r\n");
	cr_expect_eq(req.head_len, strlen(req.head));
	ag3_proxy_req_clear(&req);
	ag3_proxy_req_clear(&req); /* safe twice */
	cr_expect_null(req.head);

	cr_assert_gt(parse("POST HTTP://x.org:8080?a HTTP/1.0\r\nHost: X.org:8080\r\n"
			   "Content-Length: 3\r\n\r\nabc",
			   &req),
		     0);
	cr_expect_eq(req.port, 8080);
	cr_expect_str_eq(req.head,
			 "POST /?a HTTP/1.0\r\nHost: X.org:8080\r\nContent-Length: 3\r\n\r\n");
	ag3_proxy_req_clear(&req);

	cr_assert_gt(parse("GET http://x.org HTTP/1.1\r\n\r\n", &req), 0);
	cr_expect_str_eq(req.head, "GET / HTTP/1.1\r\nHost: x.org\r\n\r\n", "Host added");
	ag3_proxy_req_clear(&req);
	cr_assert_gt(parse("GET http://x.org.:81/a HTTP/1.1\r\nA: b\r\n\r\n", &req), 0);
	cr_expect_str_eq(req.host, "x.org");
	cr_expect_str_eq(req.head, "GET /a HTTP/1.1\r\nHost: x.org:81\r\nA: b\r\n\r\n");
	ag3_proxy_req_clear(&req);
	cr_assert_gt(parse("GET http://x.org:65535/ HTTP/1.1\r\nHost: x.org:65535\r\n\r\n", &req),
		     0);
	cr_expect_eq(req.port, 65535);
	ag3_proxy_req_clear(&req);
	cr_assert_gt(parse("GET http://x.org/ HTTP/1.1\r\nHost: x.org:80\r\n\r\n", &req), 0,
		     "the default port, spelled out");
	ag3_proxy_req_clear(&req);
	cr_assert_gt(parse("GET http://10.0.0.1/ HTTP/1.1\r\n\r\n", &req), 0);
	cr_expect_str_eq(req.host, "10.0.0.1");
	ag3_proxy_req_clear(&req);
	cr_assert_gt(parse("GET http://x.org/ HTTP/1.1\r\nX:\r\nY:  v  \t\r\n\r\n", &req), 0,
		     "an empty value, whitespace around a value");
	ag3_proxy_req_clear(&req);
}

Test(httpproxy, origin_form)
{
	struct ag3_proxy_req req;
	cr_assert_gt(parse("GET /x HTTP/1.1\r\nHost: x.org:8080\r\n\r\n", &req), 0);
	cr_expect_str_eq(req.host, "x.org");
	cr_expect_eq(req.port, 8080);
	cr_expect_str_eq(req.head, "GET /x HTTP/1.1\r\nHost: x.org:8080\r\n\r\n");
	ag3_proxy_req_clear(&req);
	expect_err("GET /x HTTP/1.1\r\nA: b\r\n\r\n", -ENOTSUP);
	expect_err("GET /x HTTP/1.1\r\nHost:\r\n\r\n", -EBADMSG);
	expect_err("GET /x HTTP/1.1\r\nHost: [::1]\r\n\r\n", -EBADMSG);
}

Test(httpproxy, not_supported)
{
	expect_err("GET https://x.org/ HTTP/1.1\r\n\r\n", -ENOTSUP);
	expect_err("GET ftp://x.org/ HTTP/1.1\r\n\r\n", -ENOTSUP);
	expect_err("GET httpx://x.org/ HTTP/1.1\r\n\r\n", -ENOTSUP);
	expect_err("OPTIONS * HTTP/1.1\r\nHost: x.org\r\n\r\n", -ENOTSUP);
	expect_err("POST http://x.org/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		   "Content-Length: 5\r\n\r\n",
		   -ENOTSUP);
	expect_err("POST http://x.org/ HTTP/1.1\r\ncontent-length: 5\r\n"
		   "transfer-encoding: chunked\r\n\r\n",
		   -ENOTSUP);
	struct ag3_proxy_req req;
	cr_expect_gt(
		parse("POST http://x.org/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &req),
		0);
	ag3_proxy_req_clear(&req);
}

Test(httpproxy, malformed)
{
	const char *bad[] = {
		"\r\n\r\n",
		"\r\nGET http://x.org/ HTTP/1.1\r\n\r\n",
		"GET  http://x.org/ HTTP/1.1\r\n\r\n",
		"GET http://x.org/  HTTP/1.1\r\n\r\n",
		"GET http://x.org/ HTTP/1.1 \r\n\r\n",
		"GET http://x.org/\r\n\r\n",
		"GET http://x.org/ HTTP/2.0\r\n\r\n",
		"GET http://x.org/ HTTP/1.2\r\n\r\n",
		"GET http://x.org/ http/1.1\r\n\r\n",
		"GET http://x.org/ HTTP/1.10\r\n\r\n",
		"G(T http://x.org/ HTTP/1.1\r\n\r\n",
		" GET http://x.org/ HTTP/1.1\r\n\r\n",
		"GET http://x.org/a#f HTTP/1.1\r\n\r\n",
		"GET http://x.org/\x7f HTTP/1.1\r\n\r\n",
		"GET http://x.org/\xc3\xa9 HTTP/1.1\r\n\r\n",
		"GET http://x.org/\tHTTP/1.1\r\n\r\n",
		"GET x.org:80 HTTP/1.1\r\n\r\n",
		"GET http:x.org HTTP/1.1\r\n\r\n",
		"GET http:/x.org HTTP/1.1\r\n\r\n",
		"GET http:// HTTP/1.1\r\n\r\n",
		"GET http://:80/ HTTP/1.1\r\n\r\n",
		"GET http://x.org:/ HTTP/1.1\r\n\r\n",
		"GET http://x.org:0/ HTTP/1.1\r\n\r\n",
		"GET http://x.org:99999/ HTTP/1.1\r\n\r\n",
		"GET http://u:p@x.org/ HTTP/1.1\r\n\r\n",
		"GET http://x.org@evil.org/ HTTP/1.1\r\n\r\n",
		"GET http://x.org\\@evil.org/ HTTP/1.1\r\n\r\n",
		"GET http://[::1]/ HTTP/1.1\r\n\r\n",
		"GET http://[::1]:80/ HTTP/1.1\r\n\r\n",
		"GET http://%65vil.org/ HTTP/1.1\r\n\r\n",
		"GET http://x..org/ HTTP/1.1\r\n\r\n",
		"GET 1http://x.org/ HTTP/1.1\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nHost: y.org\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nHost: x.org:81\r\n\r\n",
		"GET http://x.org:81/ HTTP/1.1\r\nHost: x.org\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nHost: x.org\r\nHost: x.org\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nHost: x.org\r\nhost: y.org\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA : b\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\n: b\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA\x01: b\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA: b\x01\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA: b\x7f\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nContent-Length:\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\nHost: x.org\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA: b\n\r\n",
		"GET http://x.org/ HTTP/1.1\r\nA: b\rc\r\n\r\n",
		"GET http://x.org/ HTTP/1.1\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_err(bad[i], -EBADMSG);
	struct ag3_proxy_req req;
	cr_expect_gt(
		parse("GET http://x.org/ HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n"
		      "\r\n",
		      &req),
		0, "the same Content-Length twice");
	ag3_proxy_req_clear(&req);
	const char nul[] = "GET http://x.org/ HTTP/1.1\r\nA: b\0c\r\n\r\n";
	cr_expect_eq(ag3_proxy_parse(nul, sizeof(nul) - 1, &req), -EBADMSG, "a NUL");
	cr_expect_eq(ag3_proxy_parse(NULL, 0, &req), -EBADMSG);
}

Test(httpproxy, early_errors)
{
	struct ag3_proxy_req req;
	cr_expect_eq(parse("GET http://x.org/ HTTP/1.1\n", &req), -EBADMSG,
		     "a bare LF before the end of the head");
	cr_expect_eq(parse("GET http://x.org/ HTTP/1.1\rX", &req), -EBADMSG, "a bare CR");
	cr_expect_eq(ag3_proxy_parse("GET \0", 5, &req), -EBADMSG, "a NUL");
	cr_expect_eq(parse("GET http://x.org/ HTTP/1.1\r", &req), 0, "a CR, its LF not read yet");
}

/* A request with `n` headers, the first of them "Host: x.org" when `host`. */
static char *headers(unsigned n, bool host)
{
	size_t cap = 64 + n * 16;
	char *s = malloc(cap);
	cr_assert_not_null(s);
	size_t o = (size_t)snprintf(s, cap, "GET http://x.org/ HTTP/1.1\r\n");
	for (unsigned i = 0; i < n; i++)
		o += (size_t)(i == 0 && host ? snprintf(s + o, cap - o, "Host: x.org\r\n")
					     : snprintf(s + o, cap - o, "X-%u: v\r\n", i));
	snprintf(s + o, cap - o, "\r\n");
	return s;
}

Test(httpproxy, limits)
{
	struct ag3_proxy_req req, again;
	char *s = headers(AG3_PROXY_HEADERS_MAX, true);
	cr_expect_eq(parse(s, &req), (ssize_t)strlen(s), "100 headers");
	ag3_proxy_req_clear(&req);
	free(s);
	s = headers(AG3_PROXY_HEADERS_MAX + 1, true);
	cr_expect_eq(parse(s, &req), -EBADMSG, "101 headers");
	free(s);
	s = headers(AG3_PROXY_HEADERS_MAX - 1, false);
	cr_assert_eq(parse(s, &req), (ssize_t)strlen(s), "99 headers and the Host added");
	cr_expect_eq(ag3_proxy_parse(req.head, req.head_len, &again), (ssize_t)req.head_len,
		     "the head upstream parses again");
	ag3_proxy_req_clear(&again);
	ag3_proxy_req_clear(&req);
	free(s);
	s = headers(AG3_PROXY_HEADERS_MAX, false);
	cr_expect_eq(parse(s, &req), -EBADMSG, "100 headers and the Host added");
	free(s);

	/* a head of exactly AG3_PROXY_HEAD_MAX bytes, then one byte more */
	char *big = malloc(AG3_PROXY_HEAD_MAX + 2);
	cr_assert_not_null(big);
	const char *start = "GET http://x.org/ HTTP/1.1\r\nX: ";
	size_t sl = strlen(start);
	memcpy(big, start, sl);
	memset(big + sl, 'v', AG3_PROXY_HEAD_MAX - sl - 4);
	memcpy(big + AG3_PROXY_HEAD_MAX - 4, "\r\n\r\nZ", 5);
	cr_expect_eq(ag3_proxy_parse(big, AG3_PROXY_HEAD_MAX + 1, &req), AG3_PROXY_HEAD_MAX);
	cr_expect_eq(req.head_len,
		     AG3_PROXY_HEAD_MAX - strlen("http://x.org") + strlen("Host: x.org\r\n"));
	ag3_proxy_req_clear(&req);
	cr_expect_eq(ag3_proxy_parse(big, AG3_PROXY_HEAD_MAX - 1, &req), 0, "not all there yet");
	memcpy(big + AG3_PROXY_HEAD_MAX - 4, "v\r\n\r\n", 5);
	cr_expect_eq(ag3_proxy_parse(big, AG3_PROXY_HEAD_MAX + 1, &req), -E2BIG,
		     "the end one byte past the limit");
	cr_expect_eq(ag3_proxy_parse(big, AG3_PROXY_HEAD_MAX, &req), -E2BIG);
	cr_expect_eq(ag3_proxy_parse(big, AG3_PROXY_HEAD_MAX - 1, &req), 0);
	cr_expect_null(req.head);
	free(big);
}

Test(httpproxy, split_across_reads)
{
	const char *s =
		"GET http://x.org/p HTTP/1.1\r\nHost: x.org\r\nProxy-Connection: k\r\n\r\nbody";
	size_t head = strlen(s) - 4;
	for (size_t l = 0; l <= strlen(s); l++) {
		struct ag3_proxy_req req;
		ssize_t r = ag3_proxy_parse(s, l, &req);
		if (l < head) {
			cr_expect_eq(r, 0, "%zu bytes read: need more", l);
			cr_expect_null(req.head);
		} else {
			cr_expect_eq(r, (ssize_t)head, "%zu bytes read", l);
			cr_expect_str_eq(req.head, "GET /p HTTP/1.1\r\nHost: x.org\r\n\r\n");
		}
		ag3_proxy_req_clear(&req);
	}
	const char *c = "CONNECT x.org:443 HTTP/1.1\r\n\r\n";
	for (size_t l = 0; l < strlen(c); l++) {
		struct ag3_proxy_req req;
		cr_expect_eq(ag3_proxy_parse(c, l, &req), 0, "%zu bytes read", l);
	}
}
