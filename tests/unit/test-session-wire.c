/* SPDX-License-Identifier: MIT */
/*
 * A session's wire (runtime/cmdreq.c, agent/session-server.c's hello): what the
 * command's init accepts from a client, exactly and nothing more, and what a
 * client accepts from a server.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/session-proto.h"
#include "runtime/spec_json.h"
#include "runtime/cmdreq.h"
#include "runtime/internal.h"

static struct ag3_cmd example(void)
{
	static char *argv[] = {(char *)"sh", (char *)"-c", (char *)"echo hi", NULL};
	static char *env[] = {(char *)"A=1", (char *)"LONG_NAME_2=x=y", NULL};
	struct ag3_cmd c = {
		.argv = argv, .env = env, .cwd = (char *)"/workspace/sub", .stdio = {-1, -1, -1}};
	return c;
}

static void *pack(const struct ag3_cmd *c, size_t *len)
{
	void *buf = NULL;
	cr_assert_eq(ag3_cmdreq_pack(c, &buf, len), 0);
	return buf;
}

Test(cmdreq, round_trip)
{
	struct ag3_cmd c = example();
	c.pty_mask = 5;
	c.have_winsize = true;
	c.winsize.ws_row = 40;
	size_t len;
	void *buf = pack(&c, &len);
	struct ag3_cmd p;
	char why[256] = "";
	cr_assert_eq(ag3_cmdreq_parse(buf, len, &p, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(p.argv[2], "echo hi");
	cr_assert_null(p.argv[3]);
	cr_assert_str_eq(p.env[1], "LONG_NAME_2=x=y");
	cr_assert_str_eq(p.cwd, "/workspace/sub");
	cr_assert_eq(p.pty_mask, 5u);
	cr_assert(p.have_winsize && !p.have_termios);
	cr_assert_eq(p.winsize.ws_row, 40);
	cr_assert_eq(p.stdio[0], -1);
	ag3_cmd_clear(&p);
	free(buf);
}

/* Each case: the packed example with one thing changed, refused with a reason. */
static void refused(void *buf, size_t len, const char *want)
{
	struct ag3_cmd p;
	char why[256] = "";
	cr_assert_lt(ag3_cmdreq_parse(buf, len, &p, why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, want), "'%s' lacks '%s'", why, want);
	cr_assert_null(p.argv);
	cr_assert_null(p.env);
	cr_assert_null(p.cwd);
}

Test(cmdreq, malformed_requests_are_refused)
{
	struct ag3_cmd c = example();
	size_t len;
	char *buf = pack(&c, &len);
	uint32_t *h = (uint32_t *)buf; /* magic, version, pty, argv, env, flags, blob, reserved */
	refused(buf, 10, "shorter");
	h[0] ^= 1;
	refused(buf, len, "not a command request");
	h[0] ^= 1;
	h[2] = 8;
	refused(buf, len, "unknown flags");
	h[2] = 0;
	h[7] = 1;
	refused(buf, len, "unknown flags");
	h[7] = 0;
	h[3] = 0;
	refused(buf, len, "no argv");
	h[3] = 100000;
	refused(buf, len, "too many");
	h[3] = 3;
	refused(buf, len - 1, "does not add up");
	h[3] = 4; /* one string more than there are */
	refused(buf, len, "not terminated");
	h[3] = 2; /* one fewer: bytes are left over */
	h[4] = 2;
	h[5] = 0; /* no cwd: its string is left over */
	refused(buf, len, "after its last string");
	free(buf);

	static char *bad_env[] = {(char *)"1A=x", NULL};
	c.env = bad_env;
	buf = pack(&c, &len);
	refused(buf, len, "NAME=VALUE");
	free(buf);
	static char *no_eq[] = {(char *)"PATH", NULL};
	c.env = no_eq;
	buf = pack(&c, &len);
	refused(buf, len, "NAME=VALUE");
	free(buf);
	c.env = NULL;
	c.cwd = (char *)"/workspace/../etc";
	buf = pack(&c, &len);
	refused(buf, len, "normalized");
	free(buf);
	c.cwd = (char *)"/workspace//x";
	buf = pack(&c, &len);
	refused(buf, len, "normalized");
	free(buf);
	c.cwd = (char *)"relative";
	buf = pack(&c, &len);
	refused(buf, len, "absolute");
	free(buf);
	static char *empty_name[] = {(char *)"", NULL};
	c.cwd = NULL;
	c.argv = empty_name;
	void *b2 = NULL;
	cr_assert_eq(ag3_cmdreq_pack(&c, &b2, &len), -EINVAL);
}

Test(cmdreq, fds_must_match_the_streams)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct ag3_cmd c = example();
	c.stdio[0] = c.stdio[1] = c.stdio[2] = null;
	cr_assert_eq(ag3_cmdreq_send(sv[0], &c), 0);
	struct ag3_cmd p;
	char why[256] = "";
	cr_assert_eq(ag3_cmdreq_recv(sv[1], &p, why, sizeof(why)), 0, "%s", why);
	for (int i = 0; i < 3; i++)
		cr_assert_geq(p.stdio[i], 0);
	ag3_cmd_clear(&p);

	/* a pty for 0 and 2: exactly one fd must come */
	c.pty_mask = 5;
	cr_assert_eq(ag3_cmdreq_send(sv[0], &c), 0);
	cr_assert_eq(ag3_cmdreq_recv(sv[1], &p, why, sizeof(why)), 0, "%s", why);
	cr_assert(p.stdio[0] == -1 && p.stdio[1] >= 0 && p.stdio[2] == -1);
	ag3_cmd_clear(&p);

	/* the request says three streams, the message carries one fd */
	size_t len;
	c.pty_mask = 0;
	void *buf = pack(&c, &len);
	cr_assert_eq(ag3_send_fds(sv[0], buf, len, &null, 1), 0);
	cr_assert_lt(ag3_cmdreq_recv(sv[1], &p, why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "one fd for each"), "%s", why);
	free(buf);
	close(null);
	close(sv[0]);
	close(sv[1]);
}

Test(hello, round_trip_and_errors)
{
	struct ag3_result base = {0};
	base.enforcement.root_mode = true;
	base.enforcement.uid = 50001;
	base.enforcement.landlock_abi = 7;
	base.enforcement.seccomp = true;
	ag3_result_add_degraded(&base, "memory: none");
	ag3_result_add_degraded(&base, "cpu: none");
	struct ag3_session_limits lim = {.timeout_ms = 5, .kill_grace_ms = 6, .output_bytes = 7};
	size_t len;
	void *h = ag3_hello_pack(&lim, &base, NULL, 0, NULL, &len);
	struct ag3_result r = {0};
	struct ag3_session_limits got;
	cr_assert_eq(ag3_hello_parse(h, len, &got, &r, NULL), 0);
	cr_assert_eq(got.kill_grace_ms, 6u);
	cr_assert_eq(r.enforcement.uid, 50001u);
	cr_assert_eq(r.enforcement.n_degraded, 2u);
	cr_assert_str_eq(r.enforcement.degraded[1], "cpu: none");
	ag3_result_clear(&r);
	cr_assert_eq(ag3_hello_parse(h, len - 1, &got, &r, NULL), -EPROTO);
	((char *)h)[len - 1] = 'x'; /* the last text unterminated */
	cr_assert_eq(ag3_hello_parse(h, len, &got, &r, NULL), -EPROTO);
	free(h);

	h = ag3_hello_pack(&lim, &base, NULL, EPIPE, "session: the holder is gone", &len);
	cr_assert_eq(ag3_hello_parse(h, len, &got, &r, NULL), -EPIPE);
	cr_assert_eq(r.status, AG3_STATUS_SETUP_FAILED);
	cr_assert_str_eq(r.setup_error->msg, "session: the holder is gone");
	ag3_result_clear(&r);
	ag3_result_clear(&base);
	free(h);
}

/* Allowlist mode: the session's network section rides on the hello, checked as a
 * spec's is; a section that does not check is the server not speaking right. */
Test(hello, network_section)
{
	struct ag3_result base = {0};
	struct ag3_session_limits lim = {.timeout_ms = 5}, got;
	char *d[] = {(char *)"api.example.org", (char *)"*.example.net:8443"};
	uint16_t lp[] = {8080};
	struct ag3_spec_network net = {.mode = AG3_NET_ALLOWLIST,
				       .domains = d,
				       .n_domains = 2,
				       .allow_localhost = true,
				       .localhost_ports = lp,
				       .n_localhost_ports = 1,
				       .max_connections = 7,
				       .max_connection_bytes = 99,
				       .idle_timeout_ms = 5000};
	char *json = NULL;
	cr_assert_eq(ag3_spec_network_to_json(&net, &json), 0);
	size_t len;
	void *h = ag3_hello_pack(&lim, &base, json, 0, NULL, &len);
	cr_assert_not_null(h);
	struct ag3_result r = {0};
	struct ag3_spec_network back;
	cr_assert_eq(ag3_hello_parse(h, len, &got, &r, &back), 0);
	cr_assert_eq(back.mode, AG3_NET_ALLOWLIST);
	cr_assert_eq(back.n_domains, 2u);
	cr_assert_str_eq(back.domains[1], "*.example.net:8443");
	cr_assert_eq(back.n_localhost_ports, 1u);
	cr_assert_eq(back.localhost_ports[0], 8080);
	cr_assert_eq(back.max_connections, 7u);
	cr_assert_eq(back.max_connection_bytes, 99u);
	cr_assert_eq(back.idle_timeout_ms, 5000u);
	ag3_spec_network_clear(&back);
	ag3_result_clear(&r);
	free(h);
	free(json);

	/* A rule that is not one: refused, nothing kept. */
	d[1] = (char *)"https://example.net/";
	json = NULL;
	cr_assert_eq(ag3_spec_network_to_json(&net, &json), 0);
	h = ag3_hello_pack(&lim, &base, json, 0, NULL, &len);
	cr_assert_eq(ag3_hello_parse(h, len, &got, &r, &back), -EPROTO);
	cr_assert_eq(back.n_domains, 0u);
	ag3_result_clear(&r);
	free(h);
	free(json);
}
