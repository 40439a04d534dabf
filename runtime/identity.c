/* SPDX-License-Identifier: MIT */
#include "identity.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util/cleanup.h"

#define NOBODY 65534u

bool ag3_account_name_valid(const char *s)
{
	if (!s || !*s || strlen(s) > AG3_ACCOUNT_NAME_MAX || s[0] == '-' || s[0] == '.' ||
	    !strcmp(s, "root"))
		return false;
	bool digits = true;
	for (const char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
		digits &= isdigit((unsigned char)*p) != 0;
	}
	return !digits;
}

bool ag3_account_path_valid(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) > 1024)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == ':' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int ag3_identity_files(const char *user, const char *group, uid_t uid, gid_t gid, const char *home,
		       const char *shell, char **ret_passwd, char **ret_group)
{
	if (!ag3_account_name_valid(user) || !ag3_account_name_valid(group) ||
	    !ag3_account_path_valid(home) || !ag3_account_path_valid(shell) || uid == (uid_t)-1 ||
	    gid == (gid_t)-1)
		return -EINVAL;
	const bool nobody = uid != NOBODY && strcmp(user, "nobody") != 0;
	const bool nogroup = gid != NOBODY && strcmp(group, "nogroup") != 0;
	_cleanup_free_ char *pw = NULL, *gr = NULL, *pwe = NULL, *gre = NULL;
	/* uid 0 (the bwrap front end's root mode): root's own line names it */
	if (uid && asprintf(&pwe, "%s:x:%u:%u:%s:%s:%s\n", user, (unsigned)uid, (unsigned)gid, user,
			    home, shell) < 0) {
		pwe = NULL;
		return -ENOMEM;
	}
	if (gid && asprintf(&gre, "%s:x:%u:\n", group, (unsigned)gid) < 0) {
		gre = NULL;
		return -ENOMEM;
	}
	if (asprintf(&pw, "root:x:0:0:root:/root:/bin/sh\n%s%s", pwe ? pwe : "",
		     nobody ? "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" : "") <
	    0) {
		pw = NULL;
		return -ENOMEM;
	}
	if (asprintf(&gr, "root:x:0:\n%s%s", gre ? gre : "", nogroup ? "nogroup:x:65534:\n" : "") <
	    0) {
		gr = NULL;
		return -ENOMEM;
	}
	*ret_passwd = TAKE_PTR(pw);
	*ret_group = TAKE_PTR(gr);
	return 0;
}
