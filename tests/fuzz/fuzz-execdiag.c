/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the missing-interpreter diagnosis (runtime/execdiag.c):
 * the input is the file execve refused, hostile as a sandboxed command's file can
 * be (an ELF with any program headers, a #! line). It is written to a memfd and
 * diagnosed through /proc/self/fd. The interpreter it names is looked up on this
 * machine with lstat and readlink only: nothing is opened but the memfd.
 *
 * A diagnosis is one non-empty NUL-terminated sentence inside the buffer. It
 * quotes the interpreter path's bytes as the file has them (a newline, an escape
 * sequence): the CLI escapes them where it prints (README "Untrusted text in the
 * output"), the record's JSON writer too. Anything else is a bug: abort().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/execdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-execdiag", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64], buf[640];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(buf, 'x', sizeof(buf));
	if (ag3_exec_diagnose_enoent(path, buf, sizeof(buf))) {
		const char *end = memchr(buf, 0, sizeof(buf));
		if (!end || end == buf)
			abort();
	}
	close(fd);
	return 0;
}
