/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of the socket families that reach past the network
 * namespace or need raw access: AF_VSOCK (the hypervisor's channel), AF_PACKET
 * and raw or SOCK_PACKET AF_INET/AF_INET6. Creating a socket sends nothing; any socket that
 * is created is closed at once.
 * Each probe first makes the real attempt (it must fail), then repeats it with
 * an argument the kernel rejects with EINVAL before any privilege check (a
 * protocol >= IPPROTO_MAX, a type >= SOCK_MAX): only a seccomp rule produces
 * EPERM there, so the probe prints ESCAPED when the rule is gone even though
 * the capability drop alone would still stop the real call.
 * AF_VSOCK needs no privilege at all: without the rule the socket is created.
 * The families are an allowlist (unix, inet, inet6, netlink): AF_ALG and
 * AF_TIPC need no privilege either. The family is an int to the kernel: the
 * high-bit variants pass the same family with bit 32 set, which a rule
 * comparing all 64 bits misses (the CVE-2019-10063 trick, on socket()).
 * socket(AF_INET, SOCK_PACKET) is the obsolete spelling of an AF_PACKET socket;
 * the kernel checks CAP_NET_RAW before the protocol, so its invalid-argument
 * twin sets an invalid flag bit in the type (0x10: the kernel answers EINVAL
 * before creating anything; the rule compares the type's low 4 bits only).
 */
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "probe.h"

static void try_socket(const char *name, int family, int type, int proto, const char *what)
{
	int fd = socket(family, type, proto);
	int e = errno;
	if (fd >= 0) {
		close(fd);
		escaped(name, "%s: socket created", what);
	}
	if (e != EPERM)
		escaped(name, "%s reached the kernel: %s instead of seccomp's EPERM", what,
			ename(e));
}

static void p_vsock(const char *name, int argc, char **argv)
{
	try_socket(name, AF_VSOCK, SOCK_STREAM, 0, "socket(AF_VSOCK, SOCK_STREAM)");
	try_socket(name, AF_VSOCK, SOCK_DGRAM | SOCK_CLOEXEC, 0,
		   "socket(AF_VSOCK, SOCK_DGRAM|SOCK_CLOEXEC)");
	blocked(name, "EPERM");
}

static void try_raw(const char *name, long family, long type, const char *what)
{
	long fd = syscall(SYS_socket, family, type, 0L);
	int e = errno;
	if (fd >= 0) {
		close((int)fd);
		escaped(name, "%s: socket created", what);
	}
	if (e != EPERM)
		escaped(name, "%s reached the kernel: %s instead of seccomp's EPERM", what,
			ename(e));
}

static void p_vsock_high_bits(const char *name, int argc, char **argv)
{
	try_raw(name, AF_VSOCK | (1L << 32), SOCK_STREAM,
		"socket(AF_VSOCK | 1 << 32, SOCK_STREAM)");
	try_raw(name, AF_VSOCK | (1L << 63), SOCK_DGRAM, "socket(AF_VSOCK | 1 << 63, SOCK_DGRAM)");
	/* an allowed family with high bits is refused too: no value with them passes */
	try_raw(name, AF_UNIX | (1L << 32), SOCK_STREAM, "socket(AF_UNIX | 1 << 32, SOCK_STREAM)");
	blocked(name, "EPERM");
}

static void p_other_families(const char *name, int argc, char **argv)
{
	try_socket(name, 38 /* AF_ALG */, SOCK_SEQPACKET, 0, "socket(AF_ALG, SOCK_SEQPACKET)");
	try_socket(name, 30 /* AF_TIPC */, SOCK_RDM, 0, "socket(AF_TIPC, SOCK_RDM)");
	try_socket(name, 15 /* AF_KEY */, SOCK_RAW, 2, "socket(AF_KEY, SOCK_RAW)");
	try_socket(name, 4 /* AF_IPX */, SOCK_DGRAM, 0, "socket(AF_IPX, SOCK_DGRAM)");
	int sv[2];
	if (socketpair(AF_VSOCK, SOCK_STREAM, 0, sv) == 0) {
		close(sv[0]);
		close(sv[1]);
		escaped(name, "socketpair(AF_VSOCK): created");
	}
	if (errno != EPERM)
		escaped(name, "socketpair(AF_VSOCK) reached the kernel: %s", ename(errno));
	/* the allowlist lets the everyday families through */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		probe_error(name, "socket(AF_UNIX) failed: %s", ename(errno));
	close(fd);
	blocked(name,
		"EPERM for AF_ALG, AF_TIPC, AF_KEY, AF_IPX, socketpair(AF_VSOCK); AF_UNIX works");
}

static void p_packet(const char *name, int argc, char **argv)
{
	try_socket(name, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), "socket(AF_PACKET, SOCK_RAW)");
	try_socket(name, AF_PACKET, 11 /* >= SOCK_MAX */, 0, "socket(AF_PACKET, invalid type)");
	blocked(name, "EPERM");
}

static void p_inet_raw(const char *name, int argc, char **argv)
{
	try_socket(name, AF_INET, SOCK_RAW, IPPROTO_ICMP, "socket(AF_INET, SOCK_RAW, ICMP)");
	try_socket(name, AF_INET, SOCK_RAW, 999, "socket(AF_INET, SOCK_RAW, invalid protocol)");
	blocked(name, "EPERM");
}

static void p_inet_raw_flags(const char *name, int argc, char **argv)
{
	/* The type argument carries SOCK_CLOEXEC/SOCK_NONBLOCK in its high bits:
	 * a rule comparing the whole argument to SOCK_RAW would miss this. */
	try_socket(name, AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP,
		   "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC|SOCK_NONBLOCK, ICMP)");
	try_socket(name, AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 999,
		   "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC|SOCK_NONBLOCK, invalid protocol)");
	blocked(name, "EPERM");
}

static void p_inet_packet(const char *name, int argc, char **argv)
{
	try_socket(name, AF_INET, SOCK_PACKET, htons(ETH_P_ALL), "socket(AF_INET, SOCK_PACKET)");
	try_socket(name, AF_INET, SOCK_PACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL),
		   "socket(AF_INET, SOCK_PACKET|SOCK_CLOEXEC|SOCK_NONBLOCK)");
	try_socket(name, AF_INET, SOCK_PACKET | 0x10, 0,
		   "socket(AF_INET, SOCK_PACKET | invalid flag)");
	try_socket(name, AF_INET6, SOCK_PACKET | 0x10, 0,
		   "socket(AF_INET6, SOCK_PACKET | invalid flag)");
	int sv[2];
	if (socketpair(AF_INET, SOCK_PACKET | 0x10, 0, sv) == 0) {
		close(sv[0]);
		close(sv[1]);
		escaped(name, "socketpair(AF_INET, SOCK_PACKET | invalid flag): created");
	}
	if (errno != EPERM)
		escaped(name,
			"socketpair(AF_INET, SOCK_PACKET | invalid flag) reached the kernel: %s",
			ename(errno));
	blocked(name, "EPERM");
}

static void p_inet6_raw(const char *name, int argc, char **argv)
{
	try_socket(name, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "socket(AF_INET6, SOCK_RAW, ICMPV6)");
	try_socket(name, AF_INET6, SOCK_RAW, 999, "socket(AF_INET6, SOCK_RAW, invalid protocol)");
	blocked(name, "EPERM");
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"socket-vsock", p_vsock},
		{"socket-vsock-high-bits", p_vsock_high_bits},
		{"socket-other-families", p_other_families},
		{"socket-packet", p_packet},
		{"socket-inet-raw", p_inet_raw},
		{"socket-inet-raw-flags", p_inet_raw_flags},
		{"socket-inet6-raw", p_inet6_raw},
		{"socket-inet-packet", p_inet_packet},
	};
	return RUN_VARIANTS(tab);
}
