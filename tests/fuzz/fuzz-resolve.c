/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the file tools' path resolver (agent/resolve.c): the
 * agent path normalizer and mapper, then the whole decision on a fixed spec
 * whose bind sources do not exist (nothing on the host is opened). Never a
 * crash, a leak, a mapped path that is not normalized or a denial without a
 * reason and a message.
 *
 * Input: the first byte picks the operation and allow_directory; the rest is
 * the agent's path, NULs included. Seed corpus: tests/fuzz/corpus/resolve/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ag3_spec *make_spec(void)
{
	static const struct {
		enum ag3_mount_op op;
		const char *source, *target;
		bool ro;
		const char *origin; /* the compiler's: it decides which binds are areas */
	} ms[] = {
		{AG3_MOUNT_BIND, "/nonexistent-ag3-fuzz/usr", "/usr", true,
		 "sandbox.static_mounts.system_usr"},
		{AG3_MOUNT_SYMLINK, "usr/bin", "/bin", false, "sandbox.static_mounts.system_bin"},
		{AG3_MOUNT_SYMLINK, "/bin", "/loop", false, "sandbox.static_mounts.loop"},
		{AG3_MOUNT_TMPFS, NULL, "/tmp", false, "builtin /tmp"},
		{AG3_MOUNT_BIND, "/nonexistent-ag3-fuzz/users/alice/sessions/s1/workspace",
		 "/workspace", false, "sandbox.session_mounts.workspace"},
		{AG3_MOUNT_MASK, NULL, "/workspace/hidden", false,
		 "sandbox.session_mounts.workspace"},
		{AG3_MOUNT_BIND, "/nonexistent-ag3-fuzz/p", "/persistent", false,
		 "sandbox.session_mounts.persistent_storage"},
		{AG3_MOUNT_TMPFS, NULL, "/mounts", true, "tmpfs mask /mounts (external mounts)"},
		{AG3_MOUNT_BIND, "/nonexistent-ag3-fuzz/d", "/mounts/d", true, "global.ro[0] d"},
		{AG3_MOUNT_BIND, "/nonexistent-ag3-fuzz/d", "/var/log", true,
		 "original-path of global.ro[0] d"},
	};
	struct ag3_spec *spec = ag3_spec_new();
	if (!spec)
		abort();
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct ag3_mount m = {.op = ms[i].op,
				      .source = (char *)ms[i].source,
				      .target = (char *)ms[i].target,
				      .ro = ms[i].ro,
				      .origin = (char *)ms[i].origin};
		if (ag3_spec_add_mount(spec, &m) < 0)
			abort();
	}
	return spec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag3_spec *spec;
	static const struct ag3_resolve_session s = {.username = "alice", .session_id = "s1"};
	if (!spec)
		spec = make_spec();
	if (size < 1)
		return 0;
	enum ag3_resolve_op op = (enum ag3_resolve_op)(data[0] % _AG3_RESOLVE_OP_MAX);
	bool dir = data[0] & 0x80;
	const char *path = (const char *)data + 1;
	size_t len = size - 1;

	struct ag3_resolution res = AG3_RESOLUTION_INIT;
	char *mapped = NULL;
	int r = ag3_resolve_map(spec, &s, path, len, &mapped, &res);
	if (r == 0 && mapped) {
		if (ag3_path_check_normalized(mapped) < 0)
			__builtin_trap();
	} else if (r == 0) {
		if (res.allowed || res.reason <= AG3_REASON_ALLOWED ||
		    res.reason >= _AG3_RESOLVE_REASON_MAX || !res.message || !*res.message)
			__builtin_trap();
	}
	free(mapped);
	ag3_resolution_clear(&res);

	char *cstr = strndup(path, len);
	if (!cstr)
		return 0;
	r = ag3_resolve(spec, &s, cstr, op, dir, &res);
	/* no source exists: never allowed, never an fd */
	if (r == 0 && (res.allowed || res.fd >= 0 || res.dir_fd >= 0 || !res.message ||
		       !ag3_resolve_reason_to_string(res.reason)))
		__builtin_trap();
	char *json = NULL;
	if (r == 0 && ag3_resolution_to_json(&res, op, cstr, &json) == 0)
		free(json);
	ag3_resolution_clear(&res);
	free(cstr);
	return 0;
}
