/* SPDX-License-Identifier: MIT */
/*
 * enosys SYSCALL[,SYSCALL...] -- COMMAND [ARG...]
 *
 * Fault injection: runs COMMAND under a seccomp filter that makes the named
 * system calls fail with ENOSYS, as on a kernel that lacks them, so the
 * runtime's fallbacks (or its refusal to run) can be tested. The filter is
 * inherited by everything COMMAND starts.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: enosys SYSCALL[,SYSCALL...] -- COMMAND [ARG...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 2;
	char *list = strdup(argv[1]), *save = NULL;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "enosys: unknown system call '%s'\n", name);
			return 2;
		}
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		if (r < 0) {
			fprintf(stderr, "enosys: %s: %s\n", name, strerror(-r));
			return 2;
		}
	}
	free(list);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0) {
		perror("enosys: loading the filter");
		return 2;
	}
	seccomp_release(ctx);
	execvp(argv[3], argv + 3);
	fprintf(stderr, "enosys: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
