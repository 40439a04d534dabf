/* SPDX-License-Identifier: MIT */
/*
 * The embedding API. Includes both the public header and the internal ones,
 * so the compiler checks that their declarations agree.
 */
#include "agent/ag3ntum-sandbox.h"

#include <stdlib.h>
#include <string.h>

#include "agent/context.h"
#include "config.h"
#include "policy/compile.h"
#include "policy/profile.h"
#include "policy/vars.h"
#include "runtime/result.h"
#include "runtime/sandbox.h"
#include "runtime/spec_json.h"

const char *ag3_version(void)
{
	return AG3_VERSION;
}

int ag3_context_set_user(struct ag3_context *ctx, const char *username, const char *session_id)
{
	if (!ctx || (username && !*username) || (session_id && !*session_id))
		return -EINVAL;
	int r = ag3_vars_set_username(ctx->vars, username);
	return r < 0 ? r : ag3_vars_set_session_id(ctx->vars, session_id);
}

int ag3_context_set_ids(struct ag3_context *ctx, uid_t uid, gid_t gid)
{
	if (!ctx || uid == 0 || gid == 0 || uid == (uid_t)-1 || gid == (gid_t)-1)
		return -EINVAL;
	ctx->vars->uid_set = ctx->vars->gid_set = true;
	ctx->vars->uid = uid;
	ctx->vars->gid = gid;
	return 0;
}

int ag3_context_set_workspace(struct ag3_context *ctx, const char *host_path)
{
	if (!ctx || !host_path || host_path[0] != '/')
		return -EINVAL;
	return ag3_vars_set_dir(ctx->vars, AG3_DIR_WORKSPACE, host_path);
}

int ag3_compile(const struct ag3_profile *profile, const struct ag3_context *ctx,
		struct ag3_spec **ret, struct ag3_error **err)
{
	/* the session's values only: no external mounts, the default uid policy */
	return ag3_compile_ex(profile, ctx ? ctx->vars : NULL, NULL, ret, err);
}

struct ag3_context *ag3_context_new(void)
{
	return ag3_context_new_with(NULL);
}

int ag3_context_set_uid_mode(struct ag3_context *ctx, const char *mode)
{
	enum ag3_uid_mode m = mode ? ag3_uid_mode_from_string(mode) : _AG3_UID_MODE_INVALID;
	if (!ctx || (int)m < 0)
		return -EINVAL;
	ctx->uid_policy.mode = m;
	return 0;
}

int ag3_context_set_api_uid(struct ag3_context *ctx, uid_t api_uid)
{
	if (!ctx || api_uid == 0 || api_uid == (uid_t)-1)
		return -EINVAL;
	ctx->uid_policy.api_uid = api_uid;
	return 0;
}

int ag3_context_check_spec(const struct ag3_context *ctx, const struct ag3_spec *spec,
			   struct ag3_error **err)
{
	if (!ctx || !spec)
		return -EINVAL;
	return ag3_context_check_spec_ids(ctx, spec, NULL, err);
}

int ag3_context_run(const struct ag3_context *ctx, const struct ag3_spec *spec, char *const *argv,
		    char **result_json)
{
	if (result_json)
		*result_json = NULL;
	if (!ctx || !spec)
		return -EINVAL;
	/* a spec from JSON was never compiled here: its ids go through the policy now */
	int r = ag3_context_check_spec_ids(ctx, spec, NULL, NULL);
	if (r < 0)
		return r;
	struct ag3_run_opts opts = {.argv = argv, .stdio = {-1, -1, -1}, .cancel_fd = -1};
	struct ag3_result res = {0};
	r = ag3_sandbox_run(spec, &opts, &res);
	if (r < 0)
		return r;
	if (result_json && ag3_result_to_json(&res, result_json) < 0)
		*result_json = NULL;
	r = ag3_result_exit_code(&res);
	ag3_result_clear(&res);
	return r;
}

int ag3_run(const struct ag3_spec *spec, char *const *argv, char **result_json)
{
	/* the default uid policy: a context of its own (only the policy is read) */
	struct ag3_context ctx = {.uid_policy = AG3_UID_POLICY_DEFAULT};
	return ag3_context_run(&ctx, spec, argv, result_json);
}
