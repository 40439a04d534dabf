/* SPDX-License-Identifier: MIT */
/*
 * A session's server and its clients (SOCK_SEQPACKET, a socket path or a
 * socketpair handed over by the library). A client's first message is either a
 * command request (runtime/cmdreq.h: the server hands the whole connection to
 * the sandbox's holder, and the command's own init reads it) or a close request.
 * The server's first message to a client is a hello: the session's limits,
 * enforcement record and downgrades, or why it cannot run the command.
 */
#pragma once

#include <stdint.h>

#include "runtime/result.h"
#include "runtime/session.h"
#include "runtime/spec_json.h"

#define AG3_HELLO_MAGIC 0x49483341u  /* "A3HI" */
#define AG3_CLOSE_MAGIC 0x4c433341u  /* "A3CL" */
#define AG3_ATTACH_MAGIC 0x54413341u /* "A3AT": the library's control socket: a connection */
#define AG3_HELLO_MAX_TEXT (48u * 1024)

struct ag3_hello {
	uint32_t magic;
	int32_t err; /* 0, or the errno of why this connection gets no command */
	struct ag3_session_limits lim;
	uint8_t root_mode, userns, net, ipc, uts, cgroup_ns, seccomp, pad;
	int32_t landlock_abi;
	uint32_t uid, gid;
	uint32_t n_degraded;
	uint32_t text_len;
	uint32_t net_len;
	/* then text_len bytes: the downgrades, NUL-terminated each; or, with err, the
	 * reason (NUL-terminated); then net_len bytes: allowlist mode's network section
	 * (runtime/spec_json.h, NUL-terminated): the client runs the command's relay */
};
#define AG3_HELLO_MAX_NET (64u * 1024)

struct ag3_close_req {
	uint32_t magic;
	uint32_t reserved;
};

/* Packs the hello for `base` (the session's result record so far) and `net_json`
 * (NULL: none). malloc'ed. */
void *ag3_hello_pack(const struct ag3_session_limits *lim, const struct ag3_result *base,
		     const char *net_json, int err, const char *why, size_t *ret_len);
/* Parses a hello into `lim` and `res`'s enforcement record, and when `net` is not
 * NULL the network section into it (mode none when the hello has none; clear it
 * with ag3_spec_network_clear). 0, -EPROTO, or the hello's own -err with `res` a
 * setup failure saying why. */
int ag3_hello_parse(const void *buf, size_t len, struct ag3_session_limits *lim,
		    struct ag3_result *res, struct ag3_spec_network *net);
