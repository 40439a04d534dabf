/* SPDX-License-Identifier: MIT */
/*
 * The embedding API. Includes both the public header and the internal ones,
 * so the compiler checks that their declarations agree.
 */
#include "agent/ag3ntum-sandbox.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "policy/compile.h"
#include "policy/profile.h"
#include "policy/session.h"
#include "runtime/result.h"
#include "runtime/sandbox.h"
#include "runtime/spec_json.h"

const char *ag3_version(void)
{
	return AG3_VERSION;
}

static int set_str(char **dst, const char *v)
{
	char *c = NULL;
	if (v && !(c = strdup(v)))
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

int ag3_session_set_user(struct ag3_session *s, const char *username, const char *session_id)
{
	if (!s || (username && !*username) || (session_id && !*session_id))
		return -EINVAL;
	int r = set_str(&s->username, username);
	return r < 0 ? r : set_str(&s->session_id, session_id);
}

int ag3_session_set_ids(struct ag3_session *s, uid_t uid, gid_t gid)
{
	if (!s || uid == 0 || gid == 0 || uid == (uid_t)-1 || gid == (gid_t)-1)
		return -EINVAL;
	s->uid_set = s->gid_set = true;
	s->uid = uid;
	s->gid = gid;
	return 0;
}

int ag3_session_set_workspace(struct ag3_session *s, const char *host_path)
{
	if (!s || !host_path || host_path[0] != '/')
		return -EINVAL;
	return ag3_session_set_dir(s, AG3_DIR_WORKSPACE, host_path);
}

int ag3_run(const struct ag3_spec *spec, char *const *argv, char **result_json)
{
	struct ag3_run_opts opts = {.argv = argv, .stdio = {-1, -1, -1}, .cancel_fd = -1};
	struct ag3_result res = {0};
	int r = ag3_sandbox_run(spec, &opts, &res);
	if (r < 0)
		return r;
	if (result_json && ag3_result_to_json(&res, result_json) < 0)
		*result_json = NULL;
	r = ag3_result_exit_code(&res);
	ag3_result_clear(&res);
	return r;
}
