/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/result.h"
#include "runtime/sandbox.h"

static const char exec_help[] =
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
	"  --timeout SECONDS  wall-clock limit, overriding the profile's (0: none). When it\n"
	"                     fires, the whole process tree gets SIGTERM, then SIGKILL after\n"
	"                     the profile's kill grace; the exit status is 124.\n"
	"  --result FILE      write the result record (JSON) to FILE when the run ends (its\n"
	"                     directory is resolved without following symlinks)\n"
	"  --json             print the result record (JSON, one line) on stderr at the end\n"
	"  --capture          capture stdout and stderr instead of passing them through, each\n"
	"                     capped at the profile's limits.output (default 1 MiB): the first\n"
	"                     and last halves are kept with a \"[... N bytes truncated ...]\"\n"
	"                     marker between; printed when the command ends and included in\n"
	"                     the result record (stdout/stderr: bytes, truncated, text)\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status:\n"
	"  N        the command's own exit status\n"
	"  128+N    the command was killed by signal N\n"
	"  124      the timeout fired (the whole tree was killed)\n"
	"  125      the sandbox could not be set up; one line on stderr names the stage,\n"
	"           the path and the errno. The command did not run.\n"
	"  126/127  the command could not be executed / was not found in the sandbox\n"
	"\n"
	"Examples:\n"
	"  " PROG " exec -- id\n"
	"  " PROG " exec --workspace \"$PWD\" --timeout 60 -- make test\n"
	"  " PROG " exec --profile permissions.yaml --user alice --session s1 \\\n"
	"      --uid 50001 --gid 50001 --workspace /users/alice/sessions/s1/workspace -- ls -la\n";

enum { OPT_TIMEOUT = OPT_LOCAL_FIRST, OPT_RESULT, OPT_JSON, OPT_CAPTURE, OPT_HELP };

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Writes the record to `path` through a new file renamed into place (see
 * cli_write_file_atomic): the directory is resolved without following any symlink,
 * so a result path inside a workspace the sandboxed user controls (the command may
 * have planted a link there) cannot make root write somewhere else.
 */
static int write_result_file(const char *path, const char *json)
{
	_cleanup_free_ char *line = NULL;
	int n = asprintf(&line, "%s\n", json);
	if (n < 0)
		return -ENOMEM;
	return cli_write_file_atomic(path, line, (size_t)n, 0644);
}

int cli_exec(int argc, char **argv)
{
	_cleanup_(ag3_session_freep) struct ag3_session *session = ag3_session_new();
	if (!session) {
		cli_error("out of memory");
		return 125;
	}
	struct cli_source src = {.session = session};
	const char *result_path = NULL;
	bool json = false, capture = false;
	bool timeout_set = false;
	unsigned long long timeout_s = 0;
	static const struct option local[] = {
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"result", required_argument, NULL, OPT_RESULT},
		{"json", no_argument, NULL, OPT_JSON},
		{"capture", no_argument, NULL, OPT_CAPTURE},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	optind = 1;
	int c;
	while ((c = cli_source_getopt(&src, argc, argv, "+h", local)) >= 0) {
		switch (c) {
		case OPT_TIMEOUT:
			if (cli_parse_u64(optarg, 7ULL * 24 * 3600, &timeout_s) < 0) {
				cli_error("--timeout: '%s' is not a number of seconds (0 to 604800)",
					  optarg);
				return 125;
			}
			timeout_set = true;
			break;
		case OPT_RESULT:
			result_path = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_CAPTURE:
			capture = true;
			break;
		case 'h':
		case OPT_HELP:
			printf(exec_help, cli_source_help);
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " exec --help'.\n");
			return 125;
		}
	}
	if (c == CLI_OPT_ERROR)
		return 125;
	if (optind >= argc) {
		cli_error("exec: no command given (" PROG " exec [OPTIONS] -- COMMAND [ARG...])");
		return 125;
	}

	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	if (cli_source_spec(&src, &spec) < 0)
		return 125; /* the reason is printed: the profile, session or spec is invalid */
	if (timeout_set)
		spec->limits.timeout_ms = timeout_s * 1000;

	/* SIGINT/SIGTERM/SIGHUP stop the sandbox (SIGTERM to the tree, then SIGKILL). */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);

	struct ag3_run_opts ro = {.argv = argv + optind, .stdio = {-1, -1, -1}, .cancel_fd = sfd,
				  .capture = capture};
	struct ag3_result res = {0};
	if (ag3_sandbox_run(spec, &ro, &res) < 0) {
		cli_error("exec: invalid command");
		return 125;
	}
	if (sfd >= 0)
		close(sfd);
	int code = ag3_result_exit_code(&res);
	if (capture) {
		write_all(STDOUT_FILENO, res.out.data, res.out.len);
		write_all(STDERR_FILENO, res.err.data, res.err.len);
	}
	if (res.status == AG3_STATUS_SETUP_FAILED && res.setup_error) {
		bool exec_stage = res.setup_error->stage && !strcmp(res.setup_error->stage, "exec");
		fprintf(stderr, PROG ": %s%s\n", exec_stage ? "" : "setup failed: ",
			cli_esc(res.setup_error->msg ? res.setup_error->msg
						     : strerror(res.setup_error->err)));
	} else if (res.status == AG3_STATUS_TIMEOUT) {
		fprintf(stderr, PROG ": timeout: the command ran longer than %llu ms and was killed\n",
			(unsigned long long)spec->limits.timeout_ms);
	}
	if (result_path || json) {
		char *s = NULL;
		if (ag3_result_to_json(&res, &s) < 0) {
			cli_error("result: out of memory");
		} else {
			if (json)
				cli_print_json(stderr, s);
			if (result_path) {
				int r = write_result_file(result_path, s);
				if (r < 0)
					cli_error("--result %s: %s", result_path, strerror(-r));
			}
			free(s);
		}
	}
	ag3_result_clear(&res);
	return code;
}
