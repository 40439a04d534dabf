/* SPDX-License-Identifier: MIT */
#include "netns.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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
