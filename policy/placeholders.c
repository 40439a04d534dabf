/* SPDX-License-Identifier: MIT */
/*
 * Placeholders in profile paths, resolved for a session, and the checks
 * every profile path goes through.
 */
#include "placeholders.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mounts/mount.h"

enum {
	PH_USERNAME = _AG3_DIR_MAX,
	PH_SESSION_ID,
	_PH_MAX,
};

_printf_(3, 4) static int cerr(struct ag3_placeholders *c, const struct ag3_pmeta *meta,
			       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ag3_error_set_atv(c->reterr, EINVAL, c->file, meta ? meta->loc.line : 0,
				  meta ? meta->loc.col : 0, NULL, fmt, ap);
	va_end(ap);
	return r;
}

static int oom(struct ag3_placeholders *c)
{
	return ag3_error_set(c->reterr, ENOMEM, "out of memory");
}

static const char *pv(const char *s, char *buf, size_t size)
{
	return ag3_yaml_preview(s, strlen(s), buf, size);
}

/* Whether a user name or session id is usable as one path component. */
bool ag3_path_component_valid(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > NAME_MAX)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

size_t ag3_placeholder_len(const char *s)
{
	size_t n = 1;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
		n++;
	return n > 1 && s[n] == '}' ? n - 1 : 0;
}

/* `{name` with no closing brace: the length of `name`, or 0. */
size_t ag3_placeholder_unterminated(const char *s)
{
	size_t n = 1;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
		n++;
	return n > 1 && s[n] != '}' ? n - 1 : 0;
}

static int placeholder_id(const char *name, size_t len)
{
	for (int d = 0; d < _AG3_DIR_MAX; d++)
		if (strlen(ag3_dir_to_string(d)) == len &&
		    !strncmp(name, ag3_dir_to_string(d), len))
			return d;
	if (len == 8 && !strncmp(name, "username", len))
		return PH_USERNAME;
	if (len == 10 && !strncmp(name, "session_id", len))
		return PH_SESSION_ID;
	return -1;
}

static int unknown_placeholder(struct ag3_placeholders *c, const struct ag3_pmeta *meta,
			       const char *what, const char *name, size_t len)
{
	char b[80];
	ag3_yaml_preview(name, len, b, sizeof(b));
	if (len == 9 && !strncmp(name, "workspace", len))
		return cerr(c, meta,
			    "%s: {workspace} is only a placeholder in permission rules; in paths "
			    "write {workspace_dir}",
			    what);
	return cerr(c, meta,
		    "%s: unknown placeholder {%s} (known: {agent_dir}, {sessions_dir}, "
		    "{session_dir}, {workspace_dir}, {config_dir}, {skills_dir}, {logs_dir}, "
		    "{data_dir}, {username}, {session_id})",
		    what, b);
}

/*
 * Replaces the placeholders in a profile string. With `ephemeral` non-NULL, a
 * {workspace_dir} without a workspace sets *ephemeral instead of failing (and
 * *ret is then NULL). With `check_only`, only unknown names are errors.
 */
int ag3_placeholders_substitute(struct ag3_placeholders *c, const struct ag3_pstr *f,
				const char *what, bool *ephemeral, bool check_only, char **ret)
{
	_cleanup_free_ char *out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);
	char b[160];
	int r = 0;

	if (!m)
		return oom(c);
	for (const char *s = f->v; *s && r == 0;) {
		size_t len = *s == '{' ? ag3_placeholder_len(s) : 0;
		size_t open = *s == '{' && !len ? ag3_placeholder_unterminated(s) : 0;
		if (open && placeholder_id(s + 1, open) >= 0) {
			ag3_yaml_preview(s + 1, open, b, sizeof(b));
			r = cerr(c, &f->meta,
				 "%s: '{%s' has no closing '}' (a placeholder is {%s})", what, b,
				 b);
			break;
		}
		if (!len) {
			fputc(*s++, m);
			continue;
		}
		int id = placeholder_id(s + 1, len);
		const char *val = NULL;
		if (id < 0) {
			r = unknown_placeholder(c, &f->meta, what, s + 1, len);
			break;
		}
		s += len + 2;
		if (id == PH_USERNAME || id == PH_SESSION_ID) {
			const char *v = id == PH_USERNAME ? c->s->username : c->s->session_id;
			const char *ph = id == PH_USERNAME ? "username" : "session_id";
			const char *flag = id == PH_USERNAME ? "--user" : "--session";
			if (check_only)
				continue;
			if (!v || !*v)
				r = cerr(c, &f->meta, "{%s} is used by %s but no %s was given", ph,
					 what, flag);
			else if (!ag3_path_component_valid(v))
				r = cerr(
					c, &f->meta,
					"{%s} is used by %s, and '%s' cannot be used in a path (it "
					"must be one path component)",
					ph, what, pv(v, b, sizeof(b)));
			val = v;
		} else if (!c->dirs[id]) {
			if (check_only)
				continue;
			if (id == AG3_DIR_WORKSPACE && ephemeral) {
				*ephemeral = true;
				continue;
			}
			if (id == AG3_DIR_WORKSPACE)
				r = cerr(c, &f->meta,
					 "{workspace_dir} is used by %s but no --workspace was "
					 "given",
					 what);
			else
				r = cerr(c, &f->meta,
					 "{session_dir} is used by %s but no --session was given "
					 "(it "
					 "is {sessions_dir}/{session_id})",
					 what);
		} else
			val = c->dirs[id];
		if (r == 0 && val)
			fputs(val, m);
	}
	if (fclose(m) != 0 && r == 0)
		return oom(c);
	if (r < 0)
		return r;
	*ret = (ephemeral && *ephemeral) || check_only ? NULL : TAKE_PTR(out);
	return 0;
}

/*
 * Normalizes an absolute path: runs of '/' and "." components collapse, a
 * trailing '/' goes; ".." components are refused (never resolved lexically:
 * that is how "/users/{username}/.." escapes).
 */
int ag3_placeholders_normalize(struct ag3_placeholders *c, const struct ag3_pmeta *meta,
			       const char *what, const char *in, char **ret)
{
	char b[160];
	if (in[0] != '/')
		return cerr(c, meta, "%s: '%s' is not an absolute path", what,
			    pv(in, b, sizeof(b)));
	if (ag3_path_has_dotdot(in))
		return cerr(c, meta, "%s: '%s' has a '..' component (not allowed in paths)", what,
			    pv(in, b, sizeof(b)));
	for (const char *p = in; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cerr(c, meta,
				    "%s: '%s' holds a control character (a newline, a tab ...)",
				    what, pv(in, b, sizeof(b)));
	static const char *const opts[] = {":size=", ":mode=", ":nr_inodes=", ":uid=", ":gid="};
	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		if (strstr(in, opts[i]))
			return cerr(
				c, meta,
				"%s: '%s' has a mount option in it: bwrap made a directory of that "
				"name (the platform's /tmp:size=100M); write the path alone (the "
				"/tmp "
				"size is sandbox.limits.tmp_size)",
				what, pv(in, b, sizeof(b)));
	_cleanup_free_ char *out = NULL;
	if (ag3_path_normalize(in, &out) < 0)
		return oom(c);
	if (ag3_path_check_normalized(out) < 0)
		return cerr(c, meta,
			    "%s: '%s' is too long (PATH_MAX, or a component over NAME_MAX)", what,
			    pv(in, b, sizeof(b)));
	*ret = TAKE_PTR(out);
	return 0;
}

int ag3_placeholders_resolve(struct ag3_placeholders *c)
{
	char b[160];
	const char *ids[2] = {c->s->username, c->s->session_id};
	static const char *const id_names[2] = {"the user name", "the session id"};

	/* they go into paths: one component each, never "..", "a/b" or "" */
	for (size_t i = 0; i < 2; i++)
		if (ids[i] && *ids[i] && !ag3_path_component_valid(ids[i]))
			return ag3_error_set(c->reterr, EINVAL,
					     "session: %s '%s' cannot be used in a path (it must "
					     "be one path component)",
					     id_names[i], pv(ids[i], b, sizeof(b)));
	for (int d = 0; d < _AG3_DIR_MAX; d++) {
		_cleanup_free_ char *v = NULL;
		int r = ag3_vars_get_dir(c->s, d, &v);
		if (r == -ENODATA)
			continue;
		if (r == -ENOMEM)
			return oom(c);
		if (r < 0 || v[0] != '/')
			return ag3_error_set(c->reterr, EINVAL,
					     "session: {%s} '%s' is not an absolute path",
					     ag3_dir_to_string(d), v ? pv(v, b, sizeof(b)) : "");
		for (const char *s = v; *s; s++)
			if (!strncmp(s, "/..", 3) && (s[3] == '/' || !s[3]))
				return ag3_error_set(c->reterr, EINVAL,
						     "session: {%s} '%s' has a '..' component",
						     ag3_dir_to_string(d), pv(v, b, sizeof(b)));
		c->dirs[d] = TAKE_PTR(v);
	}
	return 0;
}

int ag3_profile_mount_targets(const struct ag3_profile *p, const struct ag3_vars *s, char ***ret)
{
	struct ag3_vars empty = {0};
	struct ag3_error *err = NULL;
	struct ag3_placeholders c = {.s = s ? s : &empty, .file = p->file, .reterr = &err};
	const struct ag3_profile_sandbox *sb = &p->sandbox;
	const struct ag3_pmounts *sections[4] = {&sb->static_mounts, &sb->session_mounts,
						 &sb->dynamic_mounts, &sb->original_path_mounts};
	size_t cap = sb->tmpfs_paths.n + 1, n = 0;
	int r = 0;

	for (size_t i = 0; i < 4; i++)
		cap += sections[i]->n;
	char **out = calloc(cap, sizeof(char *));
	if (!out)
		return -ENOMEM;
	if (ag3_placeholders_resolve(&c) < 0) {
		/* unusable session directories: only the literal targets */
		ag3_error_free(TAKE_PTR(err));
	}
	for (size_t k = 0; k < 4 && r == 0; k++)
		for (size_t i = 0; i < sections[k]->n && r == 0; i++) {
			const struct ag3_pmount *m = &sections[k]->items[i];
			_cleanup_free_ char *t = NULL;
			if (ag3_placeholders_substitute(&c, &m->target, "target", NULL, false, &t) <
				    0 ||
			    ag3_placeholders_normalize(&c, &m->target.meta, "target", t, &out[n]) <
				    0) {
				r = err && err->err == ENOMEM ? -ENOMEM : 0;
				ag3_error_free(TAKE_PTR(err));
				continue;
			}
			n++;
		}
	for (size_t i = 0; i < sb->tmpfs_paths.n && r == 0; i++) {
		const struct ag3_pstr *t = &sb->tmpfs_paths.items[i];
		if (ag3_placeholders_normalize(&c, &t->meta, "tmpfs", t->v, &out[n]) < 0) {
			r = err && err->err == ENOMEM ? -ENOMEM : 0;
			ag3_error_free(TAKE_PTR(err));
			continue;
		}
		n++;
	}
	ag3_placeholders_clear(&c);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(out[i]);
		free(out);
		return r;
	}
	*ret = out;
	return 0;
}

void ag3_placeholders_clear(struct ag3_placeholders *ph)
{
	for (int d = 0; d < _AG3_DIR_MAX; d++) {
		free(ph->dirs[d]);
		ph->dirs[d] = NULL;
	}
}

char *ag3_placeholder_subst_username(const char *s, const char *username)
{
	char *out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);
	if (!m)
		return NULL;
	while (*s) {
		if (!strncmp(s, "{username}", 10)) {
			fputs(username ? username : "", m);
			s += 10;
		} else
			fputc(*s++, m);
	}
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
