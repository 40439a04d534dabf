/* SPDX-License-Identifier: MIT */
/*
 * The profile model: what ag3_profile_load_* produced, for the compiler, the
 * linter and `explain`. Internal to policy/ and tools/.
 *
 * Every value carries where it came from: `meta.set` says whether the YAML
 * had the key, `meta.loc` holds the key's and the value's line:column
 * (1-based; 0 when absent). Values the YAML did not set hold their defaults
 * (the platform's, or ours for the extensions), so a reader never needs to
 * know the defaults. Order is the YAML order everywhere (mounts included).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/profile.h"
#include "policy/yaml.h"
#include "runtime/spec.h"

/* Defaults of the extensions (used when a profile says nothing). */
#define AG3_DEFAULT_TIMEOUT_MS (300ull * 1000)
#define AG3_DEFAULT_KILL_GRACE_MS (10ull * 1000) /* the platform's kill_after */
#define AG3_DEFAULT_MEMORY (2ull << 30)
#define AG3_DEFAULT_PIDS 512ull
#define AG3_DEFAULT_OUTPUT (1ull << 20)
#define AG3_DEFAULT_TMP_SIZE (256ull << 20)
#define AG3_DEFAULT_NOFILE 1024ull
#define AG3_DEFAULT_CORE 0ull
#define AG3_DEFAULT_HOSTNAME "ag3ntum"
#define AG3_DEFAULT_USER "agent"
#define AG3_DEFAULT_SHELL "/bin/sh"
#define AG3_DEFAULT_LANG "C.UTF-8"
#define AG3_CPU_PERIOD_US 100000ull

#define AG3_MOUNT_NAME_MAX 64 /* the platform's mount-name rule: ^[A-Za-z0-9_-]{1,64}$ */
#define AG3_SECCOMP_RULES_MAX 1024
#define AG3_LIST_MAX 4096 /* items in any string list */

struct ag3_ploc {
	unsigned key_line, key_col; /* the key (for list items: the item)        */
	unsigned line, col;         /* the value                                 */
};

struct ag3_pmeta {
	bool set; /* the YAML had this key (or item) */
	struct ag3_ploc loc;
};

struct ag3_pbool {
	struct ag3_pmeta meta;
	bool v;
};

struct ag3_pu64 {
	struct ag3_pmeta meta;
	uint64_t v;
};

struct ag3_pint {
	struct ag3_pmeta meta;
	int v; /* an enum's value, an errno */
};

struct ag3_pstr {
	struct ag3_pmeta meta;
	char *v; /* never NULL after loading, except where noted */
};

struct ag3_pstrlist {
	struct ag3_pmeta meta;
	struct ag3_pstr *items;
	size_t n;
};

struct ag3_pports {
	struct ag3_pmeta meta;
	uint16_t *v;
	size_t n;
};

struct ag3_penv {
	struct ag3_pstr name; /* name.meta.loc: the key; value.meta.loc: the value */
	struct ag3_pstr value;
};

struct ag3_penvmap {
	struct ag3_pmeta meta;
	struct ag3_penv *items;
	size_t n;
};

/* A `SandboxMount`, from a named map entry or a list item. */
struct ag3_pmount {
	struct ag3_pmeta meta;
	char *name; /* the map key; NULL for list items */
	char *key;  /* "sandbox.static_mounts.system_usr", "sandbox.dynamic_mounts[0]" */
	struct ag3_pstr source; /* as written: placeholders unresolved */
	struct ag3_pstr target;
	struct ag3_pbool ro;       /* from `mode` (lower-cased; null/empty = ro) */
	struct ag3_pbool optional; /* default false */
};

struct ag3_pmounts {
	struct ag3_pmeta meta;
	struct ag3_pmount *items;
	size_t n;
};

/* sandbox.dpkg_database */
enum ag3_tristate {
	AG3_TRI_AUTO,   /* when the profile's system mounts imply it */
	AG3_TRI_ALWAYS, /* always (an error when it cannot be)         */
	AG3_TRI_NEVER,
};

enum ag3_permission_mode {
	AG3_PERM_DEFAULT,
	AG3_PERM_ACCEPT_EDITS,
	AG3_PERM_PLAN,
	AG3_PERM_BYPASS,
	_AG3_PERM_MAX,
};

struct ag3_pseccomp_arg {
	struct ag3_pmeta meta;
	struct ag3_pu64 index;
	struct ag3_pint op; /* enum ag3_seccomp_cmp */
	struct ag3_pu64 value;
	struct ag3_pu64 mask;
};

struct ag3_pseccomp_args {
	struct ag3_pmeta meta;
	struct ag3_pseccomp_arg items[6];
	size_t n;
};

struct ag3_pseccomp_rule {
	struct ag3_pmeta meta;
	struct ag3_pstr syscall;
	struct ag3_pint action;      /* enum ag3_seccomp_action; default errno */
	struct ag3_pint errno_value; /* 0 = the filter's errno */
	struct ag3_pseccomp_args args;
};

struct ag3_pseccomp_rules {
	struct ag3_pmeta meta;
	struct ag3_pseccomp_rule *items;
	size_t n;
};

struct ag3_profile_sandbox {
	struct ag3_pmeta meta; /* set: the profile has a non-null `sandbox:` */
	struct ag3_pbool enabled, file_sandboxing, network_sandboxing, use_tmpfs_root;
	struct ag3_pstr bwrap_path; /* accepted, unused */
	struct ag3_pmounts static_mounts, session_mounts, dynamic_mounts, original_path_mounts;
	struct ag3_pstrlist tmpfs_paths;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool enabled;
		struct ag3_pstrlist allowed_domains; /* lower-cased, stripped, checked */
		struct ag3_pbool allow_localhost;
		/* ours: the caller's 127.0.0.1 ports forwarded (needs allow_localhost) */
		struct ag3_pports localhost_ports;
		struct ag3_pbool allow_private_destinations;
		struct ag3_pu64 max_connections, max_connection_bytes, idle_timeout_ms;
	} network;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pstr home, path;
		struct ag3_pbool clear_env;
		struct ag3_penvmap custom_env; /* accepted, ignored (the platform reset it) */
		/* ours: LANG and LC_ALL ("" unsets both), TERM ("auto": the caller's on a
		 * terminal, else dumb), TMPDIR ("" unsets it) */
		struct ag3_pstr lang, term, tmpdir;
	} environment;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool enabled;
		struct ag3_pstrlist allowed_entries;
	} proc_filtering;
	struct ag3_pstrlist writable_paths, readonly_paths;

	/* ag3ntum-sandbox extensions */
	struct {
		struct ag3_pmeta meta;
		/* the passwd name of the command's uid (may hold {username}) and the group
		 * name of its gid, its shell (SHELL too); passwd false: no generated
		 * /etc/passwd, /etc/group, USER or LOGNAME */
		struct ag3_pstr name, group, shell;
		struct ag3_pbool passwd;
		/* GIT_AUTHOR_* and GIT_COMMITTER_* ("": unset) */
		struct ag3_pstr git_name, git_email;
	} user;
	struct ag3_pbool var_tmp;      /* a private tmpfs at /var/tmp */
	struct ag3_pint dpkg_database; /* enum ag3_tristate */
	struct ag3_pstr hostname;
	struct ag3_pint user_namespace; /* enum ag3_userns */
	struct {
		struct ag3_pmeta meta;
		struct ag3_pu64 timeout_ms, kill_grace_ms;
		struct ag3_pu64 memory, pids; /* 0 = unlimited */
		struct ag3_pu64 cpu_weight;   /* 0 = unset */
		struct ag3_pu64 cpu_quota_us; /* of AG3_CPU_PERIOD_US; 0 = unlimited */
		struct ag3_pu64 output, tmp_size;
		/* rlimits; AG3_RLIM_INFINITY = unlimited; nproc and fsize apply only when set */
		struct ag3_pu64 nofile, nproc, fsize, core;
	} limits;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool enabled, default_list;
		struct ag3_pint action; /* enum ag3_seccomp_action: errno, kill or log */
		struct ag3_pint errno_value;
		struct ag3_pseccomp_rules rules;
	} seccomp;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool enabled;
		struct ag3_pports net_bind_ports, net_connect_ports;
	} landlock;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool user_namespace, seccomp, cgroup;
		struct ag3_pu64 landlock_abi;
	} minimum_isolation;
};

struct ag3_profile {
	char *file;               /* the name used in errors */
	struct ag3_yaml_doc *doc; /* the parsed document, for ag3_profile_locate */

	struct ag3_pstr name; /* required */
	struct ag3_pstr description;
	struct ag3_pint default_mode; /* enum ag3_permission_mode */
	struct {
		struct ag3_pmeta meta;
		struct ag3_pstrlist enabled, disabled, permission_checked;
	} tools;
	struct {
		struct ag3_pmeta meta; /* not set: null or absent */
		struct ag3_pstrlist allow, deny, ask, allowed_dirs;
	} permissions;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pstr description;
		struct ag3_pstrlist allow, deny, allowed_dirs;
	} session_workspace;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pstrlist auto_checkpoint_tools; /* null or absent: [Write, Edit] */
	} checkpointing;
	struct ag3_profile_sandbox sandbox;
};

const char *ag3_permission_mode_to_string(enum ag3_permission_mode m);

/*
 * Where a key path ("sandbox.static_mounts.system_usr.mode",
 * "sandbox.tmpfs_paths[0]") is in the profile's YAML. 0 and the location
 * (key and value), or -ENOENT.
 */
int ag3_profile_locate(const struct ag3_profile *p, const char *keypath, struct ag3_ploc *ret);
/* The same for any YAML document (the external-mounts file): 0 or -ENOENT. */
int ag3_yaml_locate(const struct ag3_yaml_doc *doc, const char *keypath, struct ag3_ploc *ret);

/* Parses a size: an integer, or a string with a K/M/G/T suffix (binary units; "KiB" and
 * "KB" mean the same). 0 or -EINVAL / -ERANGE. */
int ag3_parse_size(const char *s, uint64_t *ret);
