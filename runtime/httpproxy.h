/* SPDX-License-Identifier: MIT */
/*
 * The head of a request to the sandbox's HTTP proxy (RFC 9112), parsed
 * without any I/O: CONNECT host:port, or a plain HTTP request in absolute form
 * ("GET http://host/path HTTP/1.1") or in origin form with a Host header. The
 * client is the sandboxed process: hostile. The parser is strict (one SP
 * between the parts of the request line, CRLF only, no obs-fold, no
 * whitespace before a header's colon) so that what it judges is exactly what
 * the upstream server will read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AG3_PROXY_HEAD_MAX 16384
#define AG3_PROXY_HEADERS_MAX 100

struct ag3_proxy_req {
	bool connect;   /* CONNECT host:port */
	char host[254]; /* lowercase, no trailing dot */
	uint16_t port;  /* CONNECT: as given (required); http://host[:port]: default 80 */
	char *head;     /* plain HTTP: the request head to send upstream (malloc'd, NUL-terminated):
	                   the request line in origin form ("GET /path?q HTTP/1.1"), a Host header
	                   when the request had none, the headers in order except Proxy-Connection,
	                   Proxy-Authorization and Proxy-Authenticate, then "\r\n\r\n"; NULL for
	                   CONNECT */
	size_t head_len;
};

/*
 * `buf`: the bytes read from the client so far (`req` is overwritten: clear it
 * before reusing it). Returns
 *   0: need more (no "\r\n\r\n" yet, len < AG3_PROXY_HEAD_MAX, and nothing
 *      malformed so far);
 *   > 0: the head was parsed; the value is how many bytes of buf it took
 *      (through the blank line: what follows is the body or the tunnelled
 *      data, passed on as is);
 *   -E2BIG: no end of head within AG3_PROXY_HEAD_MAX bytes;
 *   -EBADMSG: malformed: a bad request line (method not an RFC 9110 token,
 *      version not HTTP/1.0 or HTTP/1.1, a target with a byte outside
 *      0x21..0x7e or a '#'), a bare LF or CR, a NUL (all three as soon as they
 *      are read), a header without ':' or with whitespace before it, a control
 *      byte in a value, obs-fold, more than AG3_PROXY_HEADERS_MAX headers
 *      (counting the Host header added to a plain request without one),
 *      several Host headers, a Host header that disagrees with the absolute
 *      URI's host and port, several Content-Length headers that disagree or
 *      one that is not a number, a CONNECT target not host:port, userinfo, a
 *      host that fails ag3_net_name_valid, a bracketed (IPv6) host. An IPv4
 *      address is valid host text: it is returned as it is, for the relay to
 *      refuse with an event (ag3_net_name_numeric_n tells it);
 *   -ENOTSUP: a scheme other than http:// in absolute form (https://, ftp://),
 *      the asterisk form ("OPTIONS *"), origin form without Host, or
 *      Transfer-Encoding together with Content-Length;
 *   -ENOMEM: out of memory for the head.
 * Anything but > 0 leaves `req` zeroed, with nothing to free.
 */
ssize_t ag3_proxy_parse(const char *buf, size_t len, struct ag3_proxy_req *req);

/* Frees head; safe twice. */
void ag3_proxy_req_clear(struct ag3_proxy_req *req);
