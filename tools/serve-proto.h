/* SPDX-License-Identifier: MIT */
/*
 * `serve`'s requests (doc/serve-protocol.md, "ag3ntum.serve/1"): one line of
 * JSON -> a checked request, or an error code and a message. Nothing here does
 * I/O or runs anything: it is the part the fuzzer drives
 * (tests/fuzz/fuzz-serve-request.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define SERVE_PROTOCOL "ag3ntum.serve/1"
#define SERVE_MAX_LINE (4u << 20)
#define SERVE_MAX_SESSIONS 16
#define SERVE_MAX_RUNNING 64
#define SERVE_MAX_STDIN (1u << 20)
#define SERVE_MAX_ID 64      /* a string id's bytes */
#define SERVE_MAX_ENV 1024   /* exec's env entries */
#define SERVE_MAX_ARGV 65536 /* exec's argv entries */
#define SERVE_MAX_LIST 1024  /* resolve's blocklist, exemptions, readonly_prefixes */
#define SERVE_MAX_KEYS 32    /* a request's keys */

enum serve_op {
	SERVE_OP_OPEN,
	SERVE_OP_EXEC,
	SERVE_OP_CANCEL,
	SERVE_OP_CLOSE,
	SERVE_OP_CHECK,
	SERVE_OP_RESOLVE,
};

/*
 * A checked request. Strings point into `root` (the parsed line), arrays are
 * the request's own; serve_req_clear frees everything.
 */
struct serve_req {
	cJSON *root;
	enum serve_op op;
	cJSON *id; /* the request's id (a copy: replies carry it), or NULL */

	/* open, and check/resolve without `session`: the CLI's options, as given */
	bool has_source;          /* an `open` key was given */
	struct cli_source source; /* .vars is ours */

	const char *session; /* exec, close, check, resolve */

	/* exec */
	char **argv;       /* NULL-terminated, or NULL when `shell` */
	const char *shell; /* or NULL */
	const char *cwd;
	const char **env; /* name, value, name, value ...; n_env pairs */
	size_t n_env;
	unsigned char *stdin_data; /* decoded; NULL: /dev/null */
	size_t stdin_len;
	bool have_stdin;
	bool merge;
	bool timeout_set;
	uint64_t timeout_ms;
	bool capture;

	/* cancel */
	cJSON *exec_id; /* points into root */

	/* check */
	const char *tool;
	char *input;                     /* the input object as JSON text */
	unsigned denials, other_denials; /* check --denials / --other-denials */

	/* resolve */
	int rop; /* enum ag3_resolve_op */
	const char *path;
	bool allow_directory;
	bool want_fd;
	const char **blocklist, **exemptions, **readonly_prefixes; /* NULL-terminated or NULL */
};

/* The codes of the protocol's error replies. */
#define SERVE_BAD_JSON "BAD_JSON"
#define SERVE_LINE_TOO_LONG "LINE_TOO_LONG"
#define SERVE_BAD_REQUEST "BAD_REQUEST"
#define SERVE_UNKNOWN_OP "UNKNOWN_OP"

/*
 * Parses and checks one request line (`len` bytes, no newline; NULs refused).
 * 0 with *r filled; -1 with *code one of the codes above and *msg a malloc'ed
 * message (NULL on ENOMEM) — r->id is still set when the line had a valid one,
 * for the error reply. Either way serve_req_clear(r) afterwards.
 */
int serve_req_parse(const char *line, size_t len, struct serve_req *r, const char **code,
		    char **msg);
void serve_req_clear(struct serve_req *r);

/* Base64 (RFC 4648, padded) of `len` bytes: a malloc'ed string, or NULL. */
char *serve_base64(const void *data, size_t len);

/* Whether two request ids are the same (both NULL counts as no id: false). */
bool serve_id_equal(const cJSON *a, const cJSON *b);
