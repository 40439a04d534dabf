/* SPDX-License-Identifier: MIT */
/*
 * The session's values (vars.h). The directory defaults follow the platform's container
 * layout (reference section 2.4): AGENT_DIR is "/", and the other directories
 * hang off it; {session_dir} is the *global* sessions dir plus the session id,
 * as the platform resolved it.
 */
#include "vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dir_names[_AG3_DIR_MAX] = {
	[AG3_DIR_AGENT] = "agent_dir",     [AG3_DIR_SESSIONS] = "sessions_dir",
	[AG3_DIR_SESSION] = "session_dir", [AG3_DIR_WORKSPACE] = "workspace_dir",
	[AG3_DIR_CONFIG] = "config_dir",   [AG3_DIR_SKILLS] = "skills_dir",
	[AG3_DIR_LOGS] = "logs_dir",       [AG3_DIR_DATA] = "data_dir",
};

/* The subdirectory of {agent_dir} that is the default, or NULL. */
static const char *const dir_default_sub[_AG3_DIR_MAX] = {
	[AG3_DIR_SESSIONS] = "sessions", [AG3_DIR_CONFIG] = "config", [AG3_DIR_SKILLS] = "skills",
	[AG3_DIR_LOGS] = "logs",         [AG3_DIR_DATA] = "data",
};

const char *ag3_dir_to_string(enum ag3_dir d)
{
	return (int)d >= 0 && d < _AG3_DIR_MAX ? dir_names[d] : NULL;
}

enum ag3_dir ag3_dir_from_string(const char *s)
{
	if (s)
		for (int i = 0; i < _AG3_DIR_MAX; i++)
			if (!strcmp(s, dir_names[i]))
				return (enum ag3_dir)i;
	return _AG3_DIR_INVALID;
}

struct ag3_vars *ag3_vars_new(void)
{
	return calloc(1, sizeof(struct ag3_vars));
}

void ag3_vars_free(struct ag3_vars *s)
{
	if (!s)
		return;
	free(s->username);
	free(s->session_id);
	for (int i = 0; i < _AG3_DIR_MAX; i++)
		free(s->dirs[i]);
	for (size_t i = 0; i < s->n_env; i++) {
		free(s->env[i].name);
		if (s->env[i].value) {
			explicit_bzero(s->env[i].value, strlen(s->env[i].value));
			free(s->env[i].value);
		}
	}
	free(s->env);
	free(s);
}

static int set_string(char **field, const char *v)
{
	char *d = NULL;
	if (v && !(d = strdup(v)))
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

int ag3_vars_set_dir(struct ag3_vars *s, enum ag3_dir d, const char *path)
{
	if ((int)d < 0 || d >= _AG3_DIR_MAX)
		return -EINVAL;
	return set_string(&s->dirs[d], path);
}

int ag3_vars_set_username(struct ag3_vars *s, const char *username)
{
	return set_string(&s->username, username);
}

int ag3_vars_set_session_id(struct ag3_vars *s, const char *session_id)
{
	return set_string(&s->session_id, session_id);
}

int ag3_vars_set_env(struct ag3_vars *s, const char *name, const char *value)
{
	if (!ag3_env_name_valid(name) || !value)
		return -EINVAL;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_env; i++)
		if (!strcmp(s->env[i].name, name)) {
			explicit_bzero(s->env[i].value, strlen(s->env[i].value));
			free(s->env[i].value);
			s->env[i].value = v;
			return 0;
		}
	char *n = strdup(name);
	struct ag3_env_var *e = n ? reallocarray(s->env, s->n_env + 1, sizeof(*e)) : NULL;
	if (!e) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	s->env = e;
	s->env[s->n_env++] = (struct ag3_env_var){.name = n, .value = v, .secret = true};
	return 0;
}

/* a + "/" + b with runs of '/' collapsed. */
static char *join(const char *a, const char *b)
{
	char *out = NULL, *w;
	if (asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	w = out;
	for (const char *r = out; *r; r++)
		if (!(*r == '/' && w > out && w[-1] == '/'))
			*w++ = *r;
	if (w > out + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return out;
}

int ag3_vars_get_dir(const struct ag3_vars *s, enum ag3_dir d, char **ret)
{
	_cleanup_free_ char *base = NULL;
	char *v;
	int r;

	if ((int)d < 0 || d >= _AG3_DIR_MAX)
		return -EINVAL;
	if (s->dirs[d] && !*s->dirs[d])
		return -EINVAL; /* set but empty: never silently "/" */
	if (s->dirs[d])
		v = join(s->dirs[d], "");
	else if (d == AG3_DIR_AGENT)
		v = strdup("/");
	else if (d == AG3_DIR_WORKSPACE)
		return -ENODATA;
	else if (d == AG3_DIR_SESSION) {
		if (!s->session_id || !*s->session_id)
			return -ENODATA;
		r = ag3_vars_get_dir(s, AG3_DIR_SESSIONS, &base);
		if (r < 0)
			return r;
		v = join(base, s->session_id);
	} else {
		r = ag3_vars_get_dir(s, AG3_DIR_AGENT, &base);
		if (r < 0)
			return r;
		v = join(base, dir_default_sub[d]);
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}
