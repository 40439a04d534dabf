/* SPDX-License-Identifier: MIT */
/*
 * The wire between the parts of a session (runtime/internal.h's messages) and a
 * command request: what a client sends to run one command in a session.
 *
 * A request is one SOCK_SEQPACKET message: a fixed header, then a blob holding
 * argv, then the environment settings ("NAME=VALUE"), then the working directory,
 * each NUL-terminated; and, as SCM_RIGHTS, the command's stdio (one fd for each of
 * 0, 1, 2 that is not a pty of the sandbox's own, in that order). The reader is
 * the command's own init inside the sandbox: everything is checked there, and a
 * request that is not exactly well-formed is refused with a reason.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ag3_cmd;
struct ag3_msg;

#define AG3_CMDREQ_MAGIC 0x52433341u /* "A3CR" */
#define AG3_CMDREQ_VERSION 1u
/* The largest request: the blob (argv, env, cwd). Fits a default SEQPACKET buffer. */
#define AG3_CMDREQ_MAX_BLOB (160u * 1024)
#define AG3_CMDREQ_MAX_ARGS 8192u
#define AG3_CMDREQ_MAX_ENV 1024u

/* Frees what a parsed request holds and closes its fds; leaves it empty. */
void ag3_cmd_clear(struct ag3_cmd *cmd);

/* Serializes `cmd` (its fds are not part of it). 0 or -E2BIG / -EINVAL / -ENOMEM. */
int ag3_cmdreq_pack(const struct ag3_cmd *cmd, void **ret, size_t *ret_len);
/*
 * Parses a request (without its fds; cmd->stdio is left -1). 0, or -EINVAL (or
 * -E2BIG, -ENOMEM) with a reason in `why`. On failure `cmd` holds nothing.
 */
int ag3_cmdreq_parse(const void *buf, size_t len, struct ag3_cmd *cmd, char *why, size_t wlen);

/* Sends `cmd` with its stdio fds (those not in its pty_mask). 0 or -errno. */
int ag3_cmdreq_send(int sock, const struct ag3_cmd *cmd);
/* Receives and parses one request, with exactly the fds it must carry. */
int ag3_cmdreq_recv(int sock, struct ag3_cmd *cmd, char *why, size_t wlen);

/* One message with up to 3 fds as SCM_RIGHTS. 0 or -1 with errno. */
int ag3_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);
/* One message of at most `len` bytes and the one fd it carries, if exactly one
 * (any other is closed; *fd = -1 then). Returns recvmsg's result. */
ssize_t ag3_recv_fd(int sock, void *buf, size_t len, int *fd, int flags);

/* One message with one fd as SCM_RIGHTS. 0 or -1 with errno. */
int ag3_msg_send_fd(int sock, const struct ag3_msg *m, int fd);
/*
 * One message (flags: e.g. MSG_DONTWAIT) and the one fd it carries, if exactly
 * one (any other is closed; *fd = -1 then). Returns recvmsg's result.
 */
ssize_t ag3_msg_recv(int sock, struct ag3_msg *m, int *fd, int flags);
