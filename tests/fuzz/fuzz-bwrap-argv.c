/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for bubblewrap's command line (policy/bwrap.c). The input is
 * NUL-separated words: the argv; `--args FD` reads the words after a "\x01"
 * separator (any fd). A parse either fails with a message or gives ops whose
 * strings are set as their kind needs, a command when it does not end in
 * --help/--version, and warnings that are texts. Anything else is a bug.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/bwrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t *p;
	size_t n;
	int reads;
};

static int read_fd(void *data, int fd, char **buf, size_t *len)
{
	struct src *s = data;
	(void)fd;
	if (s->reads++ > 3)
		return -EBADF;
	*buf = malloc(s->n ? s->n : 1);
	if (!*buf)
		abort();
	if (s->n)
		memcpy(*buf, s->p, s->n);
	*len = s->n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	const uint8_t *sep = memchr(data, 1, size);
	size_t an = sep ? (size_t)(sep - data) : size;
	struct src s = {.p = sep ? sep + 1 : NULL, .n = sep ? size - an - 1 : 0};
	char *buf = malloc(an + 1);
	char **argv = calloc(an + 2, sizeof(char *));
	if (!buf || !argv)
		abort();
	memcpy(buf, data, an);
	buf[an] = 0;
	int argc = 0;
	for (size_t i = 0; i <= an; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	char *const envp[] = {(char *)"A=1", (char *)"HOME=/h", NULL};
	char err[512];
	struct ag3_bwrap bw;
	if (ag3_bwrap_parse(argc, argv, envp, read_fd, &s, &bw, err, sizeof(err)) < 0) {
		if (!err[0])
			abort(); /* a refusal always says why */
	} else {
		for (size_t i = 0; i < bw.n_ops; i++) {
			const struct ag3_bw_op *op = &bw.ops[i];
			if (op->kind != AG3_BW_OVERLAY_SRC && !op->dest)
				abort();
			if ((op->kind == AG3_BW_BIND || op->kind == AG3_BW_SYMLINK) && !op->src)
				abort();
			if (op->perms > 07777)
				abort();
		}
		if (!bw.help && !bw.version && bw.argc && !bw.argv[0])
			abort();
		for (size_t i = 0; i < bw.n_warnings; i++)
			if (!bw.warnings[i] || !bw.warnings[i][0])
				abort();
		ag3_bwrap_clear(&bw);
	}
	free(argv);
	free(buf);
	return 0;
}
