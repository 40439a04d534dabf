/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the head of a request to the sandbox's HTTP proxy
 * (runtime/httpproxy.c). The input is what the client sent.
 *
 * A head that parses ends in "\r\n\r\n" at the length returned, within
 * AG3_PROXY_HEAD_MAX; every shorter prefix of it needs more; its host is a
 * valid lowercase name. A plain request's head for upstream is in origin
 * form, has no proxy headers, and parses again (when it fits) to the same
 * host and port. Any other result leaves no head. Anything else is a bug:
 * abort().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/httpproxy.h"
#include "runtime/netrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_head(const struct ag3_proxy_req *req)
{
	const char *h = req->head;
	if (!h || strlen(h) != req->head_len || req->head_len < 4 ||
	    memcmp(h + req->head_len - 4, "\r\n\r\n", 4) != 0)
		abort();
	const char *sp = strchr(h, ' ');
	if (!sp || sp[1] != '/')
		abort(); /* origin form */
	for (const char *l = strstr(h, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n"))
		if (strncasecmp(l + 2, "proxy-connection:", 17) == 0 ||
		    strncasecmp(l + 2, "proxy-authorization:", 20) == 0 ||
		    strncasecmp(l + 2, "proxy-authenticate:", 19) == 0)
			abort();
	if (req->head_len > AG3_PROXY_HEAD_MAX)
		return;
	struct ag3_proxy_req again;
	if (ag3_proxy_parse(h, req->head_len, &again) != (ssize_t)req->head_len || again.connect ||
	    strcmp(again.host, req->host) != 0 || again.port != req->port || !again.head ||
	    strcmp(again.head, h) != 0)
		abort();
	ag3_proxy_req_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1); /* exactly `size` bytes: ASan sees any overread */
	if (!buf)
		abort();
	memcpy(buf, data, size);
	struct ag3_proxy_req req;
	ssize_t r = ag3_proxy_parse(buf, size, &req);
	if (r > 0) {
		if ((size_t)r > size || r > AG3_PROXY_HEAD_MAX || r < 4 ||
		    memcmp(buf + r - 4, "\r\n\r\n", 4) != 0)
			abort();
		size_t h = strlen(req.host);
		if (!ag3_net_name_valid(req.host) || req.host[h - 1] == '.' || req.port == 0)
			abort();
		for (size_t i = 0; i < h; i++)
			if (req.host[i] >= 'A' && req.host[i] <= 'Z')
				abort();
		if (req.connect ? req.head != NULL : (check_head(&req), false))
			abort();
		struct ag3_proxy_req prefix;
		if (ag3_proxy_parse(buf, (size_t)r - 1, &prefix) != 0 || prefix.head)
			abort();
		ag3_proxy_req_clear(&req);
		ag3_proxy_req_clear(&req);
	} else {
		if (req.head || req.host[0] ||
		    !(r == 0 || r == -E2BIG || r == -EBADMSG || r == -ENOTSUP || r == -ENOMEM))
			abort();
		if (r == 0 && size >= AG3_PROXY_HEAD_MAX)
			abort();
	}
	free(buf);
	return 0;
}
