/* SPDX-License-Identifier: MIT */
#include "uid-policy.h"

#include <string.h>

#define SYSTEM_MAX 999ul
#define ISOLATED_MIN 50000ul
#define ISOLATED_MAX 60000ul
#define DIRECT_MIN 1000ul
#define DIRECT_MAX 65533ul
#define LEGACY_MIN 2000ul
#define LEGACY_MAX 49999ul

static const char *const mode_names[_AG3_UID_MODE_MAX] = {
	[AG3_UID_MODE_ISOLATED] = "isolated",
	[AG3_UID_MODE_DIRECT] = "direct",
	[AG3_UID_MODE_ANY] = "any",
};

const char *ag3_uid_mode_to_string(enum ag3_uid_mode m)
{
	return (int)m >= 0 && m < _AG3_UID_MODE_MAX ? mode_names[m] : NULL;
}

enum ag3_uid_mode ag3_uid_mode_from_string(const char *s)
{
	for (int i = 0; s && i < _AG3_UID_MODE_MAX; i++)
		if (!strcmp(s, mode_names[i]))
			return (enum ag3_uid_mode)i;
	return _AG3_UID_MODE_INVALID;
}

int ag3_uid_policy_check(const struct ag3_uid_policy *p, const char *what, unsigned long id,
			 struct ag3_error **reterr)
{
	struct ag3_uid_policy dflt = AG3_UID_POLICY_DEFAULT;
	if (!p)
		p = &dflt;
	if (id == 0)
		return ag3_error_set(reterr, EPERM,
				     "%s: 0 is not allowed: the command never runs as root", what);
	if (id >= 0xffffffffUL)
		return ag3_error_set(reterr, EPERM, "%s: %lu is not a valid id", what, id);
	if (id == (unsigned long)p->api_uid)
		return ag3_error_set(reterr, EPERM,
				     "%s: %lu is the API's own uid (--api-uid); a command must "
				     "never run as the API",
				     what, id);
	switch (p->mode) {
	case AG3_UID_MODE_ANY:
		if (id <= SYSTEM_MAX)
			break;
		return 0;
	case AG3_UID_MODE_DIRECT:
		if (id <= SYSTEM_MAX)
			break;
		if (id >= DIRECT_MIN && id <= DIRECT_MAX)
			return 0;
		return ag3_error_set(reterr, EPERM,
				     "%s: %lu is outside the direct range %lu-%lu (--uid-mode)",
				     what, id, DIRECT_MIN, DIRECT_MAX);
	default:
		if (id <= SYSTEM_MAX)
			break;
		if (id >= ISOLATED_MIN && id <= ISOLATED_MAX)
			return 0;
		if (p->allow_legacy && id >= LEGACY_MIN && id <= LEGACY_MAX)
			return 0;
		return ag3_error_set(
			reterr, EPERM,
			"%s: %lu is outside the isolated range %lu-%lu%s (--uid-mode "
			"direct allows %lu-%lu; any allows every id but 0, system ids and "
			"the API uid)",
			what, id, ISOLATED_MIN, ISOLATED_MAX,
			p->allow_legacy ? " and the legacy range 2000-49999" : "", DIRECT_MIN,
			DIRECT_MAX);
	}
	return ag3_error_set(reterr, EPERM,
			     "%s: %lu is a system id (<= %lu); session ids are never system "
			     "users or groups",
			     what, id, SYSTEM_MAX);
}
