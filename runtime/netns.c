/* SPDX-License-Identifier: MIT */
#include "netns.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "runtime/util/cleanup.h"

static void nl_socket_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}
static void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}

/* libnl's own error codes back to an errno (libnl keeps the kernel's in most cases). */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_PERM:
		return EPERM;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return ENODEV;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_INVAL:
		return EINVAL;
	case NLE_BUSY:
		return EBUSY;
	default:
		return EIO;
	}
}

int ag3_netns_loopback_up(struct ag3_error **reterr)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return ag3_error_set_stage(reterr, ENOMEM, "network", "lo",
					   "network: out of memory");
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return ag3_error_set_stage(reterr, nl_to_errno(r), "network", "lo",
					   "network: netlink socket: %s", nl_geterror(r));
	_cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL;
	r = rtnl_link_get_kernel(sk, 0, "lo", &lo);
	if (r < 0)
		return ag3_error_set_stage(reterr, nl_to_errno(r), "network", "lo",
					   "network: looking up lo: %s", nl_geterror(r));
	_cleanup_(rtnl_link_putp) struct rtnl_link *change = rtnl_link_alloc();
	if (!change)
		return ag3_error_set_stage(reterr, ENOMEM, "network", "lo",
					   "network: out of memory");
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, lo, change, 0);
	if (r < 0)
		return ag3_error_set_stage(reterr, nl_to_errno(r), "network", "lo",
					   "network: bringing lo up: %s", nl_geterror(r));
	return 0;
}
