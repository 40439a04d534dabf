/* SPDX-License-Identifier: MIT */
#include "caps.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime/util/cleanup.h"

static void cap_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

int ag3_caps_drop_bounding(struct ag3_error **reterr)
{
	cap_value_t last = cap_max_bits();
	for (cap_value_t c = 0; c < last; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
						   "capabilities: dropping %s from the bounding set: %m",
						   cap_to_name(c));
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
					   "capabilities: clearing the ambient set: %m");
	return 0;
}

int ag3_caps_clear_all(struct ag3_error **reterr)
{
	_cleanup_(cap_freep) cap_t empty = cap_init();
	if (!empty)
		return ag3_error_set(reterr, ENOMEM, "capabilities: out of memory");
	if (cap_set_proc(empty) < 0)
		return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
					   "capabilities: clearing the process sets: %m");
	/* Verify rather than trust: every set must now be empty. */
	_cleanup_(cap_freep) cap_t now = cap_get_proc();
	if (!now)
		return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
					   "capabilities: reading back: %m");
	cap_value_t last = cap_max_bits();
	for (cap_value_t c = 0; c < last; c++) {
		cap_flag_value_t e = CAP_CLEAR, p = CAP_CLEAR, i = CAP_CLEAR;
		cap_get_flag(now, c, CAP_EFFECTIVE, &e);
		cap_get_flag(now, c, CAP_PERMITTED, &p);
		cap_get_flag(now, c, CAP_INHERITABLE, &i);
		if (e || p || i || prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
			return ag3_error_set_stage(reterr, EPERM, "capabilities", NULL,
						   "capabilities: %s is still set after the drop",
						   cap_to_name(c));
	}
	return 0;
}
