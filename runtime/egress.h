/* SPDX-License-Identifier: MIT */
/*
 * Allowlist mode's network, on the supervisor's side (README "Network").
 *
 * The sandbox's network namespace has loopback only: no route leaves it. Before
 * the command exists, the sandbox's init makes the sockets below in that
 * namespace and hands them to the supervisor (MSG_NET_FD), which serves them
 * from its own event loop, in the caller's network:
 *
 *   - the DNS stub (UDP 127.0.0.53:53): an allowed name gets an address of the
 *     sandbox's own, 127.77.X.Y (X >= 1), one per name; any other name is
 *     NXDOMAIN, and nothing is ever asked upstream;
 *   - one TCP listener per port the rules name (0.0.0.0:PORT): a connection to
 *     127.77.X.Y:PORT is the name behind X.Y on that port; the relay checks the
 *     rule, resolves the real name here (getaddrinfo, in a thread), refuses
 *     loopback, private, link-local and metadata destinations unless the spec
 *     allows private ones, connects, and copies bytes both ways (TLS untouched);
 *     a connection to 127.0.0.1:PORT goes to the caller's 127.0.0.1:PORT when
 *     PORT is a forwarded localhost port;
 *   - the HTTP proxy at 127.77.0.1:3128 (CONNECT, and plain http:// requests),
 *     with the same checks.
 *
 * Nothing here blocks: a client that floods or stalls fills a bounded buffer and
 * is no longer read (or written) until the other side moves. Every refusal is an
 * event of the result record; ag3_egress_finish tears everything down.
 */
#pragma once

#include <poll.h>
#include <stdint.h>

#include "runtime/result.h"
#include "runtime/spec.h"

#define AG3_NET_NAMES_MAX 1000 /* names the stub gives an address to, per sandbox */
#define AG3_NET_EVENTS_MAX 256 /* events kept in the result record */

/* The kinds of socket init hands over (struct ag3_msg.net_kind). */
enum { AG3_NET_FD_DNS = 1, AG3_NET_FD_TCP = 2 };

struct ag3_egress;

/* A relay for `net` (copied), or NULL (ENOMEM). log_fd >= 0: a line per refusal
 * is written there too (non-blocking, dropped when it would block). */
struct ag3_egress *ag3_egress_new(const struct ag3_spec_network *net, int log_fd);
/* A socket from the sandbox's init (takes ownership; closes what it does not
 * expect: wrong kind, a port the spec does not name, one too many). */
void ag3_egress_take_fd(struct ag3_egress *e, unsigned kind, unsigned port, int fd);
/* How many pollfds ag3_egress_pollfds may fill at most. */
size_t ag3_egress_max_poll(const struct ag3_egress *e);
/* Fills the pollfds of what can move now; returns how many. */
size_t ag3_egress_pollfds(struct ag3_egress *e, struct pollfd *p);
/* After poll: `p` as filled (with revents). Moves what it can, never blocking. */
void ag3_egress_step(struct ag3_egress *e, const struct pollfd *p, size_t n);
/* Milliseconds until a connection's deadline (idle, connect), -1 for none. */
int ag3_egress_wait_ms(const struct ag3_egress *e);
/* Closes every socket and connection; the events and per-destination counts go
 * into res->network; frees `e`. NULL is fine. */
void ag3_egress_finish(struct ag3_egress *e, struct ag3_result *res);
