/* SPDX-License-Identifier: MIT */
#include "mount.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[_AG3_MOUNT_OP_MAX] = {
	[AG3_MOUNT_BIND] = "bind",     [AG3_MOUNT_TMPFS] = "tmpfs",
	[AG3_MOUNT_PROC] = "proc",     [AG3_MOUNT_DEV] = "dev",
	[AG3_MOUNT_DIR] = "dir",       [AG3_MOUNT_SYMLINK] = "symlink",
	[AG3_MOUNT_MASK] = "mask",     [AG3_MOUNT_FILE] = "file",
	[AG3_MOUNT_CHMOD] = "chmod",   [AG3_MOUNT_REMOUNT_RO] = "remount_ro",
	[AG3_MOUNT_MQUEUE] = "mqueue", [AG3_MOUNT_OVERLAY] = "overlay",
};

const char *ag3_mount_op_to_string(enum ag3_mount_op op)
{
	if ((int)op < 0 || op >= _AG3_MOUNT_OP_MAX)
		return NULL;
	return op_names[op];
}

enum ag3_mount_op ag3_mount_op_from_string(const char *s)
{
	if (!s)
		return _AG3_MOUNT_OP_INVALID;
	for (int i = 0; i < _AG3_MOUNT_OP_MAX; i++)
		if (strcmp(s, op_names[i]) == 0)
			return (enum ag3_mount_op)i;
	return _AG3_MOUNT_OP_INVALID;
}

void ag3_mount_clear(struct ag3_mount *m)
{
	if (!m)
		return;
	free(m->source);
	free(m->target);
	free(m->content);
	free(m->origin);
	for (size_t i = 0; i < m->n_lowers; i++)
		free(m->lowers[i]);
	free(m->lowers);
	free(m->workdir);
	m->source = m->target = m->content = m->origin = m->workdir = NULL;
	m->lowers = NULL;
	m->n_lowers = 0;
}

int ag3_path_check_normalized(const char *p)
{
	if (!p || p[0] != '/')
		return -EINVAL;
	size_t len = strlen(p);
	if (len >= PATH_MAX)
		return -EINVAL;
	if (len == 1)
		return 0;
	if (p[len - 1] == '/')
		return -EINVAL;
	const char *c = p + 1;
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (n > NAME_MAX)
			return -EINVAL;
		c += n;
		if (*c == '/')
			c++;
	}
	return 0;
}

int ag3_path_normalize(const char *in, char **ret)
{
	if (!in || in[0] != '/')
		return -EINVAL;
	char *out = malloc(strlen(in) + 2);
	char *w = out;
	if (!out)
		return -ENOMEM;
	for (const char *s = in; *s;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (!n || (n == 1 && s[0] == '.')) {
			s += n;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (w > out && *--w != '/')
				;
			s += n;
			continue;
		}
		*w++ = '/';
		memcpy(w, s, n);
		w += n;
		s += n;
	}
	if (w == out)
		*w++ = '/';
	*w = '\0';
	*ret = out;
	return 0;
}

bool ag3_path_is_under(const char *path, const char *prefix)
{
	if (!strcmp(prefix, "/"))
		return path[0] == '/';
	size_t n = strlen(prefix);
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

bool ag3_path_has_dotdot(const char *p)
{
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n;
	}
	return false;
}
