/* SPDX-License-Identifier: MIT */
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/cmdreq.h"
#include "runtime/egress.h"
#include "runtime/msg.h"
#include "runtime/util/cleanup.h"

/*
 * Bring lo up in the current network namespace. One SIOCGIFFLAGS and one
 * SIOCSIFFLAGS on a datagram socket: 4 syscalls instead of libnl's 13 (socket,
 * bind, getsockname, the RTM_GETLINK dump and the RTM_NEWLINK change with their
 * receives). The socket lives in the namespace the caller is in, so the flags
 * change reaches that namespace's lo and nothing else.
 */
int ag3_netns_loopback_up(struct ag3_error **reterr)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ag3_error_set_stage(reterr, errno, "network", "lo",
					   "network: socket for lo: %m");
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return ag3_error_set_stage(reterr, errno, "network", "lo",
					   "network: looking up lo: %m");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return ag3_error_set_stage(reterr, errno, "network", "lo",
					   "network: bringing lo up: %m");
	return 0;
}

static int net_socket(int type, const char *addr, uint16_t port, struct ag3_error **reterr)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ag3_error_set_stage(reterr, errno, "network", NULL,
					   "network: a socket for the relay: %m");
	const int one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if ((type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = errno;
		close(fd);
		return ag3_error_set_stage(
			reterr, e, "network", NULL, "network: the relay's %s socket on %s:%u: %s",
			type == SOCK_STREAM ? "TCP" : "UDP", addr, port, strerror(e));
	}
	return fd;
}

int ag3_netns_relay_open(const struct ag3_spec_network *net, struct ag3_net_socks *s,
			 struct ag3_error **reterr)
{
	s->n = 0;
	uint16_t ports[AG3_NET_MAX_PORTS];
	int np = ag3_spec_net_ports(net, ports, AG3_NET_MAX_PORTS);
	if (np < 0)
		return ag3_error_set_stage(reterr, E2BIG, "network", NULL,
					   "network: more than %d ports to relay",
					   AG3_NET_MAX_PORTS);
	int fd = net_socket(SOCK_DGRAM, AG3_NET_STUB_ADDR, 53, reterr);
	if (fd < 0)
		return fd;
	s->fd[s->n] = fd;
	s->kind[s->n] = AG3_NET_FD_DNS;
	s->port[s->n++] = 53;
	for (int i = 0; i < np; i++) {
		/* Every address of the namespace: the address dialed says which name (or the
		 * proxy, or a forwarded localhost port) a connection is for. */
		if ((fd = net_socket(SOCK_STREAM, "0.0.0.0", ports[i], reterr)) < 0) {
			ag3_netns_relay_close(s);
			return fd;
		}
		s->fd[s->n] = fd;
		s->kind[s->n] = AG3_NET_FD_TCP;
		s->port[s->n++] = ports[i];
	}
	return 0;
}

void ag3_netns_relay_send(int sock, struct ag3_net_socks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ag3_msg m = {
			.type = MSG_NET_FD, .net_kind = s->kind[i], .net_port = s->port[i]};
		(void)ag3_msg_send_fd(sock, &m, s->fd[i]);
	}
	ag3_netns_relay_close(s);
}

void ag3_netns_relay_close(struct ag3_net_socks *s)
{
	for (size_t i = 0; i < s->n; i++)
		close(s->fd[i]);
	s->n = 0;
}
