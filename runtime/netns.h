/* SPDX-License-Identifier: MIT */
#pragma once

#include "runtime/util/error.h"

/* Brings the loopback interface of the current network namespace up (one ioctl). */
int ag3_netns_loopback_up(struct ag3_error **reterr);
