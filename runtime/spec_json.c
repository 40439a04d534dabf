/* SPDX-License-Identifier: MIT */
/*
 * The spec's JSON form, schema "ag3ntum.spec/1", both ways: the descriptor
 * tables of the spec's structs, read and written by runtime/jsontab.c.
 *
 * A new spec field is one row in the table of its struct (below); the reader,
 * the writer, the error messages and the fuzz target follow.
 *
 * Reading. jsontab's scanner bounds the document (depth 64, 100000 entries an
 * array, 2000000 values) and refuses "\u0000", raw control characters and
 * invalid UTF-8 in strings, with line:column; a raw NUL byte anywhere and an
 * input over 16 MiB are refused before that. Integers are read from the token
 * text with exact uint64_t arithmetic, never through a double: fractions and
 * exponents ("1.5", "1.0", "1e3") are refused, as are negative values (no
 * field is signed) and values that do not fit the C field or its documented
 * range (uid/gid <= 4294967294, mode <= 07777, umask <= 0777, ports <= 65535).
 *
 * Writing. Integers printed with PRIu64, keys in the tables' order, every key
 * always present, strings as UTF-8 with only the escapes JSON requires.
 * Without AG3_JSON_PRETTY the output is one line with no whitespace at all,
 * then "\n"; with it, two-space indentation, one key or array element per
 * line, "key": value, empty arrays as [], then "\n". So equal specs give equal
 * bytes. JSON has no octal: mode and umask are decimal (0755 is 493). An
 * rlimit equal to AG3_RLIM_INFINITY is written "unlimited"; on input both
 * "unlimited" and 18446744073709551615 mean it.
 *
 * Required members on input: "schema" and "version" at the top; "op" and
 * "target" in a mount; "name" and "value" in an env entry; "name", "soft" and
 * "hard" in an rlimit; "syscall" in a seccomp rule; "index", "op" and "value"
 * in a rule argument. Only "name", "identity.uid/gid/name/group/home/shell" and a
 * mount's "source", "content" and "origin" may be null. Everything else omitted keeps
 * ag3_spec_new()'s default (a new array element starts from its table's
 * defaults).
 *
 * Errors name the JSON path ("mounts[3].tagret: unknown field (did you mean
 * 'target'?)"). With a filename they are set with ag3_error_set_at(), so the
 * CLI prints "file: msg" or, for syntax and encoding errors, "file:line:col:
 * msg"; without one, the position goes into the message.
 */
#include "spec_json.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "runtime/jsontab.h"

#define MAX_INPUT_BYTES ((size_t)16 << 20)
#define ID_MAX ((uint64_t)UINT32_MAX - 1) /* (uid_t)-1 means "no change" to the kernel */

_Static_assert(sizeof(uid_t) == sizeof(uint32_t) && sizeof(gid_t) == sizeof(uint32_t),
	       "ids are 32-bit");
_Static_assert(sizeof(enum ag3_userns) == sizeof(int) && sizeof(enum ag3_net_mode) == sizeof(int) &&
		       sizeof(enum ag3_seccomp_action) == sizeof(int) &&
		       sizeof(enum ag3_seccomp_cmp) == sizeof(int) &&
		       sizeof(enum ag3_mount_op) == sizeof(int),
	       "enums are int-sized");

/* The names of enum values, as jsontab wants them. */
static const char *userns_name(int v)
{
	return ag3_userns_to_string((enum ag3_userns)v);
}

static const char *net_mode_name(int v)
{
	return ag3_net_mode_to_string((enum ag3_net_mode)v);
}

static const char *action_name(int v)
{
	return ag3_seccomp_action_to_string((enum ag3_seccomp_action)v);
}

static const char *cmp_name(int v)
{
	return ag3_seccomp_cmp_to_string((enum ag3_seccomp_cmp)v);
}

static const char *mount_op_name(int v)
{
	return ag3_mount_op_to_string((enum ag3_mount_op)v);
}

/* An rlimit's name: a resource we know, each at most once in the list. */
static int check_rlimit_name(struct ag3_jt_dec *d, const void *obj, const void *array, size_t index)
{
	const struct ag3_rlimit *l = obj, *all = array;
	int res = ag3_rlimit_resource_from_name(l->name);

	if (res < 0) {
		char shown[AG3_JT_SHOWN_MAX + 4];
		ag3_jt_shown(shown, l->name);
		return ag3_jt_fail(d, "unknown resource '%s'", shown);
	}
	for (size_t j = 0; all && j < index; j++)
		if (ag3_rlimit_resource_from_name(all[j].name) == res)
			return ag3_jt_fail(d, "'%s' is set twice", l->name);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The tables: one row per field, in the order they are written                             */

#define MEMBER_SIZE(T, m) sizeof(((T *)0)->m)
#define BOOL(T, key, m)                                                                            \
	{                                                                                          \
		.name = key, .type = AG3_JT_BOOL, .offset = offsetof(T, m)                         \
	}
#define UINT(T, key, m, max_, ...)                                                                 \
	{                                                                                          \
		.name = key, .type = AG3_JT_UINT, .offset = offsetof(T, m),                        \
		.size = MEMBER_SIZE(T, m), .max = (max_), __VA_ARGS__                              \
	}
#define INT(T, key, m, max_)                                                                       \
	{                                                                                          \
		.name = key, .type = AG3_JT_INT, .offset = offsetof(T, m), .max = (max_)           \
	}
#define STR(T, key, m, ...)                                                                        \
	{                                                                                          \
		.name = key, .type = AG3_JT_STRING, .offset = offsetof(T, m), __VA_ARGS__          \
	}
#define ENUM(T, key, m, names, n, ...)                                                             \
	{                                                                                          \
		.name = key, .type = AG3_JT_ENUM, .offset = offsetof(T, m), .enum_name = (names),  \
		.enum_max = (n), __VA_ARGS__                                                       \
	}
#define OBJ(T, key, m, table)                                                                      \
	{                                                                                          \
		.name = key, .type = AG3_JT_OBJECT, .offset = offsetof(T, m), .sub = &(table)      \
	}
#define ARRAY(T, key, m, count, element, ...)                                                      \
	{                                                                                          \
		.name = key, .type = AG3_JT_ARRAY, .offset = offsetof(T, m),                       \
		.size = MEMBER_SIZE(T, m[0]), .count_offset = offsetof(T, count),                  \
		.elem = &(element), __VA_ARGS__                                                    \
	}
#define OBJECTS(table)                                                                             \
	{                                                                                          \
		.type = AG3_JT_OBJECT, .sub = &(table)                                             \
	}

typedef __typeof__(((struct ag3_spec *)0)->namespaces) ns_t;
typedef __typeof__(((struct ag3_spec *)0)->identity) identity_t;
typedef __typeof__(((struct ag3_spec *)0)->process) process_t;
typedef __typeof__(((struct ag3_spec *)0)->security) security_t;
typedef __typeof__(((struct ag3_spec *)0)->security.seccomp) seccomp_t;
typedef __typeof__(((struct ag3_spec *)0)->security.landlock) landlock_t;
typedef __typeof__(((struct ag3_spec *)0)->security.minimum) minimum_t;
typedef struct ag3_spec_network network_t;
typedef __typeof__(((struct ag3_spec *)0)->limits) limits_t;

static const struct ag3_jt_field port = {.type = AG3_JT_UINT, .size = 2, .max = UINT16_MAX};
static const struct ag3_jt_field gid = {.type = AG3_JT_UINT, .size = 4, .max = ID_MAX};
static const struct ag3_jt_field domain = {.type = AG3_JT_STRING};

static const struct ag3_jt_field ns_fields[] = {
	ENUM(ns_t, "user", user, userns_name, _AG3_USERNS_MAX),
	BOOL(ns_t, "mount", mount),
	BOOL(ns_t, "pid", pid),
	BOOL(ns_t, "net", net),
	BOOL(ns_t, "ipc", ipc),
	BOOL(ns_t, "uts", uts),
	BOOL(ns_t, "cgroup", cgroup),
};
static const struct ag3_jt_table ns_table = AG3_JT_TABLE(ns_fields, ns_t);

static const struct ag3_jt_field identity_fields[] = {
	UINT(identity_t, "uid", uid, ID_MAX, .flags = AG3_JT_NULLABLE,
	     .flag_offset = offsetof(identity_t, uid_set)),
	UINT(identity_t, "gid", gid, ID_MAX, .flags = AG3_JT_NULLABLE,
	     .flag_offset = offsetof(identity_t, gid_set)),
	ARRAY(identity_t, "groups", groups, n_groups, gid),
	STR(identity_t, "name", name, .flags = AG3_JT_NULLABLE),
	STR(identity_t, "group", group, .flags = AG3_JT_NULLABLE),
	STR(identity_t, "home", home, .flags = AG3_JT_NULLABLE),
	STR(identity_t, "shell", shell, .flags = AG3_JT_NULLABLE),
};
static const struct ag3_jt_table identity_table = AG3_JT_TABLE(identity_fields, identity_t);

static const struct ag3_jt_field mount_fields[] = {
	/* Up to overlay, the bwrap front end's alone (its lowers have no JSON). */
	ENUM(struct ag3_mount, "op", op, mount_op_name, AG3_MOUNT_OVERLAY,
	     .flags = AG3_JT_REQUIRED),
	STR(struct ag3_mount, "source", source, .flags = AG3_JT_NULLABLE),
	STR(struct ag3_mount, "target", target, .flags = AG3_JT_REQUIRED),
	STR(struct ag3_mount, "content", content, .flags = AG3_JT_NULLABLE),
	BOOL(struct ag3_mount, "ro", ro),
	BOOL(struct ag3_mount, "optional", optional),
	BOOL(struct ag3_mount, "nosuid", nosuid),
	BOOL(struct ag3_mount, "nodev", nodev),
	BOOL(struct ag3_mount, "noexec", noexec),
	UINT(struct ag3_mount, "size", size, UINT64_MAX),
	UINT(struct ag3_mount, "mode", mode, 07777),
	STR(struct ag3_mount, "origin", origin, .flags = AG3_JT_NULLABLE),
};
static const struct ag3_jt_table mount_table = AG3_JT_TABLE(mount_fields, struct ag3_mount);
static const struct ag3_jt_field mount = OBJECTS(mount_table);

static const struct ag3_jt_field env_fields[] = {
	STR(struct ag3_env_var, "name", name, .flags = AG3_JT_REQUIRED),
	STR(struct ag3_env_var, "value", value, .flags = AG3_JT_REQUIRED | AG3_JT_SECRET,
	    .flag_offset = offsetof(struct ag3_env_var, secret)),
	BOOL(struct ag3_env_var, "secret", secret),
};
static const struct ag3_jt_table env_table = AG3_JT_TABLE(env_fields, struct ag3_env_var);
static const struct ag3_jt_field env = OBJECTS(env_table);

static const struct ag3_jt_field rlimit_fields[] = {
	STR(struct ag3_rlimit, "name", name, .flags = AG3_JT_REQUIRED, .check = check_rlimit_name),
	UINT(struct ag3_rlimit, "soft", soft, AG3_RLIM_INFINITY, .flags = AG3_JT_REQUIRED,
	     .text = "unlimited"),
	UINT(struct ag3_rlimit, "hard", hard, AG3_RLIM_INFINITY, .flags = AG3_JT_REQUIRED,
	     .text = "unlimited"),
};
static const struct ag3_jt_table rlimit_table = AG3_JT_TABLE(rlimit_fields, struct ag3_rlimit);
static const struct ag3_jt_field rlimit = OBJECTS(rlimit_table);

static const struct ag3_jt_field process_fields[] = {
	STR(process_t, "cwd", cwd),
	ARRAY(process_t, "env", env, n_env, env),
	UINT(process_t, "umask", umask, 0777),
	STR(process_t, "hostname", hostname),
	ARRAY(process_t, "rlimits", rlimits, n_rlimits, rlimit),
	BOOL(process_t, "term_from_caller", term_from_caller),
};
static const struct ag3_jt_table process_table = AG3_JT_TABLE(process_fields, process_t);

static const struct ag3_jt_field arg_fields[] = {
	UINT(struct ag3_seccomp_arg, "index", index, UINT_MAX, .flags = AG3_JT_REQUIRED),
	ENUM(struct ag3_seccomp_arg, "op", op, cmp_name, _AG3_CMP_MAX, .flags = AG3_JT_REQUIRED),
	UINT(struct ag3_seccomp_arg, "value", value, UINT64_MAX, .flags = AG3_JT_REQUIRED),
	UINT(struct ag3_seccomp_arg, "mask", mask, UINT64_MAX),
};
static const struct ag3_jt_table arg_table = AG3_JT_TABLE(arg_fields, struct ag3_seccomp_arg);
static const struct ag3_jt_field arg = OBJECTS(arg_table);

static const struct ag3_jt_field rule_fields[] = {
	STR(struct ag3_seccomp_rule, "syscall", syscall, .flags = AG3_JT_REQUIRED),
	ENUM(struct ag3_seccomp_rule, "action", action, action_name, _AG3_SECCOMP_ACTION_MAX,
	     .def = AG3_SECCOMP_ERRNO),
	INT(struct ag3_seccomp_rule, "errno", errno_value, INT_MAX),
	ARRAY(struct ag3_seccomp_rule, "args", args, n_args, arg, .flags = AG3_JT_INLINE,
	      .max_items = ELEMENTSOF(((struct ag3_seccomp_rule *)0)->args),
	      .items_name = "arguments"),
};
static const struct ag3_jt_table rule_table = AG3_JT_TABLE(rule_fields, struct ag3_seccomp_rule);
static const struct ag3_jt_field rule = OBJECTS(rule_table);

static const struct ag3_jt_field seccomp_fields[] = {
	BOOL(seccomp_t, "enabled", enabled),
	BOOL(seccomp_t, "default_list", use_default_list),
	ENUM(seccomp_t, "deny_action", deny_action, action_name, _AG3_SECCOMP_ACTION_MAX),
	INT(seccomp_t, "deny_errno", deny_errno, INT_MAX),
	ARRAY(seccomp_t, "rules", rules, n_rules, rule),
};
static const struct ag3_jt_table seccomp_table = AG3_JT_TABLE(seccomp_fields, seccomp_t);

static const struct ag3_jt_field landlock_fields[] = {
	BOOL(landlock_t, "enabled", enabled),
	ARRAY(landlock_t, "net_bind_ports", net_bind_ports, n_net_bind_ports, port),
	ARRAY(landlock_t, "net_connect_ports", net_connect_ports, n_net_connect_ports, port),
};
static const struct ag3_jt_table landlock_table = AG3_JT_TABLE(landlock_fields, landlock_t);

static const struct ag3_jt_field minimum_fields[] = {
	BOOL(minimum_t, "userns", userns),
	BOOL(minimum_t, "seccomp", seccomp),
	BOOL(minimum_t, "cgroup", cgroup),
	UINT(minimum_t, "landlock_abi", landlock_abi, UINT_MAX),
};
static const struct ag3_jt_table minimum_table = AG3_JT_TABLE(minimum_fields, minimum_t);

static const struct ag3_jt_field security_fields[] = {
	BOOL(security_t, "no_new_privs", no_new_privs),
	UINT(security_t, "caps_keep", caps_keep, UINT64_MAX),
	OBJ(security_t, "seccomp", seccomp, seccomp_table),
	OBJ(security_t, "landlock", landlock, landlock_table),
	OBJ(security_t, "minimum", minimum, minimum_table),
};
static const struct ag3_jt_table security_table = AG3_JT_TABLE(security_fields, security_t);

static const struct ag3_jt_field network_fields[] = {
	ENUM(network_t, "mode", mode, net_mode_name, _AG3_NET_MAX),
	/* read after allow_localhost, as it always was (which error comes first) */
	ARRAY(network_t, "domains", domains, n_domains, domain, .flags = AG3_JT_DECODE_LAST),
	BOOL(network_t, "allow_localhost", allow_localhost),
	ARRAY(network_t, "localhost_ports", localhost_ports, n_localhost_ports, port),
	BOOL(network_t, "allow_private", allow_private),
	UINT(network_t, "max_connections", max_connections, 4096),
	UINT(network_t, "max_connection_bytes", max_connection_bytes, UINT64_MAX),
	UINT(network_t, "idle_timeout_ms", idle_timeout_ms, UINT64_MAX),
};
static const struct ag3_jt_table network_table = AG3_JT_TABLE(network_fields, network_t);

static const struct ag3_jt_field limits_fields[] = {
	UINT(limits_t, "timeout_ms", timeout_ms, UINT64_MAX),
	UINT(limits_t, "kill_grace_ms", kill_grace_ms, UINT64_MAX),
	UINT(limits_t, "memory_bytes", memory_bytes, UINT64_MAX),
	UINT(limits_t, "pids", pids, UINT64_MAX),
	UINT(limits_t, "cpu_weight", cpu_weight, UINT32_MAX),
	UINT(limits_t, "cpu_quota_us", cpu_quota_us, UINT64_MAX),
	UINT(limits_t, "cpu_period_us", cpu_period_us, UINT64_MAX),
	UINT(limits_t, "output_bytes", output_bytes, UINT64_MAX),
};
static const struct ag3_jt_table limits_table = AG3_JT_TABLE(limits_fields, limits_t);

static const struct ag3_jt_field spec_fields[] = {
	{.name = "schema", .type = AG3_JT_CONST, .text = AG3_SPEC_SCHEMA},
	UINT(struct ag3_spec, "version", version, UINT_MAX),
	STR(struct ag3_spec, "name", name, .flags = AG3_JT_NULLABLE),
	OBJ(struct ag3_spec, "namespaces", namespaces, ns_table),
	OBJ(struct ag3_spec, "identity", identity, identity_table),
	ARRAY(struct ag3_spec, "mounts", mounts, n_mounts, mount),
	OBJ(struct ag3_spec, "process", process, process_table),
	OBJ(struct ag3_spec, "security", security, security_table),
	OBJ(struct ag3_spec, "network", network, network_table),
	OBJ(struct ag3_spec, "limits", limits, limits_table),
};
static const struct ag3_jt_table spec_table = AG3_JT_TABLE(spec_fields, struct ag3_spec);

/* ---------------------------------------------------------------------------------------- */
/* Reading                                                                                   */

/* Schema and version first: a file of another schema gets that error, not "unknown field". */
static int dec_header(struct ag3_jt_dec *d, const cJSON *root, struct ag3_spec *s)
{
	const cJSON *schema = NULL, *version = NULL;
	uint64_t v;
	int r;

	for (const cJSON *c = root->child; c; c = c->next) {
		if (!schema && c->string && strcmp(c->string, "schema") == 0)
			schema = c;
		if (!version && c->string && strcmp(c->string, "version") == 0)
			version = c;
	}
	if (!schema)
		return ag3_jt_fail(d, "schema: missing (expected \"%s\")", AG3_SPEC_SCHEMA);
	size_t old = ag3_jt_path_enter(d, schema);
	if ((r = ag3_jt_decode_field(d, schema, &spec_fields[0], s)) < 0)
		return r;
	ag3_jt_path_leave(d, old);

	if (!version)
		return ag3_jt_fail(d, "version: missing (expected %d)", AG3_SPEC_VERSION);
	old = ag3_jt_path_enter(d, version);
	if ((r = ag3_jt_integer(d, version, UINT64_MAX, &v)) < 0)
		return r;
	if (v != AG3_SPEC_VERSION)
		return ag3_jt_fail(d, "%" PRIu64 " is not supported (this runtime reads %d)", v,
				   AG3_SPEC_VERSION);
	s->version = (unsigned)v;
	ag3_jt_path_leave(d, old);
	return 0;
}

int ag3_spec_from_json(const char *buf, size_t len, const char *filename, struct ag3_spec **ret,
		       struct ag3_error **reterr)
{
	_cleanup_(ag3_jt_doc_done) struct ag3_jt_doc doc = {0};
	_cleanup_(ag3_spec_freep) struct ag3_spec *s = NULL;
	_cleanup_(ag3_error_freep) struct ag3_error *verr = NULL;
	const char *nul;
	int r;

	if (!ret || (!buf && len > 0))
		return ag3_error_set(reterr, EINVAL, "ag3_spec_from_json: invalid arguments");
	if (!buf)
		buf = "";
	if (len > MAX_INPUT_BYTES)
		return ag3_error_set_at(reterr, EINVAL, filename, 0, 0,
					"the spec is larger than 16 MiB (%zu bytes)", len);
	nul = memchr(buf, '\0', len);
	if (nul)
		return ag3_jt_fail_at_offset(reterr, filename, buf, len, (size_t)(nul - buf),
					     "the input contains a NUL byte");
	r = ag3_jt_parse(buf, len, filename, &doc, reterr);
	if (r < 0)
		return r;

	s = ag3_spec_new();
	if (!s)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	struct ag3_jt_dec d = {.doc = &doc, .filename = filename, .reterr = reterr};
	if (!cJSON_IsObject(doc.root))
		return ag3_jt_fail(&d, "expected a JSON object at the top level, got %s",
				   ag3_jt_type_name(doc.root));
	if ((r = dec_header(&d, doc.root, s)) < 0 ||
	    (r = ag3_jt_decode(&d, doc.root, &spec_table, s)) < 0)
		return r;

	r = ag3_spec_validate(s, &verr);
	if (r < 0)
		return ag3_error_set_at(reterr, verr ? verr->err : -r, filename, 0, 0, "%s",
					verr && verr->msg ? verr->msg : "invalid spec");
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Writing                                                                                   */

int ag3_spec_network_to_json(const struct ag3_spec_network *net, char **ret)
{
	struct ag3_jw w = {0};
	ag3_jw_open(&w, '{');
	ag3_jw_fields(&w, &network_table, net);
	ag3_jw_close(&w);
	int r = ag3_jw_finish(&w, ret);
	return r < 0 ? r : 0;
}

void ag3_spec_network_clear(struct ag3_spec_network *net)
{
	ag3_jt_free(&network_table, net);
	memset(net, 0, sizeof(*net));
}

int ag3_spec_network_from_json(const char *buf, size_t len, struct ag3_spec_network *net)
{
	_cleanup_(ag3_jt_doc_done) struct ag3_jt_doc doc = {0};
	_cleanup_(ag3_error_freep) struct ag3_error *err = NULL;
	memset(net, 0, sizeof(*net));
	if (len > MAX_INPUT_BYTES || memchr(buf, '\0', len) ||
	    ag3_jt_parse(buf, len, "hello", &doc, &err) < 0)
		return -EINVAL;
	struct ag3_jt_dec d = {.doc = &doc, .filename = "hello", .reterr = &err};
	if (!cJSON_IsObject(doc.root) || ag3_jt_decode(&d, doc.root, &network_table, net) < 0) {
		ag3_spec_network_clear(net);
		return -EINVAL;
	}
	/* Checked as a spec's would be: the rest of this spec is its defaults. */
	_cleanup_(ag3_spec_freep) struct ag3_spec *s = ag3_spec_new();
	if (!s) {
		ag3_spec_network_clear(net);
		return -ENOMEM;
	}
	s->network = *net;
	s->namespaces.net = net->mode != AG3_NET_HOST;
	int r = ag3_spec_validate(s, NULL);
	memset(&s->network, 0, sizeof(s->network)); /* still *net's */
	if (r < 0)
		ag3_spec_network_clear(net);
	return r < 0 ? -EINVAL : 0;
}

int ag3_spec_to_json(const struct ag3_spec *s, unsigned flags, char **ret,
		     struct ag3_error **reterr)
{
	struct ag3_jw w = {
		.flags = ((flags & AG3_JSON_PRETTY) ? AG3_JW_PRETTY : 0) |
			 ((flags & AG3_JSON_REDACT_SECRETS) ? AG3_JW_REDACT : 0),
		.reterr = reterr,
	};

	if (!s || !ret)
		return ag3_error_set(reterr, EINVAL, "ag3_spec_to_json: invalid arguments");
	ag3_jw_open(&w, '{');
	ag3_jw_fields(&w, &spec_table, s);
	ag3_jw_close(&w);
	ag3_jw_put(&w, "\n", 1);
	return ag3_jw_finish(&w, ret);
}
