/* SPDX-License-Identifier: MIT */
/*
 * The uid/gid policy (the platform's uid_security.py, reference 4.6), checked
 * at compile time, not only when a user is created as the platform did:
 *
 *   never 0, never <= 999 (system ids), never the API's own uid (45045 by
 *   default), and within the mode's range:
 *     isolated  50000-60000 (the default)
 *     direct    1000-65533
 *     any       no range and no system-id rule (a developer's own uid in
 *               rootless mode); 0 and the API uid are still refused
 *   The legacy range 2000-49999 is also accepted in isolated mode when
 *   allow_legacy is set (the platform's allow_legacy_uids, default true).
 *
 * Only ids given explicitly (--uid/--gid, a spec's identity) are checked: the
 * runtime's defaults (65534 in root mode, the caller's own ids in rootless
 * mode) are not subject to it. The platform sets gid = uid; gids are checked
 * with the same rules.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/util/error.h"

#define AG3_API_UID_DEFAULT 45045u

enum ag3_uid_mode {
	AG3_UID_MODE_ISOLATED,
	AG3_UID_MODE_DIRECT,
	AG3_UID_MODE_ANY,
	_AG3_UID_MODE_MAX,
	_AG3_UID_MODE_INVALID = -EINVAL,
};

struct ag3_uid_policy {
	enum ag3_uid_mode mode;
	uid_t api_uid;     /* refused in every mode */
	bool allow_legacy; /* isolated mode also accepts 2000-49999 */
};

/* The default: isolated, API uid 45045, legacy ids accepted. */
#define AG3_UID_POLICY_DEFAULT                                                                     \
	((struct ag3_uid_policy){.mode = AG3_UID_MODE_ISOLATED,                                    \
				 .api_uid = AG3_API_UID_DEFAULT,                                   \
				 .allow_legacy = true})

const char *ag3_uid_mode_to_string(enum ag3_uid_mode m);
enum ag3_uid_mode ag3_uid_mode_from_string(const char *s);

/*
 * Checks one id. `what` names it in the message ("identity.uid"). 0 or
 * -EPERM with an error saying which rule refused it.
 */
int ag3_uid_policy_check(const struct ag3_uid_policy *p, const char *what, unsigned long id,
			 struct ag3_error **reterr);
