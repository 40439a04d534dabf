/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the init binary's inputs (runtime/init-bin.c): its
 * fields argument and its seccomp memfd. The first byte picks the reader.
 *
 * Fields that parse are AG3_INIT_N_FIELDS numbers, each -1 or more, and print
 * back to a string that parses to the same numbers; a memfd that reads gives
 * at most BPF_MAXINSNS instructions a filter, holding exactly its bytes.
 * Anything else is a bug: abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/cinit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fields(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = 0;
	long long v[AG3_INIT_N_FIELDS];
	if (ag3_init_fields_parse(s, v) == 0) {
		char back[AG3_INIT_N_FIELDS * 21 + 1];
		size_t n = 0;
		for (int i = 0; i < AG3_INIT_N_FIELDS; i++) {
			if (v[i] < -1)
				abort();
			n += (size_t)snprintf(back + n, sizeof(back) - n, "%s%lld", i ? " " : "",
					      v[i]);
		}
		long long w[AG3_INIT_N_FIELDS];
		if (ag3_init_fields_parse(back, w) != 0 || memcmp(v, w, sizeof(v)) != 0)
			abort();
	}
	free(s);
}

static void bpf(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	struct ag3_seccomp_prog p;
	if (ag3_init_bpf_read(fd, &p) == 0) {
		if (p.n_insns > BPF_MAXINSNS || p.n_extra_insns > BPF_MAXINSNS ||
		    8 + (p.n_insns + p.n_extra_insns) * sizeof(struct sock_filter) != size ||
		    (p.n_insns &&
		     memcmp(p.insns, data + 8, p.n_insns * sizeof(struct sock_filter))) ||
		    (p.n_extra_insns &&
		     memcmp(p.extra_insns, data + 8 + p.n_insns * sizeof(struct sock_filter),
			    p.n_extra_insns * sizeof(struct sock_filter))))
			abort();
		free(p.insns);
		free(p.extra_insns);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		bpf(data + 1, size - 1);
	else
		fields(data + 1, size - 1);
	return 0;
}
