/* SPDX-License-Identifier: MIT */
/*
 * Shared by the external-mounts files (mounts-config-load.c,
 * mounts-dynamic.c, mounts-config-plan.c); not an API.
 */
#pragma once

#include <stddef.h>
#include <string.h>

#include "policy/yaml.h"

/* A bounded, escaped preview of a string for messages. */
static inline const char *pv(const char *s, char *buf, size_t size)
{
	return ag3_yaml_preview(s, strlen(s), buf, size);
}

/* The number of components of a normalized path ("/" has none). */
size_t ag3_xmount_path_depth(const char *norm);
/* The fixed reserved path `norm` is (under), or NULL. "/" is reserved only as itself. */
const char *ag3_xmount_fixed_reserved(const char *norm);
/* `path` beneath host_root (NULL, "" or "/": the path itself); NULL on ENOMEM. */
char *ag3_xmount_join_root(const char *host_root, const char *path);
