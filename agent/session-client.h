/* SPDX-License-Identifier: MIT */
/* A session's client: one command over one connection, or closing the session. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "runtime/result.h"
#include "runtime/sandbox.h"
#include "runtime/session.h"

/* A new connection to the session at `path` (socket). fd, or -errno with a
 * message in `why` (the path, what failed). */
int ag3_session_connect(const char *path, char *why, size_t wlen);

/*
 * Runs one command over `conn` (a new connection: the server's hello is read
 * first) and fills `res`: the session's enforcement record and downgrades, then
 * how the command ended. timeout_ms: -1 for the session's own, else the limit (0:
 * none). ret_lim (may be NULL): the limits the command ran with. Takes `conn` (closed before it returns). 0, or -EINVAL (empty argv).
 */
int ag3_session_client_run(int conn, int64_t timeout_ms, const struct ag3_run_opts *opts,
			   const struct ag3_cmd_extra *extra, struct ag3_result *res,
			   struct ag3_session_limits *ret_lim);

/* ag3_session_client_run with the capture cap lowered to `output_bytes` (0: the
 * session's own limits.output_bytes; a value above it changes nothing). */
int ag3_session_client_run_cap(int conn, int64_t timeout_ms, uint64_t output_bytes,
			       const struct ag3_run_opts *opts, const struct ag3_cmd_extra *extra,
			       struct ag3_result *res, struct ag3_session_limits *ret_lim);

/* Asks the session at `path` to end, and waits (at most `wait_ms`) until it has torn
 * everything down. 0, or -errno with `why`. */
int ag3_session_close_path(const char *path, uint64_t wait_ms, char *why, size_t wlen);
