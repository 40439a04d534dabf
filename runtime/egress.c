/* SPDX-License-Identifier: MIT */
#include "egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/dns.h"
#include "runtime/httpproxy.h"
#include "runtime/netrules.h"
#include "runtime/relay.h"
#include "runtime/util/cleanup.h"

#define BUF_CAP (64u * 1024)
#define CONNECT_MS 10000   /* per connection, every address tried included */
#define CLOSING_MS 5000    /* a refusal's reply: written within this, or dropped */
#define DNS_TTL 300        /* the stub's addresses do not change while it runs */
#define LOG_LINES_MAX 32   /* refusals said on the log fd; the rest in the record */
#define ACCEPT_PER_STEP 16 /* bounded work per listener per poll round */
#define DNS_PER_STEP 64
#define LOOKUPS_MAX 16 /* lookups running at once: a thread each */

enum cstate { C_HEAD, C_RESOLVE, C_CONNECT, C_OPEN, C_CLOSING };

struct buf {
	char *p;
	size_t off, len;
};

struct conn {
	int in, out; /* the sandbox's side (accepted), the destination */
	enum cstate st;
	bool proxy, tunnel; /* came through the proxy; CONNECT */
	bool in_eof, out_eof, in_shut, out_shut;
	uint64_t id, last, deadline, bytes;
	char name[AG3_NET_NAME_MAX + 1];
	uint16_t port;
	bool local;          /* a forwarded port of the caller's 127.0.0.1 */
	int dest;            /* index in e->dests once connected, else -1 */
	struct buf up, down; /* sandbox -> destination, destination -> sandbox */
	struct addrinfo *ai, *ai_next;
	bool refused_private; /* an address was dropped as private */
	struct ag3_proxy_req req;
};

struct lookup {
	uint64_t id;
	int fd; /* the thread's own end of e->lk[1] */
	char name[AG3_NET_NAME_MAX + 1];
	char port[8];
	int gai;
	struct addrinfo *res;
};

struct ag3_egress {
	struct ag3_spec_network net;
	struct ag3_net_rule *rules;
	size_t n_rules;
	int dns;
	struct {
		int fd;
		uint16_t port;
	} lis[AG3_NET_MAX_PORTS];
	size_t n_lis;
	int lk[2];        /* lookups' results: threads write lk[1] (dup'd), we read lk[0] */
	unsigned lookups; /* started and not read back yet (their connection may be gone) */
	struct conn **conns;
	size_t n_conns;
	uint64_t next_id;
	char *names[AG3_NET_NAMES_MAX];
	size_t n_names;
	struct ag3_net_event *events;
	size_t n_events;
	uint64_t dropped;
	struct ag3_net_dest *dests;
	size_t n_dests;
	uint64_t dests_dropped;
	struct ag3_sink log;
	unsigned log_lines;
	/* what pollfds() filled, for step(): owner of each entry */
	struct pollref {
		struct conn *c; /* NULL: a listener, the stub or the lookups */
		bool out;       /* c's destination side */
	} * ref;
	size_t ref_cap;
};

/* ---- events ------------------------------------------------------------------------------- */

static const char *reason_text(const char *reason)
{
	if (!strcmp(reason, "not_allowed"))
		return "is not in the allowlist";
	if (!strcmp(reason, "port_not_allowed"))
		return "is allowed, but not on this port";
	if (!strcmp(reason, "private_address"))
		return "resolves to a private, loopback or metadata address (refused)";
	if (!strcmp(reason, "resolve_failed"))
		return "does not resolve";
	if (!strcmp(reason, "connect_failed"))
		return "could not be connected to";
	if (!strcmp(reason, "limit"))
		return "was refused: the sandbox's connection or name limit is reached";
	if (!strcmp(reason, "not_forwarded"))
		return "is not a forwarded localhost port nor an allowed name";
	return "was refused: not a request the proxy understands";
}

static void event(struct ag3_egress *e, const char *kind, const char *name, int port,
		  const char *reason)
{
	for (size_t i = 0; i < e->n_events; i++) {
		const struct ag3_net_event *x = &e->events[i];
		if (x->port == port && !strcmp(x->kind, kind) && !strcmp(x->reason, reason) &&
		    !strcmp(x->name, name))
			return; /* said once is enough (A and AAAA come in pairs) */
	}
	if (e->n_events >= AG3_NET_EVENTS_MAX) {
		e->dropped++;
		return;
	}
	char *copy = strdup(name);
	if (!copy) {
		e->dropped++;
		return;
	}
	e->events[e->n_events++] =
		(struct ag3_net_event){.kind = kind, .name = copy, .port = port, .reason = reason};
	if (e->log.fd < 0 || e->log_lines > LOG_LINES_MAX)
		return;
	char line[512];
	int n;
	if (++e->log_lines > LOG_LINES_MAX)
		n = snprintf(line, sizeof(line),
			     "ag3ntum-sandbox: network: more refusals: see the result record\n");
	else if (port >= 0)
		n = snprintf(line, sizeof(line), "ag3ntum-sandbox: network: %s port %d %s\n", name,
			     port, reason_text(reason));
	else
		n = snprintf(line, sizeof(line), "ag3ntum-sandbox: network: %s %s\n", name,
			     reason_text(reason));
	if (n > 0)
		(void)ag3_sink_write(&e->log, line, (size_t)n < sizeof(line) ? (size_t)n : 0);
}

/* The per-destination counts of a connection that got through. */
static int dest_of(struct ag3_egress *e, const char *name, uint16_t port)
{
	for (size_t i = 0; i < e->n_dests; i++)
		if (e->dests[i].port == port && !strcmp(e->dests[i].name, name))
			return (int)i;
	if (e->n_dests >= AG3_NET_EVENTS_MAX)
		return -1;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	e->dests[e->n_dests] = (struct ag3_net_dest){.name = copy, .port = port};
	return (int)e->n_dests++;
}

/* ---- rules and names ----------------------------------------------------------------------- */

static bool allowed(const struct ag3_egress *e, const char *name, uint16_t port)
{
	for (size_t i = 0; i < e->n_rules; i++)
		if (ag3_net_rule_match(&e->rules[i], name, port))
			return true;
	return false;
}

static bool forwarded(const struct ag3_egress *e, uint16_t port)
{
	for (size_t i = 0; i < e->net.n_localhost_ports; i++)
		if (e->net.localhost_ports[i] == port)
			return true;
	return false;
}

/* Name i's address: 127.77.X.Y, X = 1 + i / 250, Y = 1 + i % 250. */
static struct in_addr name_addr(size_t i)
{
	struct in_addr a;
	a.s_addr = htonl((127u << 24) | (77u << 16) | ((unsigned)(1 + i / 250) << 8) |
			 (unsigned)(1 + i % 250));
	return a;
}

/* The index of the name behind a dialed address, or -1. */
static int name_index(const struct ag3_egress *e, struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	if ((h >> 16) != ((127u << 8) | 77u))
		return -1;
	unsigned x = (h >> 8) & 0xff, y = h & 0xff;
	if (x < 1 || y < 1 || y > 250)
		return -1;
	size_t i = (size_t)(x - 1) * 250 + (y - 1);
	return i < e->n_names ? (int)i : -1;
}

/* The stub's address for an allowed name (given one the first time); -1 when full. */
static int name_assign(struct ag3_egress *e, const char *name)
{
	for (size_t i = 0; i < e->n_names; i++)
		if (!strcmp(e->names[i], name))
			return (int)i;
	if (e->n_names >= AG3_NET_NAMES_MAX || !(e->names[e->n_names] = strdup(name)))
		return -1;
	return (int)e->n_names++;
}

/* ---- the DNS stub -------------------------------------------------------------------------- */

static void dns_one(struct ag3_egress *e, const uint8_t *msg, size_t len,
		    const struct sockaddr_storage *from, socklen_t fromlen)
{
	uint8_t out[600];
	ssize_t n;
	struct ag3_dns_query q;
	if (ag3_dns_parse_query(msg, len, &q) < 0) {
		n = ag3_dns_build_error(msg, len, AG3_DNS_FORMERR, out, sizeof(out));
	} else if (q.qclass != 1) {
		n = ag3_dns_build_reply(&q, msg, AG3_DNS_REFUSED, NULL, 0, out, sizeof(out));
	} else if (!q.name[0] || !allowed(e, q.name, 0)) {
		/* Never asked upstream: a name outside the list leaves no trace beyond here. */
		if (q.name[0] && strcmp(q.name, "localhost"))
			event(e, "dns", q.name, -1, "not_allowed");
		n = ag3_dns_build_reply(&q, msg, AG3_DNS_NXDOMAIN, NULL, 0, out, sizeof(out));
	} else {
		int i = name_assign(e, q.name);
		if (i < 0) {
			event(e, "dns", q.name, -1, "limit");
			n = ag3_dns_build_reply(&q, msg, AG3_DNS_REFUSED, NULL, 0, out,
						sizeof(out));
		} else {
			struct in_addr a = name_addr((size_t)i);
			/* A gets the address; AAAA and the rest an empty answer (NODATA). */
			n = ag3_dns_build_reply(&q, msg, AG3_DNS_NOERROR, &a, DNS_TTL, out,
						sizeof(out));
		}
	}
	if (n > 0)
		(void)sendto(e->dns, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
			     (const struct sockaddr *)from, fromlen);
}

static void dns_step(struct ag3_egress *e)
{
	for (int k = 0; k < DNS_PER_STEP; k++) {
		uint8_t msg[1500];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(e->dns, msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if ((size_t)n > sizeof(msg))
			n = 0; /* truncated: not a query we answer (a header-only FORMERR) */
		dns_one(e, msg, n ? (size_t)n : 12, &from, fromlen);
	}
}

/* ---- connections --------------------------------------------------------------------------- */

static void conn_free(struct ag3_egress *e, size_t i)
{
	struct conn *c = e->conns[i];
	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0)
		close(c->out);
	if (c->ai)
		freeaddrinfo(c->ai);
	ag3_proxy_req_clear(&c->req);
	free(c->up.p);
	free(c->down.p);
	free(c);
	e->conns[i] = e->conns[--e->n_conns];
}

/* Ends a connection: the sandbox's side sees a reset, not an orderly end. */
static void conn_reset(struct conn *c)
{
	if (c->in >= 0) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		(void)setsockopt(c->in, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	c->st = C_CLOSING;
	c->down.len = 0;
	c->deadline = 0; /* freed on the next step */
}

static void buf_put(struct buf *b, const char *p, size_t n)
{
	if (b->off + b->len + n > BUF_CAP) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	if (n > BUF_CAP - b->off - b->len)
		n = BUF_CAP - b->off - b->len;
	memcpy(b->p + b->off + b->len, p, n);
	b->len += n;
}

/* A refusal: the proxy's client gets an HTTP answer, any other one a reset. */
static void refuse(struct ag3_egress *e, struct conn *c, const char *reason, int status)
{
	event(e, "connect", c->name[0] ? c->name : "?", c->port, reason);
	if (!c->proxy || c->st == C_OPEN) {
		conn_reset(c);
		return;
	}
	char body[400], head[600];
	int bn = snprintf(body, sizeof(body), "ag3ntum-sandbox: network: %s port %u %s\n",
			  c->name[0] ? c->name : "the request", c->port, reason_text(reason));
	if (bn < 0 || (size_t)bn >= sizeof(body))
		bn = 0;
	int hn = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
			  "Connection: close\r\nX-Ag3ntum-Sandbox-Reason: %s\r\n\r\n",
			  status,
			  status == 403   ? "Forbidden"
			  : status == 400 ? "Bad Request"
			  : status == 503 ? "Service Unavailable"
					  : "Bad Gateway",
			  bn, reason);
	c->down.off = c->down.len = 0;
	if (hn > 0 && (size_t)hn < sizeof(head))
		buf_put(&c->down, head, (size_t)hn);
	buf_put(&c->down, body, (size_t)bn);
	if (c->out >= 0) {
		close(c->out);
		c->out = -1;
	}
	c->st = C_CLOSING;
	c->deadline = ag3_now_ms() + CLOSING_MS;
}

static void *lookup_main(void *arg)
{
	struct lookup *l = arg;
	const struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV, .ai_family = AF_UNSPEC};
	l->gai = getaddrinfo(l->name, l->port, &hints, &l->res);
	int fd = l->fd;
	/* From here the relay owns l, unless it is gone (its end closed). */
	if (send(fd, &l, sizeof(l), MSG_NOSIGNAL) != (ssize_t)sizeof(l)) {
		if (l->res)
			freeaddrinfo(l->res);
		free(l);
	}
	close(fd);
	return NULL;
}

/* The real name is looked up on the host, in a thread of its own: getaddrinfo
 * blocks, the supervisor must not. */
static void start_lookup(struct ag3_egress *e, struct conn *c)
{
	/* A sandbox that opens and drops connections to a slow name must not pile up
	 * threads: the lookups of connections already gone count too. */
	if (e->lookups >= LOOKUPS_MAX) {
		refuse(e, c, "limit", 503);
		return;
	}
	struct lookup *l = calloc(1, sizeof(*l));
	if (!l || (l->fd = fcntl(e->lk[1], F_DUPFD_CLOEXEC, 3)) < 0) {
		free(l);
		refuse(e, c, "resolve_failed", 502);
		return;
	}
	l->id = c->id;
	snprintf(l->name, sizeof(l->name), "%s", c->name);
	snprintf(l->port, sizeof(l->port), "%u", c->port);
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	sigfillset(&all);
	/* The thread takes no signal of the supervisor's. */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_attr_init(&attr);
	if (!r) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 1024 * 1024); /* NSS modules may be greedy */
		r = pthread_create(&t, &attr, lookup_main, l);
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		close(l->fd);
		free(l);
		refuse(e, c, "resolve_failed", 502);
		return;
	}
	e->lookups++;
	c->st = C_RESOLVE;
	c->deadline = ag3_now_ms() + CONNECT_MS;
}

/* Tries the next address; when none is left, the connection is refused. */
static void connect_next(struct ag3_egress *e, struct conn *c)
{
	if (c->out >= 0) {
		close(c->out);
		c->out = -1;
	}
	for (; c->ai_next; c->ai_next = c->ai_next->ai_next) {
		const struct addrinfo *a = c->ai_next;
		if (!c->local && !e->net.allow_private &&
		    ag3_net_addr_refusal(a->ai_addr, a->ai_addrlen)) {
			c->refused_private = true;
			continue;
		}
		int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			close(fd);
			continue;
		}
		c->out = fd;
		c->ai_next = c->ai_next->ai_next;
		c->st = C_CONNECT;
		return;
	}
	refuse(e, c, c->refused_private ? "private_address" : "connect_failed",
	       c->refused_private ? 403 : 502);
}

static void lookups_step(struct ag3_egress *e)
{
	for (int k = 0; k < 64; k++) {
		struct lookup *l;
		ssize_t n = recv(e->lk[0], &l, sizeof(l), MSG_DONTWAIT);
		if (n != (ssize_t)sizeof(l))
			return;
		e->lookups--;
		struct conn *c = NULL;
		for (size_t i = 0; i < e->n_conns && !c; i++)
			if (e->conns[i]->id == l->id && e->conns[i]->st == C_RESOLVE)
				c = e->conns[i];
		if (c && (l->gai || !l->res)) {
			refuse(e, c, "resolve_failed", 502);
		} else if (c) {
			c->ai = c->ai_next = l->res;
			l->res = NULL;
			connect_next(e, c);
		}
		if (l->res)
			freeaddrinfo(l->res);
		free(l);
	}
}

/* The connection names its destination: check it, then resolve (or, for a
 * forwarded localhost port, connect). */
static void route(struct ag3_egress *e, struct conn *c)
{
	if (c->local) {
		struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in));
		if (!ai) {
			refuse(e, c, "connect_failed", 502);
			return;
		}
		struct sockaddr_in *sin = (struct sockaddr_in *)(ai + 1);
		sin->sin_family = AF_INET;
		sin->sin_port = htons(c->port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ai->ai_family = AF_INET;
		ai->ai_addr = (struct sockaddr *)sin;
		ai->ai_addrlen = sizeof(*sin);
		/* One block, ours: not for freeaddrinfo. */
		c->ai_next = ai;
		c->ai = NULL;
		c->deadline = ag3_now_ms() + CONNECT_MS;
		connect_next(e, c);
		free(ai);
		return;
	}
	if (!allowed(e, c->name, 0)) {
		refuse(e, c, "not_allowed", 403);
		return;
	}
	if (!allowed(e, c->name, c->port)) {
		refuse(e, c, "port_not_allowed", 403);
		return;
	}
	start_lookup(e, c);
}

static void conn_opened(struct ag3_egress *e, struct conn *c)
{
	c->st = C_OPEN;
	c->dest = dest_of(e, c->local ? "localhost" : c->name, c->port);
	if (c->dest < 0)
		e->dests_dropped++; /* the record says how many went unlisted */
	if (c->dest >= 0) {
		e->dests[c->dest].connections++;
		e->dests[c->dest].bytes_out += c->up.len; /* a proxied request's head */
	}
	if (c->ai) {
		freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
	}
	if (c->tunnel) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		buf_put(&c->down, ok, sizeof(ok) - 1);
	}
}

/* The proxy's request head, read from the sandbox into c->up. */
static void head_step(struct ag3_egress *e, struct conn *c)
{
	ssize_t r = ag3_proxy_parse(c->up.p + c->up.off, c->up.len, &c->req);
	if (r == 0)
		return;
	if (r < 0) {
		snprintf(c->name, sizeof(c->name), "%s", "(proxy request)");
		refuse(e, c, "bad_request", 400);
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", c->req.host);
	c->port = c->req.port;
	c->tunnel = c->req.connect;
	/* What follows the head goes on as it is; a plain request's head is rewritten. */
	c->up.off += (size_t)r;
	c->up.len -= (size_t)r;
	if (!c->tunnel && c->req.head) {
		char *rest = malloc(c->up.len ? c->up.len : 1);
		if (!rest) {
			refuse(e, c, "bad_request", 400);
			return;
		}
		memcpy(rest, c->up.p + c->up.off, c->up.len);
		size_t n = c->up.len;
		c->up.off = c->up.len = 0;
		buf_put(&c->up, c->req.head, c->req.head_len);
		buf_put(&c->up, rest, n);
		free(rest);
	}
	route(e, c);
}

/* Takes one connection from the listener: false when there was none. */
static bool accept_one(struct ag3_egress *e, int lfd, uint16_t lport)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return false;
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	char dialed[INET_ADDRSTRLEN] = "?";
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 || me.sin_family != AF_INET) {
		close(fd);
		return true;
	}
	inet_ntop(AF_INET, &me.sin_addr, dialed, sizeof(dialed));
	const uint16_t port = ntohs(me.sin_port);
	if (port != lport) {
		close(fd);
		return true;
	}
	const int idx = name_index(e, me.sin_addr);
	struct conn *c = NULL;
	if (e->n_conns >= e->net.max_connections || !(c = calloc(1, sizeof(*c))) ||
	    !(c->up.p = malloc(BUF_CAP)) || !(c->down.p = malloc(BUF_CAP))) {
		if (c) {
			free(c->up.p);
			free(c);
		}
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
		event(e, "connect", idx >= 0 ? e->names[idx] : dialed, port, "limit");
		return true;
	}
	c->in = fd;
	c->out = -1;
	c->dest = -1;
	c->id = ++e->next_id;
	c->port = port;
	c->last = ag3_now_ms();
	e->conns[e->n_conns++] = c;
	struct in_addr proxy;
	inet_pton(AF_INET, AG3_NET_PROXY_ADDR, &proxy);
	if (me.sin_addr.s_addr == proxy.s_addr && port == AG3_NET_PROXY_PORT) {
		c->proxy = true;
		c->st = C_HEAD;
		c->deadline = c->last + CONNECT_MS;
	} else if (idx >= 0) {
		snprintf(c->name, sizeof(c->name), "%s", e->names[idx]);
		route(e, c);
	} else if (ntohl(me.sin_addr.s_addr) == INADDR_LOOPBACK && e->net.allow_localhost &&
		   forwarded(e, port)) {
		c->local = true;
		snprintf(c->name, sizeof(c->name), "%s", "127.0.0.1");
		route(e, c);
	} else {
		snprintf(c->name, sizeof(c->name), "%s", dialed);
		refuse(e, c, "not_forwarded", 403);
	}
	return true;
}

/* Moves bytes from `from` into b (when it has room, and while b holds less than
 * `max`). 1: EOF, -1: error, 0: else. */
static int pull(struct ag3_egress *e, struct conn *c, int from, struct buf *b, size_t max)
{
	if (b->off + b->len >= BUF_CAP && b->off) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	size_t room = BUF_CAP - b->off - b->len;
	if (b->len >= max)
		return 0;
	if (room > max - b->len)
		room = max - b->len;
	if (!room)
		return 0;
	ssize_t n = recv(from, b->p + b->off + b->len, room, MSG_DONTWAIT);
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	b->len += (size_t)n;
	c->bytes += (size_t)n;
	c->last = ag3_now_ms();
	if (c->dest >= 0) {
		if (b == &c->up)
			e->dests[c->dest].bytes_out += (size_t)n;
		else
			e->dests[c->dest].bytes_in += (size_t)n;
	}
	return 0;
}

static int push(struct conn *c, int to, struct buf *b)
{
	if (!b->len)
		return 0;
	ssize_t n = send(to, b->p + b->off, b->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	b->off += (size_t)n;
	b->len -= (size_t)n;
	if (!b->len)
		b->off = 0;
	c->last = ag3_now_ms();
	return 0;
}

/* One connection after poll. false: it is done (the caller frees it). */
static bool conn_step(struct ag3_egress *e, struct conn *c, short rin, short rout)
{
	const uint64_t now = ag3_now_ms();
	switch (c->st) {
	case C_HEAD:
		if (rin & (POLLIN | POLLHUP | POLLERR)) {
			/* No more than a head can be: the rewritten head and what came
			 * with it then always fit in the buffer. */
			int r = pull(e, c, c->in, &c->up, AG3_PROXY_HEAD_MAX);
			if (r) {
				return false; /* gone before it asked for anything */
			}
			head_step(e, c);
		} else if (now >= c->deadline) {
			return false;
		}
		return true;
	case C_RESOLVE:
		if (now >= c->deadline)
			refuse(e, c, "resolve_failed", 504);
		return true;
	case C_CONNECT:
		if (rout & (POLLOUT | POLLERR | POLLHUP)) {
			int err = 0;
			socklen_t el = sizeof(err);
			if (getsockopt(c->out, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
			if (!err)
				conn_opened(e, c);
			else
				connect_next(e, c);
		} else if (now >= c->deadline) {
			refuse(e, c, "connect_failed", 504);
		}
		return true;
	case C_CLOSING:
		if (c->in < 0 || !c->deadline || now >= c->deadline)
			return false;
		if (push(c, c->in, &c->down) < 0 || !c->down.len) {
			shutdown(c->in, SHUT_WR);
			return false;
		}
		return true;
	case C_OPEN:
		break;
	}
	/* Both ways, as far as the buffers and the sockets let them move. */
	if (!c->in_eof && (rin & (POLLIN | POLLHUP | POLLERR))) {
		int r = pull(e, c, c->in, &c->up, BUF_CAP);
		if (r < 0)
			return false;
		c->in_eof = r == 1;
	}
	if (!c->out_eof && (rout & (POLLIN | POLLHUP | POLLERR))) {
		int r = pull(e, c, c->out, &c->down, BUF_CAP);
		if (r < 0)
			return false;
		c->out_eof = r == 1;
	}
	if (push(c, c->out, &c->up) < 0 || push(c, c->in, &c->down) < 0)
		return false;
	if (c->in_eof && !c->up.len && !c->out_shut) {
		shutdown(c->out, SHUT_WR);
		c->out_shut = true;
	}
	if (c->out_eof && !c->down.len && !c->in_shut) {
		shutdown(c->in, SHUT_WR);
		c->in_shut = true;
	}
	if (c->in_shut && c->out_shut)
		return false;
	if (e->net.max_connection_bytes && c->bytes > e->net.max_connection_bytes) {
		event(e, "connect", c->local ? "localhost" : c->name, c->port, "limit");
		return false;
	}
	return now < c->last + e->net.idle_timeout_ms;
}

/* ---- the object ---------------------------------------------------------------------------- */

struct ag3_egress *ag3_egress_new(const struct ag3_spec_network *net, int log_fd)
{
	struct ag3_egress *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->dns = e->lk[0] = e->lk[1] = -1;
	e->log.fd = -1;
	e->net = *net;
	e->net.domains = NULL;
	e->net.n_domains = 0;
	e->net.localhost_ports = NULL;
	e->net.n_localhost_ports = 0;
	if (net->n_localhost_ports) {
		e->net.localhost_ports = calloc(net->n_localhost_ports, sizeof(uint16_t));
		if (!e->net.localhost_ports)
			goto fail;
		memcpy(e->net.localhost_ports, net->localhost_ports,
		       net->n_localhost_ports * sizeof(uint16_t));
		e->net.n_localhost_ports = net->n_localhost_ports;
	}
	if (net->n_domains && !(e->rules = calloc(net->n_domains, sizeof(*e->rules))))
		goto fail;
	for (size_t i = 0; i < net->n_domains; i++)
		if (ag3_net_rule_parse(net->domains[i], &e->rules[e->n_rules], NULL) == 0)
			e->n_rules++;
	if (!(e->conns = calloc(e->net.max_connections ? e->net.max_connections : 1,
				sizeof(*e->conns))) ||
	    !(e->events = calloc(AG3_NET_EVENTS_MAX, sizeof(*e->events))) ||
	    !(e->dests = calloc(AG3_NET_EVENTS_MAX, sizeof(*e->dests))))
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, e->lk) < 0)
		goto fail;
	if (log_fd >= 0)
		ag3_sink_open(&e->log, log_fd);
	return e;
fail:
	ag3_egress_finish(e, NULL);
	return NULL;
}

void ag3_egress_take_fd(struct ag3_egress *e, unsigned kind, unsigned port, int fd)
{
	if (kind == AG3_NET_FD_DNS && e->dns < 0) {
		e->dns = fd;
		return;
	}
	if (kind == AG3_NET_FD_TCP && port && port <= UINT16_MAX && e->n_lis < AG3_NET_MAX_PORTS) {
		bool dup = false;
		for (size_t i = 0; i < e->n_lis; i++)
			dup |= e->lis[i].port == port;
		if (!dup) {
			e->lis[e->n_lis].fd = fd;
			e->lis[e->n_lis++].port = (uint16_t)port;
			return;
		}
	}
	close(fd);
}

size_t ag3_egress_max_poll(const struct ag3_egress *e)
{
	return 2 + AG3_NET_MAX_PORTS + 2 * (size_t)e->net.max_connections;
}

size_t ag3_egress_pollfds(struct ag3_egress *e, struct pollfd *p)
{
	size_t n = 0, need = ag3_egress_max_poll(e);
	if (e->ref_cap < need) {
		struct pollref *r = realloc(e->ref, need * sizeof(*r));
		if (!r)
			return 0;
		e->ref = r;
		e->ref_cap = need;
	}
	if (e->dns >= 0) {
		e->ref[n] = (struct pollref){0};
		p[n++] = (struct pollfd){.fd = e->dns, .events = POLLIN};
	}
	e->ref[n] = (struct pollref){0};
	p[n++] = (struct pollfd){.fd = e->lk[0], .events = POLLIN};
	for (size_t i = 0; i < e->n_lis; i++) {
		/* Polled at the limit too: a connection past it is accepted and reset,
		 * with a "limit" event, rather than left waiting in the backlog. */
		e->ref[n] = (struct pollref){0};
		p[n++] = (struct pollfd){.fd = e->lis[i].fd, .events = POLLIN};
	}
	for (size_t i = 0; i < e->n_conns; i++) {
		struct conn *c = e->conns[i];
		short in = 0, out = 0;
		switch (c->st) {
		case C_HEAD:
			in = POLLIN;
			break;
		case C_CONNECT:
			out = POLLOUT;
			break;
		case C_CLOSING:
			in = c->down.len ? POLLOUT : 0;
			break;
		case C_OPEN:
			if (!c->in_eof && c->up.len < BUF_CAP)
				in |= POLLIN;
			if (c->down.len)
				in |= POLLOUT;
			if (!c->out_eof && c->down.len < BUF_CAP)
				out |= POLLIN;
			if (c->up.len)
				out |= POLLOUT;
			break;
		case C_RESOLVE:
			break;
		}
		/* A side with nothing to wait for is not polled at all: a hung-up socket
		 * would report POLLHUP on every round (a spin while a lookup runs). */
		e->ref[n] = (struct pollref){.c = c};
		p[n++] = (struct pollfd){.fd = in ? c->in : -1, .events = in};
		e->ref[n] = (struct pollref){.c = c, .out = true};
		p[n++] = (struct pollfd){.fd = out ? c->out : -1, .events = out};
	}
	return n;
}

void ag3_egress_step(struct ag3_egress *e, const struct pollfd *p, size_t n)
{
	/* The connections polled, with what they got (a connection made below was not). */
	for (size_t k = 0; k < n; k++) {
		if (!e->ref[k].c || e->ref[k].out)
			continue;
		struct conn *c = e->ref[k].c;
		short rin = p[k].revents, rout = k + 1 < n ? p[k + 1].revents : 0;
		size_t i = 0;
		while (i < e->n_conns && e->conns[i] != c)
			i++;
		if (i < e->n_conns && !conn_step(e, c, rin, rout))
			conn_free(e, i);
	}
	for (size_t k = 0; k < n; k++) {
		if (e->ref[k].c || !(p[k].revents & POLLIN))
			continue;
		if (p[k].fd == e->dns) {
			dns_step(e);
		} else if (p[k].fd == e->lk[0]) {
			lookups_step(e);
		} else {
			for (size_t i = 0; i < e->n_lis; i++)
				if (e->lis[i].fd == p[k].fd)
					for (int a = 0; a < ACCEPT_PER_STEP; a++)
						if (!accept_one(e, e->lis[i].fd, e->lis[i].port))
							break;
		}
	}
	/* Deadlines of connections that got nothing this round. */
	const uint64_t now = ag3_now_ms();
	for (size_t i = 0; i < e->n_conns;) {
		struct conn *c = e->conns[i];
		bool due = (c->st == C_CLOSING && (!c->deadline || now >= c->deadline)) ||
			   (c->st == C_OPEN && now >= c->last + e->net.idle_timeout_ms) ||
			   ((c->st == C_RESOLVE || c->st == C_CONNECT || c->st == C_HEAD) &&
			    now >= c->deadline);
		if (due && !conn_step(e, c, 0, 0)) {
			conn_free(e, i);
			continue;
		}
		i++;
	}
}

int ag3_egress_wait_ms(const struct ag3_egress *e)
{
	uint64_t next = 0;
	for (size_t i = 0; i < e->n_conns; i++) {
		const struct conn *c = e->conns[i];
		uint64_t d = c->st == C_OPEN ? c->last + e->net.idle_timeout_ms : c->deadline;
		if (!next || d < next)
			next = d;
	}
	if (!e->n_conns)
		return -1;
	uint64_t now = ag3_now_ms();
	return next <= now ? 0 : next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

void ag3_egress_finish(struct ag3_egress *e, struct ag3_result *res)
{
	if (!e)
		return;
	while (e->n_conns)
		conn_free(e, e->n_conns - 1);
	if (e->dns >= 0)
		close(e->dns);
	for (size_t i = 0; i < e->n_lis; i++)
		close(e->lis[i].fd);
	/* Lookups done but not read yet are freed here; one still running finds
	 * its end closed and frees what it has. */
	if (e->lk[0] >= 0) {
		struct lookup *l;
		while (recv(e->lk[0], &l, sizeof(l), MSG_DONTWAIT) == (ssize_t)sizeof(l)) {
			if (l->res)
				freeaddrinfo(l->res);
			free(l);
		}
		close(e->lk[0]);
	}
	if (e->lk[1] >= 0)
		close(e->lk[1]);
	ag3_sink_close(&e->log);
	for (size_t i = 0; i < e->n_names; i++)
		free(e->names[i]);
	if (res) {
		res->network.relayed = true;
		res->network.events = e->events;
		res->network.n_events = e->n_events;
		res->network.events_dropped = e->dropped;
		res->network.dests = e->dests;
		res->network.n_dests = e->n_dests;
		res->network.dests_dropped = e->dests_dropped;
	} else {
		for (size_t i = 0; i < e->n_events; i++)
			free(e->events[i].name);
		free(e->events);
		for (size_t i = 0; i < e->n_dests; i++)
			free(e->dests[i].name);
		free(e->dests);
	}
	free(e->ref);
	free(e->conns);
	free(e->rules);
	free(e->net.localhost_ports);
	free(e);
}
