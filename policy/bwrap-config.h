/* SPDX-License-Identifier: MIT */
/*
 * The operator's configuration of the bwrap front end (README "Replacing
 * bwrap", "The operator's configuration"): /etc/ag3ntum-sandbox/bwrap.yaml,
 * the layers added to every bwrap call without changing its argv (the default
 * seccomp list, landlock, limits, the timeout, a network policy, the result
 * record). Strict like the profile: an unknown key, a wrong type or a bad
 * value is an error at file:line:col naming the key path, and a key that
 * could have no effect is an error too (never a layer silently not applied).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "policy/profile-model.h"
#include "policy/yaml.h"
#include "runtime/spec.h"
#include "runtime/util/error.h"

#define AG3_BWRAP_CONFIG_PATH "/etc/ag3ntum-sandbox/bwrap.yaml"

/* network.mode: what a command whose argv shares the network gets. */
enum ag3_bwrap_net {
	AG3_BWRAP_NET_HOST, /* the argv decides (plain bwrap)                      */
	AG3_BWRAP_NET_NONE, /* a network namespace with only lo                    */
	AG3_BWRAP_NET_ALLOWLIST,
};

struct ag3_bwrap_config {
	char *file;
	struct ag3_yaml_doc *doc;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool default_list;
		struct ag3_pint action; /* enum ag3_seccomp_action: errno, kill or log */
		struct ag3_pint errno_value;
	} seccomp;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool enabled;
	} landlock;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pu64 timeout_ms, kill_grace_ms;
		struct ag3_pu64 memory, pids, cpu_weight, cpu_quota_us;
		struct ag3_pu64 nofile, nproc, fsize, core; /* rlimits: set only when given */
	} limits;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pint mode; /* enum ag3_bwrap_net */
		struct ag3_pstrlist allowed_domains;
		struct ag3_pbool allow_localhost;
		struct ag3_pports localhost_ports;
		struct ag3_pbool allow_private_destinations;
		struct ag3_pu64 max_connections, max_connection_bytes, idle_timeout_ms;
	} network;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool seccomp, cgroup;
		struct ag3_pu64 landlock_abi;
	} minimum_isolation;
	struct ag3_pstr result_dir; /* "" when not set */
};

/* Parses a configuration. 0, or -EINVAL/-ENOMEM with an error at file:line:col. */
int ag3_bwrap_config_parse(const char *file, const char *buf, size_t len,
			   struct ag3_bwrap_config **ret, struct ag3_error **reterr);

/*
 * Reads and parses `path`, which must be a regular file owned by root (or by
 * `also_uid`, unless that is (uid_t)-1) and not writable by group or others,
 * in directories that are the same (or sticky). -ENOENT (no error set) when
 * the file does not exist; 0; or -errno with the error (file: why).
 */
int ag3_bwrap_config_load(const char *path, uid_t also_uid, struct ag3_bwrap_config **ret,
			  struct ag3_error **reterr);

void ag3_bwrap_config_free(struct ag3_bwrap_config *cfg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_bwrap_config *, ag3_bwrap_config_free)

/*
 * Adds the configured layers to a spec the front end built from a bwrap argv.
 * The argv's own choices stay: an --unshare-net command keeps no network
 * whatever network.mode says. 0 or -ENOMEM.
 */
int ag3_bwrap_config_apply(const struct ag3_bwrap_config *cfg, struct ag3_spec *spec,
			   struct ag3_error **reterr);
