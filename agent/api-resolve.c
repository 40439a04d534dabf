/* SPDX-License-Identifier: MIT */
/* The public form of the file tools' path resolver (agent/resolve.h). */
#include "agent/ag3ntum-sandbox.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/resolve.h"
#include "runtime/util/cleanup.h"
#include "runtime/util/error.h"

/* The public struct first, so that a pointer to it is a pointer to the whole. */
struct path_impl {
	struct ag3_path pub;
	struct ag3_resolution res;
	char *json;
};

int ag3_resolve_path(const struct ag3_spec *spec, const char *username, const char *session_id,
		     const struct ag3_path_rules *rules, const char *operation, const char *path,
		     unsigned flags, struct ag3_path **ret, struct ag3_error **err)
{
	if (!ret)
		return -EINVAL;
	*ret = NULL;
	if (!spec || !operation || !path)
		return ag3_error_set(err, EINVAL,
				     "ag3_resolve_path: spec, operation and path are "
				     "required");
	if (flags & ~AG3_PATH_ALLOW_DIRECTORY)
		return ag3_error_set(err, EINVAL, "ag3_resolve_path: unknown flags 0x%x",
				     flags & ~AG3_PATH_ALLOW_DIRECTORY);
	enum ag3_resolve_op op = ag3_resolve_op_from_string(operation);
	if (op < 0)
		return ag3_error_set(err, EINVAL,
				     "ag3_resolve_path: unknown operation (read, write, edit, "
				     "delete, list, glob, grep)");
	struct path_impl *p = calloc(1, sizeof(*p));
	if (!p)
		return ag3_error_set(err, ENOMEM, "out of memory");
	p->res = (struct ag3_resolution)AG3_RESOLUTION_INIT;
	struct ag3_resolve_session rs = {
		.username = username,
		.session_id = session_id,
		.blocklist = rules ? rules->blocklist : NULL,
		.exemptions = rules ? rules->exemptions : NULL,
		.readonly_prefixes = rules ? rules->readonly_prefixes : NULL,
	};
	int r = ag3_resolve(spec, &rs, path, op, flags & AG3_PATH_ALLOW_DIRECTORY, &p->res);
	if (r == 0)
		r = ag3_resolution_to_json(&p->res, op, path, &p->json);
	if (r < 0) {
		ag3_resolution_clear(&p->res);
		free(p->json);
		free(p);
		return ag3_error_set(err, -r, "ag3_resolve_path: %s", strerror(-r));
	}
	p->pub = (struct ag3_path){
		.allowed = p->res.allowed,
		.reason = ag3_resolve_reason_to_string(p->res.reason),
		.message = p->res.message ? p->res.message : "",
		.sandbox_path = p->res.sandbox_path,
		.host_path = p->res.host_path,
		.readonly = p->res.readonly,
		.is_directory = p->res.is_dir,
		.fd = p->res.fd,
		.dir_fd = p->res.dir_fd,
		.name = p->res.name,
		.json = p->json,
	};
	*ret = &p->pub;
	return 0;
}

void ag3_path_free(struct ag3_path *pub)
{
	if (!pub)
		return;
	struct path_impl *p = (struct path_impl *)pub;
	/* the caller may have taken an fd (set it to -1): close what is still ours */
	p->res.fd = pub->fd;
	p->res.dir_fd = pub->dir_fd;
	ag3_resolution_clear(&p->res);
	free(p->json);
	free(p);
}
