/* SPDX-License-Identifier: MIT */
#pragma once

#include "runtime/spec.h"
#include "runtime/util/error.h"

/* Brings the loopback interface of the current network namespace up (one ioctl). */
int ag3_netns_loopback_up(struct ag3_error **reterr);

/* Allowlist mode: the relay's sockets, made in the sandbox's network namespace
 * (runtime/egress.h): the DNS stub's, and a listener per port. */
struct ag3_net_socks {
	int fd[1 + AG3_NET_MAX_PORTS];
	unsigned kind[1 + AG3_NET_MAX_PORTS], port[1 + AG3_NET_MAX_PORTS];
	size_t n;
};
/* Makes them in the current network namespace (needs CAP_NET_BIND_SERVICE there:
 * before the drop). 0, or -errno with nothing left open. */
int ag3_netns_relay_open(const struct ag3_spec_network *net, struct ag3_net_socks *s,
			 struct ag3_error **reterr);
/* Hands them to the supervisor at the other end of `sock` (MSG_NET_FD each), and
 * closes them here. */
void ag3_netns_relay_send(int sock, struct ag3_net_socks *s);
void ag3_netns_relay_close(struct ag3_net_socks *s);
