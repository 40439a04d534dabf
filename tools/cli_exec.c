/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "cli_diag.h"
#include "cli_options.h"
#include "runtime/relay.h"
#include "runtime/util/text.h"
#include "runtime/result.h"
#include "runtime/sandbox.h"
#include "agent/session-client.h"

const char cli_exec_help[] =
	"Usage: " PROG " exec [OPTIONS] -- COMMAND [ARG...]\n"
	"\n"
	"Runs COMMAND in a fresh sandbox and exits with its status.\n"
	"\n"
	"The sandbox: new mount, pid, ipc, uts, cgroup and network namespaces (and a user\n"
	"namespace when not run as root); a tmpfs root holding only the profile's mounts, a\n"
	"size-limited /tmp, a new /proc showing only the sandbox's processes, a minimal /dev,\n"
	"/workspace as the working directory; the network empty but for loopback; the command\n"
	"as the session's uid/gid with no supplementary groups, every capability dropped\n"
	"(bounding set included), no_new_privs, a new session, and an environment holding\n"
	"only what the profile sets. A small init is pid 1: it reaps every process, and when\n"
	"the command ends, everything it left behind is killed. Nothing outlives `exec`, even\n"
	"when `exec` itself is killed. If any step fails the command does not run.\n"
	"\n"
	"%s"
	"\n"
	"Run options:\n"
	"  --session PATH     run COMMAND in the open session whose socket is PATH (see\n"
	"                     `" PROG " session --help`) instead of a fresh sandbox: the\n"
	"                     same isolation, exit codes and result record, in a sandbox\n"
	"                     that was built once. PATH must hold a '/' (./s.sock); the\n"
	"                     profile and session options then belong to `session open`.\n"
	"  --timeout SECONDS  wall-clock limit, overriding the profile's (0: none). When it\n"
	"                     fires, the whole process tree gets SIGTERM, then SIGKILL after\n"
	"                     the profile's kill grace; the exit status is 124.\n"
	"  --result FILE      write the result record (JSON) to FILE when the run ends (its\n"
	"                     directory is resolved without following symlinks)\n"
	"  --json             print the result record (JSON, one line) on stderr at the end,\n"
	"                     as the last line: the command's stderr (and its stdout when it\n"
	"                     is the same stream) is then relayed by exec, so the command\n"
	"                     cannot end that stream or leave a line unfinished before it.\n"
	"                     A program should rather use --json-fd or --result: nothing\n"
	"                     the command writes can reach those.\n"
	"  --json-fd FD       write the result record (JSON, one line) to FD (3 or more, open\n"
	"                     in exec; the sandbox never holds it) when the run ends\n"
	"  --network-log      in allowlist mode, print a line on stderr for every name or\n"
	"                     connection the relay refuses (\"ag3ntum-sandbox: network:\n"
	"                     example.com is not in the allowlist\"); on by default when\n"
	"                     stderr is a terminal. The result record lists them all\n"
	"                     (\"network\": events) either way.\n"
	"  --no-die-with-parent\n"
	"                     keep running when the process that started exec ends (by\n"
	"                     default exec then stops the sandbox: SIGTERM to the tree,\n"
	"                     SIGKILL after the kill grace, status 143)\n"
	"  --parent-pid PID   the pid of the process starting exec (the caller's own, put\n"
	"                     in the argv before it forks): if that process has already\n"
	"                     ended when exec arms its death signal, nothing is run\n"
	"                     (exit 125). Closes the window before exec starts.\n"
	"  --capture          capture stdout and stderr instead of passing them through, each\n"
	"                     capped at the profile's limits.output (default 1 MiB): the first\n"
	"                     and last halves are kept with a \"[... N bytes truncated ...]\"\n"
	"                     marker between; printed when the command ends and included in\n"
	"                     the result record (stdout/stderr: bytes, truncated, text)\n"
	"  -h, --help         this text\n"
	"\n"
	"Terminals: when stdin, stdout or stderr is a terminal, the command gets a pty of\n"
	"the sandbox's own in its place (its controlling terminal: job control works),\n"
	"with the terminal's modes and window size, and exec relays between the two (the\n"
	"terminal in raw mode meanwhile, restored at the end; window size changes are\n"
	"passed on). The command never holds the caller's terminal. When exec is not in\n"
	"the terminal's foreground process group, nothing is read from it.\n"
	"\n"
	"Everything exec writes after the command ended (what is left of the relayed\n"
	"streams, captured output, the record on stderr or --json-fd) is given up when\n"
	"the reader has taken nothing for 5 seconds.\n"
	"\n"
	"Exit status:\n"
	"  N        the command's own exit status\n"
	"  128+N    the command was killed by signal N\n"
	"  124      the timeout fired (the whole tree was killed)\n"
	"  125      the sandbox could not be set up; one line on stderr names the stage,\n"
	"           the path and the errno. The command did not run.\n"
	"  126/127  the command could not be executed / was not found in the sandbox\n"
	"  2        a usage error (an unknown option, a bad value, no COMMAND): the\n"
	"           message names it; nothing was run, no record written\n"
	"\n"
	"Examples:\n"
	"  " PROG " exec -- id\n"
	"  " PROG " exec --workspace \"$PWD\" --timeout 60 -- make test\n"
	"  " PROG " exec --profile permissions.yaml --user alice --session s1 \\\n"
	"      --uid 50001 --gid 50001 --workspace /users/alice/sessions/s1/workspace -- ls -la\n";

/* --json-fd FD: open here, 3 or more (0, 1 and 2 are the command's own), once. */
static int parse_json_fd(void *dst, const char *arg)
{
	int *json_fd = dst;
	unsigned long long v = 0;
	if (*json_fd >= 0) {
		cli_error("--json-fd given twice");
		return -1;
	}
	if (cli_parse_u64(arg, INT_MAX, &v) < 0 || v < 3) {
		cli_error("--json-fd: '%s' is not a file descriptor of 3 or more (0, 1 "
			  "and 2 are the command's own)",
			  arg);
		return -1;
	}
	*json_fd = (int)v;
	if (fcntl(*json_fd, F_GETFD) < 0) {
		cli_error("--json-fd %d: not an open file descriptor", *json_fd);
		return -1;
	}
	/* A record the command cannot write into: not the stream of its stdio. */
	for (int i = 0; i < 3; i++)
		if (ag3_same_file(*json_fd, i)) {
			cli_error(
				"--json-fd %d: the same file as fd %d, which the command writes or "
				"reads: give the record a stream of its own",
				*json_fd, i);
			return -1;
		}
	return 0;
}

/* --parent-pid PID: the process starting exec, once. */
static int parse_parent_pid(void *dst, const char *arg)
{
	pid_t *pid = dst;
	unsigned long long v = 0;
	if (*pid > 0) {
		cli_error("--parent-pid given twice");
		return -1;
	}
	if (cli_parse_u64(arg, INT_MAX, &v) < 0 || v < 1) {
		cli_error("--parent-pid: '%s' is not a process id", arg);
		return -1;
	}
	*pid = (pid_t)v;
	return 0;
}

/* Bounded in time: a reader that stopped reading cannot hold exec (runtime/relay.h). */
static void write_bounded(struct ag3_sink *s, const char *p, size_t n)
{
	if (n)
		ag3_sink_write_all(s, p, n, AG3_FLUSH_MS);
}

static bool is_socket(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The caller's terminal while the sandbox's pty stands in for it. */
struct term {
	struct termios orig, raw;
	struct winsize ws;
	bool have_ws, raw_set;
	int fd; /* the terminal whose modes were changed */
};

/*
 * Which of the caller's fds 0-2 are terminals: each gets the sandbox's own pty
 * instead. Input is read (and the terminal put in raw mode) only when exec is in
 * the terminal's foreground process group: a background job must not take the
 * shell's input, nor stop on SIGTTIN/SIGTTOU.
 */
static void term_setup(struct ag3_run_opts *ro, struct term *t, bool capture)
{
	unsigned mask = 0;
	for (int i = 0; i < 3; i++)
		if ((i == 0 || !capture) && isatty(i))
			mask |= 1u << i;
	t->fd = -1;
	if (!mask)
		return;
	int modes = mask & 1 ? 0 : mask & 2 ? 1 : 2;
	ro->pty_out = mask & 2 ? 1 : mask & 4 ? 2 : 0;
	ro->pty_in = -1;
	if (tcgetattr(modes, &t->orig) == 0)
		ro->pty_termios = &t->orig;
	if (ioctl(ro->pty_out, TIOCGWINSZ, &t->ws) == 0)
		ro->pty_winsize = &t->ws;
	if ((mask & 1) && tcgetpgrp(0) == getpgrp()) {
		ro->pty_in = 0;
		t->raw = t->orig;
		cfmakeraw(&t->raw);
		if (ro->pty_termios && tcsetattr(0, TCSANOW, &t->raw) == 0) {
			t->raw_set = true;
			t->fd = 0;
			ro->pty_raw = &t->raw;
		}
	}
	ro->pty_mask = mask;
}

static void term_restore(struct term *t)
{
	if (t->raw_set)
		tcsetattr(t->fd, TCSANOW, &t->orig);
	t->raw_set = false;
}

/* Where the record goes: --result (its directory opened before the run), --json, --json-fd. */
struct rec_to {
	const char *result_path;
	struct cli_target result; /* dirfd -1: no --result */
	bool json;
	int json_fd;
};

/*
 * Writes the record. --result: a new file renamed into place in the directory
 * opened before the run (see cli_target_open): resolved without following any
 * symlink, so a result path inside a workspace the sandboxed user controls (the
 * command may have planted a link there) cannot make root write somewhere else.
 */
static void rec_to_clear(struct rec_to *to)
{
	cli_target_close(&to->result);
}

static void write_record(const struct ag3_result *res, const struct rec_to *to,
			 struct ag3_sink *err)
{
	if (to->result.dirfd < 0 && !to->json && to->json_fd < 0)
		return;
	_cleanup_free_ char *s = NULL;
	if (ag3_result_to_json(res, &s) < 0) {
		cli_error("result: out of memory");
		return;
	}
	/* C1 and bidi controls as \u escapes (the same values): the record may reach a
	 * terminal. One line, ending in its newline. */
	_cleanup_free_ char *j = ag3_escape_json(s);
	if (!j)
		cli_error("result: out of memory");
	size_t jlen = j ? strlen(j) : 0;
	if (to->json && j) {
		write_bounded(err, j, jlen);
		write_bounded(err, "\n", 1);
	}
	if (to->json_fd >= 0 && j) {
		struct ag3_sink rec;
		ag3_sink_open(&rec, to->json_fd);
		write_bounded(&rec, j, jlen);
		write_bounded(&rec, "\n", 1);
		ag3_sink_close(&rec);
	}
	if (to->result.dirfd >= 0) {
		_cleanup_free_ char *line = NULL;
		int n = asprintf(&line, "%s\n", j ? j : s);
		int r = n < 0 ? -ENOMEM : cli_target_write(&to->result, line, (size_t)n, 0644);
		if (r < 0)
			cli_error("--result %s: %s", to->result_path, strerror(-r));
	}
}

/*
 * A failure before the sandbox was asked for (the profile, session or spec did not
 * compile, the session cannot be reached): its line was printed; the record says so
 * too. Nothing was applied, and the record's enforcement says that. Returns 125.
 */
static int early_failure(const struct rec_to *to, int err, const char *stage, const char *path,
			 const char *msg)
{
	struct ag3_result res = {0};
	struct ag3_sink sink;
	ag3_result_setup_failed(&res, err, stage, path, msg);
	res.enforcement.unbuilt = true; /* no sandbox was asked for: nothing to report */
	ag3_sink_open(&sink, STDERR_FILENO);
	write_record(&res, to, &sink);
	ag3_sink_close(&sink);
	ag3_result_clear(&res);
	return 125;
}

int cli_exec(int argc, char **argv)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *vars = ag3_vars_new();
	if (!vars) {
		cli_error("out of memory");
		return 125;
	}
	/* Die with the parent, armed first thing; a parent that ended before it was
	 * armed is seen in getppid() changing (see README, "Supervision"). */
	const pid_t ppid = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	bool die_with_parent = true;
	pid_t parent_pid = 0;
	struct cli_source src = {.vars = vars};
	const char *result_path = NULL;
	int json_fd = -1;
	bool json = false, capture = false, net_log = false;
	bool timeout_set = false;
	unsigned long long timeout_s = 0;
	const struct cli_opt opts[] = {
		{"timeout", 0, CLI_OPT_U64, &timeout_s, .max = 7ULL * 24 * 3600,
		 .invalid = "is not a number of seconds (0 to 604800)", .given = &timeout_set},
		{"result", 0, CLI_OPT_STRING, &result_path},
		{"json", 0, CLI_OPT_FLAG, &json, .value = true},
		{"json-fd", 0, CLI_OPT_CALL, &json_fd, .call = parse_json_fd},
		{"no-die-with-parent", 0, CLI_OPT_FLAG, &die_with_parent, .value = false},
		{"parent-pid", 0, CLI_OPT_CALL, &parent_pid, .call = parse_parent_pid},
		{"capture", 0, CLI_OPT_FLAG, &capture, .value = true},
		{"network-log", 0, CLI_OPT_FLAG, &net_log, .value = true},
		{0},
	};
	const struct cli_command_options co = {
		.cmd = "exec", .help = cli_exec_help, .source = &src, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (first >= argc) {
		cli_error("exec: no command given (" PROG " exec [OPTIONS] -- COMMAND [ARG...])");
		return CLI_EXIT_USAGE;
	}

	if (!die_with_parent && parent_pid) {
		cli_error("--parent-pid and --no-die-with-parent contradict each other");
		return CLI_EXIT_USAGE;
	}
	if (!die_with_parent) {
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	} else if (getppid() != (parent_pid ? parent_pid : ppid)) {
		/* The parent ended before the signal was armed: with --parent-pid even
		 * before exec started, since the caller named its own pid in the argv. */
		cli_error("exec: the process that started exec (pid %d) ended before the sandbox "
			  "was made; nothing was run (--no-die-with-parent runs detached)",
			  (int)(parent_pid ? parent_pid : ppid));
		return 125;
	}

	/* --result: refused now, before anything runs, when the record could not be
	 * written there at the end. */
	_cleanup_(rec_to_clear) struct rec_to to = {.result_path = result_path,
						    .result = {.dirfd = -1},
						    .json = json,
						    .json_fd = json_fd};
	if (result_path) {
		int r = cli_target_open(result_path, true, &to.result);
		if (r < 0) {
			_cleanup_free_ char *msg = NULL;
			if (asprintf(&msg,
				     "--result %s: the record cannot be written there: %s (%s)",
				     result_path, strerror(-r), ag3_errno_name(-r)) < 0)
				msg = NULL;
			cli_error("%s; nothing was run", msg ? msg : "--result: out of memory");
			return early_failure(&to, -r, "result", result_path, msg);
		}
	}

	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	int conn = -1;
	if (src.session_socket) {
		/* The session's sandbox was fixed when it was opened. */
		if (src.profile_path || src.spec_path || src.mounts_path || src.n_secrets ||
		    src.n_dynamic || src.host_root || vars->username || vars->session_id ||
		    vars->uid_set || vars->gid_set || cli_vars_dirs_given(vars)) {
			cli_error("exec --session: the session's profile and values were fixed by "
				  "`session open`; give them there, not here");
			return CLI_EXIT_USAGE;
		}
		char why[512];
		conn = ag3_session_connect(src.session_socket, why, sizeof(why));
		if (conn < 0) {
			cli_error("exec: %s", cli_esc(why));
			return early_failure(&to, -conn, "session", src.session_socket, why);
		}
	} else {
		/* the profile, session or spec is invalid: file:line:col, on stderr and in
		 * the record */
		_cleanup_(ag3_error_freep) struct ag3_error *cerr = NULL;
		if (cli_source_compile(&src, &spec, &cerr) < 0) {
			cli_print_error(NULL, cerr);
			_cleanup_free_ char *msg = cerr ? ag3_error_format(cerr) : NULL;
			return early_failure(&to, cerr ? cerr->err : ENOMEM, "compile",
					     cerr ? cerr->file : NULL, msg);
		}
	}
	if (spec && timeout_set)
		spec->limits.timeout_ms = timeout_s * 1000;
	cli_exec_check_workspace(spec); /* told before the command runs, not after */

	/* SIGINT, SIGTERM, SIGHUP and the others below stop the sandbox (SIGTERM to the
	 * tree, then SIGKILL); SIGTERM is also the parent-death signal. SIGWINCH and
	 * SIGCONT concern the pty. */
	sigset_t mask, tmask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* The other signals whose default would end exec at once (and leave a terminal
	 * in raw mode, the cgroup behind): the same clean stop. */
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGALRM);
	sigemptyset(&tmask);
	sigaddset(&tmask, SIGWINCH);
	sigaddset(&tmask, SIGCONT);
	sigset_t all = mask;
	sigaddset(&all, SIGWINCH);
	sigaddset(&all, SIGCONT);
	sigprocmask(SIG_BLOCK, &all, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	int wfd = signalfd(-1, &tmask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);

	struct ag3_run_opts ro = {.argv = argv + first,
				  .stdio = {-1, -1, -1},
				  .cancel_fd = sfd,
				  .capture = capture,
				  .winch_fd = wfd,
				  /* the command's when its stdio is a terminal (README "What a
				   * sandbox is"): the pty is this terminal's stand-in */
				  .term = getenv("TERM"),
				  .net_log = net_log || isatty(STDERR_FILENO)};
	struct term term = {0};
	term_setup(&ro, &term, capture);
	if (json && !capture) {
		/* The record is the last line of stderr: the command gets a pipe for it
		 * (and for stdout and a socket stdin when they are that same stream). */
		ro.relay_mask = 4u;
		if (ag3_same_file(1, 2))
			ro.relay_mask |= 2u;
		if (is_socket(0) && ag3_same_file(0, 2))
			ro.relay_mask |= 1u;
		ro.end_line = true;
	}
	struct ag3_result res = {0};
	struct ag3_session_limits lim = {0};
	int rr = conn >= 0 ? ag3_session_client_run(conn,
						    timeout_set ? (int64_t)timeout_s * 1000 : -1,
						    &ro, NULL, &res, &lim)
			   : ag3_sandbox_run(spec, &ro, &res);
	term_restore(&term);
	if (sfd >= 0)
		close(sfd);
	if (wfd >= 0)
		close(wfd);
	if (rr < 0) {
		cli_error("exec: invalid command");
		return 125;
	}
	int code = ag3_result_exit_code(&res);
	/* stderr gets up to four writes below: one sink (one reopened description) serves
	 * them all. */
	struct ag3_sink err;
	ag3_sink_open(&err, STDERR_FILENO);
	if (capture) {
		struct ag3_sink out;
		ag3_sink_open(&out, STDOUT_FILENO);
		write_bounded(&out, res.out.data, res.out.len);
		ag3_sink_close(&out);
		write_bounded(&err, res.err.data, res.err.len);
	}
	/* With --json, stdout ends here (exec's copy of it is the last): a caller that
	 * reads stdout to its end before stderr then reads the record in time. */
	if (json) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	char line[2048] = "";
	if (res.status == AG3_STATUS_SETUP_FAILED && res.setup_error) {
		bool exec_stage = res.setup_error->stage && !strcmp(res.setup_error->stage, "exec");
		snprintf(line, sizeof(line), PROG ": %s%s\n", exec_stage ? "" : "setup failed: ",
			 cli_esc(res.setup_error->msg ? res.setup_error->msg
						      : strerror(res.setup_error->err)));
	} else if (res.status == AG3_STATUS_TIMEOUT) {
		snprintf(line, sizeof(line),
			 PROG ": timeout: the command ran longer than %llu ms and was killed\n",
			 (unsigned long long)(spec ? spec->limits.timeout_ms : lim.timeout_ms));
	} else {
		/* OOM, a seccomp kill, no network: README "Exit status of exec" */
		cli_exec_explain(spec, &res, argv + first, isatty(STDERR_FILENO), line,
				 sizeof(line));
	}
	write_bounded(&err, line, strlen(line));
	write_record(&res, &to, &err);
	ag3_sink_close(&err);
	ag3_result_clear(&res);
	return code;
}
