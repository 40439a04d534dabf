/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "runtime/util/error.h"

/*
 * Drops every capability but `keep`'s bits from the bounding set (needs
 * CAP_SETPCAP: call before the uid change); with keep 0 (everything but bwrap's
 * root mode) the bounding set is emptied and the ambient set cleared. With
 * read_back (a root command, which never reaches ag3_caps_clear_all's check) the
 * bounding set is read back and anything left but `keep` fails it.
 */
int ag3_caps_drop_bounding(uint64_t keep, bool read_back, struct ag3_error **reterr);

/* Clears the effective, permitted and inheritable sets, then checks that all
 * five sets are empty. */
int ag3_caps_clear_all(struct ag3_error **reterr);
