/* SPDX-License-Identifier: MIT */
#pragma once

#include "runtime/util/error.h"

/*
 * Empties the bounding set (needs CAP_SETPCAP: call before the uid change)
 * and clears the ambient set.
 */
int ag3_caps_drop_bounding(struct ag3_error **reterr);

/* Clears the effective, permitted and inheritable sets, then checks that all
 * five sets are empty. */
int ag3_caps_clear_all(struct ag3_error **reterr);
