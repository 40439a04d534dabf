/* SPDX-License-Identifier: MIT */
/*
 * Checks: the network and ipc namespaces (network mode "none": an empty
 * namespace whose only interface is its own loopback).
 *
 *   net-ifaces      if_nameindex() and getifaddrs() show only lo / 127.0.0.1.
 *   proc-net-dev    /proc/net/dev lists only lo.
 *   net-host-tcp    argv[2] is a TCP port the test listens on at the HOST's
 *                   127.0.0.1: connecting to it from inside must fail
 *                   (ECONNREFUSED: the sandbox's lo is its own). Loopback only.
 *   abstract-unix   argv[2] names an abstract unix socket the test listens on
 *                   at the host (abstract names are per network namespace):
 *                   connect must fail with ECONNREFUSED.
 *   ipc-host-shm    argv[2] is the id of a SysV shared memory segment the test
 *                   created on the host: shmctl(IPC_STAT) must answer EINVAL
 *                   (not visible), not EACCES or success.
 * A connection that succeeds is closed at once without sending anything.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "probe.h"

static void p_ifaces(const char *name, int argc, char **argv)
{
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs)
		probe_error(name, "if_nameindex: %s", ename(errno));
	int n = 0;
	for (struct if_nameindex *i = ifs; i->if_index; i++, n++)
		if (strcmp(i->if_name, "lo") != 0)
			escaped(name, "interface %s is visible", i->if_name);
	if_freenameindex(ifs);
	struct ifaddrs *ia;
	if (getifaddrs(&ia) < 0)
		probe_error(name, "getifaddrs: %s", ename(errno));
	for (struct ifaddrs *a = ia; a; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		struct sockaddr_in *in = (struct sockaddr_in *)a->ifa_addr;
		if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
			escaped(name, "address %s on %s", inet_ntoa(in->sin_addr), a->ifa_name);
	}
	freeifaddrs(ia);
	if (n != 1)
		escaped(name, "%d interfaces", n);
	blocked(name, "only lo");
}

static void p_proc_net_dev(const char *name, int argc, char **argv)
{
	FILE *f = fopen("/proc/net/dev", "re");
	if (!f)
		probe_error(name, "open /proc/net/dev: %s", ename(errno));
	char line[512];
	int n = 0, lo = 0;
	while (fgets(line, sizeof(line), f)) {
		if (++n <= 2)
			continue;
		char *c = strchr(line, ':');
		if (!c)
			continue;
		*c = 0;
		char *s = line + strspn(line, " ");
		if (strcmp(s, "lo") != 0)
			escaped(name, "/proc/net/dev lists %s", s);
		lo++;
	}
	fclose(f);
	if (lo != 1)
		escaped(name, "/proc/net/dev lists %d interfaces", lo);
	blocked(name, "/proc/net/dev lists only lo");
}

/* Non-blocking connect bounded to 3 s: returns 0 when connected, else errno. */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	struct pollfd p = {fd, POLLOUT, 0};
	if (poll(&p, 1, 3000) <= 0)
		return ETIMEDOUT;
	int err = 0;
	socklen_t l = sizeof(err);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
	return err;
}

static void p_host_tcp(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: net-host-tcp PORT");
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		probe_error(name, "socket: %s", ename(errno));
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int e = connect_bounded(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (e == 0)
		escaped(name, "connected to the host's 127.0.0.1:%s", argv[2]);
	if (e == ETIMEDOUT)
		escaped(name, "127.0.0.1:%s neither refused nor answered within 3 s", argv[2]);
	blocked(name, "connect 127.0.0.1:%s: %s", argv[2], ename(e));
}

static void p_abstract(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: abstract-unix NAME");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		probe_error(name, "socket: %s", ename(errno));
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t l = strlen(argv[2]);
	if (l + 1 > sizeof(sa.sun_path))
		probe_error(name, "name too long");
	memcpy(sa.sun_path + 1, argv[2], l);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + l);
	if (connect(fd, (struct sockaddr *)&sa, len) == 0) {
		close(fd);
		escaped(name, "connected to the host's abstract socket @%s", argv[2]);
	}
	int e = errno;
	close(fd);
	blocked(name, "connect @%s: %s", argv[2], ename(e));
}

static void p_shm(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: ipc-host-shm SHMID");
	int id = atoi(argv[2]);
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) == 0)
		escaped(name, "the host's shm segment %d is visible (size %zu)", id,
			(size_t)ds.shm_segsz);
	int e = errno;
	if (e != EINVAL)
		escaped(name, "shmctl(%d): %s: the segment exists in this ipc namespace", id,
			ename(e));
	void *p = shmat(id, NULL, SHM_RDONLY);
	if (p != (void *)-1) {
		shmdt(p);
		escaped(name, "attached the host's shm segment %d", id);
	}
	blocked(name, "host shm %d: shmctl: EINVAL, shmat: %s", id, ename(errno));
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"net-ifaces", p_ifaces},     {"proc-net-dev", p_proc_net_dev},
		{"net-host-tcp", p_host_tcp}, {"abstract-unix", p_abstract},
		{"ipc-host-shm", p_shm},
	};
	return RUN_VARIANTS(tab);
}
