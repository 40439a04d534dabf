/* SPDX-License-Identifier: MIT */
/*
 * The path resolver of the agent platform's file tools (Read, Write, Edit,
 * Glob, Grep, LS): the platform's PathValidator rules computed from the same
 * compiled spec the sandbox is built from. A path a file tool may write is a
 * path the sandbox has read-write, and the answer carries an fd opened beneath
 * the bind's host source (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so
 * the caller uses exactly the object that was checked: no path is resolved
 * again after the decision. The fd is opened with the CALLER's credentials
 * (often root), not the sandbox uid's: only the platform's areas (workspace,
 * skills, persistent, external/dynamic/original-path mounts) resolve, never
 * the profile's system binds (/etc, /usr ...) or its other session mounts
 * (/venv, /root/.ssh ...).
 *
 * README "Resolving paths for file tools" has the semantics, the reason codes
 * and every difference from the platform's validator.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "runtime/spec.h"

enum ag3_resolve_op {
	AG3_RESOLVE_READ,
	AG3_RESOLVE_WRITE,
	AG3_RESOLVE_EDIT,
	AG3_RESOLVE_DELETE,
	AG3_RESOLVE_LIST,
	AG3_RESOLVE_GLOB,
	AG3_RESOLVE_GREP,
	_AG3_RESOLVE_OP_MAX,
	_AG3_RESOLVE_OP_INVALID = -EINVAL,
};

/* Why: the platform's codes first, then ours (README lists them). */
enum ag3_resolve_reason {
	AG3_REASON_ALLOWED,
	AG3_REASON_PATH_INVALID,                 /* empty, NUL or control char, too long      */
	AG3_REASON_PATH_TRAVERSAL,               /* ".." out of the area it started in        */
	AG3_REASON_CROSS_USER_ACCESS_BLOCKED,    /* /users/<another user>/...                  */
	AG3_REASON_CROSS_SESSION_ACCESS_BLOCKED, /* /users/<user>/sessions/<another session>   */
	AG3_REASON_OUTSIDE_ALLOWED,              /* no area covers it (a system bind is none) */
	AG3_REASON_SANDBOX_PRIVATE,              /* a tmpfs, /proc, /dev ... of the sandbox   */
	AG3_REASON_BLOCKLIST,                    /* a blocklist pattern matches               */
	AG3_REASON_READ_ONLY,                    /* a write to a read-only bind or prefix     */
	AG3_REASON_SYMLINK_ESCAPE,               /* a symlink leads out of the bind           */
	AG3_REASON_NOT_FOUND,                    /* the object (or a write's parent) is absent */
	AG3_REASON_IS_A_DIRECTORY,               /* a directory without allow_directory       */
	AG3_REASON_NOT_A_DIRECTORY,              /* list on a file, or a file as a directory  */
	AG3_REASON_NOT_A_REGULAR_FILE,           /* a fifo, socket or device                  */
	AG3_REASON_OPEN_FAILED,                  /* any other error opening it (errno given)  */
	_AG3_RESOLVE_REASON_MAX,
	_AG3_RESOLVE_REASON_INVALID = -EINVAL,
};

/* The session's values and the platform's PathValidatorConfig lists. */
struct ag3_resolve_session {
	const char *username;   /* NULL: parsed from the workspace bind's source, else any
				   /users/<name> is another user's                            */
	const char *session_id; /* NULL: likewise                                             */
	const char *const *blocklist;         /* NULL: the platform's newest default              */
	const char *const *exemptions;        /* NULL: .env.example .env.sample .env.template ... */
	const char *const *readonly_prefixes; /* NULL: skills/ .claude/ external/ro/ ...    */
};

struct ag3_resolution {
	bool allowed;
	enum ag3_resolve_reason reason;
	char *message;      /* one line a model can act on                                 */
	char *sandbox_path; /* what the agent sees (/workspace/x); NULL when not mapped    */
	char *host_path;    /* the object on the host; NULL when not mapped                */
	const char *origin; /* the spec's mount (its profile key); points into the spec   */
	bool readonly;      /* the area is read-only for file tools                        */
	bool is_dir;        /* the object is a directory                                   */
	bool exists;        /* write: whether the final name exists                        */
	/*
	 * Allowed: read/list/glob/grep -> fd (O_RDONLY; a directory O_DIRECTORY);
	 * edit -> fd (O_RDWR); write/delete -> dir_fd (O_PATH|O_DIRECTORY, the parent)
	 * + name (one component), to be used with openat(dir_fd, name,
	 * O_WRONLY|O_CREAT|O_NOFOLLOW|O_NONBLOCK) then fstat (a regular file, or
	 * refuse: the sandbox may swap a fifo in) / unlinkat(dir_fd, name). A write to a file bind
	 * gets fd (O_RDWR) instead. Unused fds are -1. The caller owns them
	 * (ag3_resolution_clear closes them).
	 */
	int fd;
	int dir_fd;
	char *name;
};

#define AG3_RESOLUTION_INIT                                                                        \
	{                                                                                          \
		.fd = -1, .dir_fd = -1                                                             \
	}

void ag3_resolution_clear(struct ag3_resolution *r);

const char *ag3_resolve_op_to_string(enum ag3_resolve_op op);
enum ag3_resolve_op ag3_resolve_op_from_string(const char *s);
const char *ag3_resolve_reason_to_string(enum ag3_resolve_reason r);

/*
 * Maps an agent path onto the sandbox's path space: `path` is `len` bytes (an
 * embedded NUL is refused). No filesystem access. 0 with *ret the normalized
 * sandbox path (or *ret NULL and out->reason/message set: denied); -ENOMEM.
 * ag3_resolve calls it; it is separate for the fuzzer and the unit tests.
 */
int ag3_resolve_map(const struct ag3_spec *spec, const struct ag3_resolve_session *s,
		    const char *path, size_t len, char **ret, struct ag3_resolution *out);

/*
 * The decision for `op` on `path` (a C string). 0 with *out filled (allowed or
 * not: out->allowed), -ENOMEM or -EINVAL (op out of range). *out must be
 * AG3_RESOLUTION_INIT or cleared.
 */
int ag3_resolve(const struct ag3_spec *spec, const struct ag3_resolve_session *s, const char *path,
		enum ag3_resolve_op op, bool allow_directory, struct ag3_resolution *out);

/* The resolution as one JSON object (stable keys: allowed, reason, message, operation,
 * path, sandbox_path, host_path, readonly, is_directory, origin). 0 or -ENOMEM. */
int ag3_resolution_to_json(const struct ag3_resolution *r, enum ag3_resolve_op op, const char *path,
			   char **ret);

/*
 * The file-tool operation of a tool (the SDK's name or the normalized one:
 * Read, ReadDocument -> read; Write -> write; Edit, MultiEdit -> edit; Glob ->
 * glob; Grep -> grep; LS -> list; each also as mcp__ag3ntum__X / Ag3ntumX), with
 * *allow_directory as the platform's tools pass it (glob, grep, list). -EINVAL
 * for any other tool.
 */
enum ag3_resolve_op ag3_resolve_op_for_tool(const char *tool, bool *allow_directory);

/*
 * Whether a refusal is the policy's (the path may never be used: PATH_INVALID,
 * PATH_TRAVERSAL, CROSS_*, OUTSIDE_ALLOWED, SANDBOX_PRIVATE, BLOCKLIST,
 * READ_ONLY, SYMLINK_ESCAPE) rather than the object's state at this moment
 * (NOT_FOUND, IS_A_DIRECTORY, NOT_A_DIRECTORY, NOT_A_REGULAR_FILE,
 * OPEN_FAILED), which `check` leaves to the tool itself.
 */
bool ag3_resolve_reason_is_policy(enum ag3_resolve_reason r);
