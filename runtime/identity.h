/* SPDX-License-Identifier: MIT */
/*
 * The command's user inside the sandbox: the /etc/passwd and /etc/group the
 * runtime writes for it (README "What a sandbox is", step 2). Never the host's
 * user list: root, the command's user and group, and nobody/nogroup only.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define AG3_ACCOUNT_NAME_MAX 32

/*
 * Whether `s` may be a user or group name in the generated files: 1 to 32 of
 * [A-Za-z0-9_.-], not starting with '-' or '.', not all digits (a number reads as
 * an id), not "root". So no ':', newline or other byte that would add a field or
 * a line.
 */
bool ag3_account_name_valid(const char *s);
/* Whether `s` may be a passwd entry's home or shell: an absolute path of at most
 * 1024 bytes, no ':' and no control character. */
bool ag3_account_path_valid(const char *s);

/*
 * The passwd and group texts: root (uid and gid 0), `user` with `uid`, `gid`,
 * `home` and `shell`, `group` with `gid`, then nobody and nogroup (65534) unless
 * that is the command's id or name. uid (gid) 0, the bwrap front end's root mode,
 * adds no line of its own: root's names it. Every value is checked as above: -EINVAL
 * when one is not valid, -ENOMEM; 0 with two new strings.
 */
int ag3_identity_files(const char *user, const char *group, uid_t uid, gid_t gid, const char *home,
		       const char *shell, char **ret_passwd, char **ret_group);
