/* SPDX-License-Identifier: MIT */
#include "runtime/execdiag.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_MAX 256   /* the kernel's own look at a file (BINPRM_BUF_SIZE) */
#define PHNUM_MAX 256 /* program headers read at most                     */
#define HOPS_MAX 40   /* symlinks followed, as the kernel does             */

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* PT_INTERP of a native-endian ELF file: 1 with the path in out, 0 without one. */
static int elf_interp(int fd, const unsigned char *hdr, size_t hlen, char *out, size_t olen)
{
	if (hlen < EI_NIDENT || memcmp(hdr, ELFMAG, SELFMAG) || hdr[EI_DATA] != NATIVE_DATA)
		return 0;
	bool is64 = hdr[EI_CLASS] == ELFCLASS64;
	uint64_t phoff;
	size_t phentsize, phnum;
	if (is64 && hlen >= sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr eh;
		memcpy(&eh, hdr, sizeof(eh));
		phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
		if (phentsize != sizeof(Elf64_Phdr))
			return 0;
	} else if (!is64 && hdr[EI_CLASS] == ELFCLASS32 && hlen >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr eh;
		memcpy(&eh, hdr, sizeof(eh));
		phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
		if (phentsize != sizeof(Elf32_Phdr))
			return 0;
	} else {
		return 0;
	}
	if (!phnum || phnum > PHNUM_MAX || phoff > (uint64_t)INT64_MAX / 2)
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		union {
			Elf64_Phdr p64;
			Elf32_Phdr p32;
		} ph;
		if (pread(fd, &ph, phentsize, (off_t)(phoff + i * phentsize)) != (ssize_t)phentsize)
			return 0;
		uint64_t type = is64 ? ph.p64.p_type : ph.p32.p_type;
		uint64_t off = is64 ? ph.p64.p_offset : ph.p32.p_offset;
		uint64_t size = is64 ? ph.p64.p_filesz : ph.p32.p_filesz;
		if (type != PT_INTERP)
			continue;
		/* the kernel wants a NUL-terminated path of at most PATH_MAX bytes */
		if (size < 2 || size > olen || off > (uint64_t)INT64_MAX / 2)
			return 0;
		if (pread(fd, out, size, (off_t)off) != (ssize_t)size || out[size - 1] || !out[0])
			return 0;
		return 1;
	}
	return 0;
}

/* The interpreter of a #! line: 1 with it in out, 0 without one. */
static int shebang_interp(const unsigned char *hdr, size_t hlen, char *out, size_t olen)
{
	if (hlen < 3 || hdr[0] != '#' || hdr[1] != '!')
		return 0;
	size_t i = 2;
	while (i < hlen && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	size_t s = i;
	while (i < hlen && hdr[i] != ' ' && hdr[i] != '\t' && hdr[i] != '\n' && hdr[i])
		i++;
	if (i == s || i == hlen || i - s >= olen)
		return 0; /* empty, or cut off by the header's end: not told */
	memcpy(out, hdr + s, i - s);
	out[i - s] = 0;
	return 1;
}

/* The interpreter `path` names: 1 ELF, 2 #!, 0 none (or not readable). */
static int interp_of(const char *path, char *out, size_t olen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	unsigned char hdr[HDR_MAX];
	int kind = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
		if (n > 0) {
			if (elf_interp(fd, hdr, (size_t)n, out, olen))
				kind = 1;
			else if (shebang_interp(hdr, (size_t)n, out, olen))
				kind = 2;
		}
	}
	close(fd);
	return kind;
}

/*
 * Follows the absolute `path` a component at a time, as the kernel would, each
 * symlink it passes appended to chain (" -> TARGET"). True with the first prefix
 * that does not exist in `missing`; false when all of it exists or it cannot be
 * told (an error other than ENOENT/ENOTDIR, too many links, too long).
 */
static bool first_missing(const char *path, char *chain, size_t clen, char *missing, size_t mlen)
{
	char cur[PATH_MAX], next[PATH_MAX], t[PATH_MAX];
	size_t cl = 0;
	if (path[0] != '/' || strlen(path) >= sizeof(cur))
		return false;
	strcpy(cur, path);
	chain[0] = 0;
	for (int hops = 0; hops <= HOPS_MAX; hops++) {
		size_t pos = 0;
		bool relinked = false;
		while (!relinked) {
			while (cur[pos] == '/')
				pos++;
			if (!cur[pos])
				return false; /* it all exists */
			size_t end = pos;
			while (cur[end] && cur[end] != '/')
				end++;
			char save = cur[end];
			cur[end] = 0;
			struct stat st;
			if (lstat(cur, &st) < 0) {
				if (errno != ENOENT && errno != ENOTDIR)
					return false;
				snprintf(missing, mlen, "%s", cur);
				return true;
			}
			if (!S_ISLNK(st.st_mode)) {
				cur[end] = save;
				pos = end;
				continue;
			}
			ssize_t n = readlink(cur, t, sizeof(t) - 1);
			cur[end] = save;
			if (n <= 0)
				return false;
			t[n] = 0;
			/* the target, relative to the link's directory, then the rest */
			int k = t[0] == '/' ? snprintf(next, sizeof(next), "%s%s", t, cur + end)
					    : snprintf(next, sizeof(next), "%.*s%s%s", (int)pos,
						       cur, t, cur + end);
			if (k < 0 || (size_t)k >= sizeof(next))
				return false;
			strcpy(cur, next);
			k = snprintf(chain + cl, clen - cl, " -> %s", cur);
			if (k > 0 && (size_t)k < clen - cl)
				cl += (size_t)k;
			relinked = true;
		}
	}
	return false;
}

/* One interpreter: the sentence when it is missing. */
static bool explain_missing(const char *what, const char *interp, char *buf, size_t len)
{
	char chain[1024], missing[PATH_MAX];
	if (interp[0] != '/') {
		/* relative: the kernel looks it up from the working directory */
		if (access(interp, F_OK) == 0)
			return false;
		snprintf(buf, len,
			 "%s %s is not in the sandbox (a relative path: it is looked up from the "
			 "working directory)",
			 what, interp);
		return true;
	}
	if (!first_missing(interp, chain, sizeof(chain), missing, sizeof(missing)))
		return false;
	/* the mount to add: the top-level directory when that is what is missing */
	size_t top = strcspn(missing + 1, "/") + 1;
	const char *links = chain[0] ? "it links to " : "", *sep = chain[0] ? "; " : "";
	const char *via = chain[0] ? chain + 4 : "";
	if (missing[top] == 0)
		snprintf(buf, len,
			 "%s %s is not in the sandbox (%s%s%s%s does not exist there): add a mount "
			 "with target %s",
			 what, interp, links, via, sep, missing, missing);
	else
		snprintf(buf, len, "%s %s is not in the sandbox (%s%s%s%s does not exist there)",
			 what, interp, links, via, sep, missing);
	return true;
}

bool ag3_exec_diagnose_enoent(const char *path, char *buf, size_t len)
{
	char interp[PATH_MAX], inner[PATH_MAX], what[PATH_MAX + 96];
	int kind = interp_of(path, interp, sizeof(interp));
	if (!kind)
		return false;
	if (explain_missing(kind == 1 ? "its dynamic loader" : "its interpreter (#! line)", interp,
			    buf, len))
		return true;
	/* a #! interpreter that is there, whose own dynamic loader is not */
	if (kind == 2 && interp_of(interp, inner, sizeof(inner)) == 1) {
		snprintf(what, sizeof(what), "the dynamic loader of its interpreter %s,", interp);
		return explain_missing(what, inner, buf, len);
	}
	return false;
}
