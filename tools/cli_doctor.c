/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "runtime/doctor.h"

const char cli_doctor_help[] =
	"Usage: " PROG " doctor [--json]\n"
	"\n"
	"Prints what this machine and this user can give a sandbox: root or rootless mode,\n"
	"user namespaces, seccomp, the landlock ABI, the new mount API, openat2, clone3,\n"
	"close_range, the init binary fresh sandboxes exec, the cgroup v2 tree (where it is "
	"mounted, which controllers a\n"
	"sandbox's cgroup could use) and the cgroup v1 memory, pids and cpu hierarchies\n"
	"(hybrid hosts), what enforces the memory and pids limits and what that bounds\n"
	"and does NOT bound, then which `minimum_isolation` settings a profile can\n"
	"require here. Probing creates one short-lived user namespace; nothing else changes.\n"
	"\n"
	"  --json       one JSON object instead of text\n"
	"  -h, --help   this text\n"
	"\n"
	"Exit status: 0 when a sandbox can be entered here (root mode, or user namespaces\n"
	"for rootless mode, and $AG3NTUM_SANDBOX_INIT unset, \"none\" or naming a usable\n"
	"init binary), 1 when it cannot, 2 a usage error.\n";

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

int cli_doctor(int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {{"json", 0, CLI_OPT_FLAG, &json, .value = true}, {0}};
	const struct cli_command_options co = {
		.cmd = "doctor", .help = cli_doctor_help, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (cli_refuse_operands("doctor", argc, argv, first) < 0)
		return CLI_EXIT_USAGE;
	struct ag3_doctor d;
	ag3_doctor_probe(&d);
	/* An init binary named by the environment that cannot be used fails every fresh run. */
	bool can_run = (d.privileged || d.userns) && !(d.init_binary_named && d.init_binary_err);
	const struct ag3_cgroup_info *cg = &d.cgroup;
	bool cg_limits = d.cgroup_limits_v2 || d.cgroup_limits_v1;
	const char *limits_by = d.cgroup_limits_v2 ? "cgroup v2 (memory.max, pids.max, cpu)"
				: d.cgroup_limits_v1
					? "cgroup v1 (memory.limit_in_bytes, pids.max, cpu.shares)"
					: "rlimits fallback (RLIMIT_AS per process, RLIMIT_NPROC "
					  "in the sandbox's user namespace)";
	const enum ag3_memory_enforcer mem_by = d.cgroup_limits_v2   ? AG3_MEM_CGROUP_V2
						: d.cgroup_limits_v1 ? AG3_MEM_CGROUP_V1
								     : AG3_MEM_RLIMITS;
	const char *const *bounded, *const *not_bounded;
	ag3_memory_bounds(mem_by, &bounded, &not_bounded);
	const char *advice =
		cg_limits ? "cgroup: true makes every run refuse to start where no cgroup limits it"
			  : "cgroup: true refuses every run here (no cgroup for this user); false "
			    "accepts the per-process bounds above, with what is NOT bounded";
	const struct {
		const char *name;
		const struct ag3_cgroup_v1 *h;
	} v1[] = {{"memory", &d.v1_memory}, {"pids", &d.v1_pids}, {"cpu", &d.v1_cpu}};
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kernel", d.kernel);
		cJSON_AddStringToObject(o, "mode", d.privileged ? "root" : "rootless");
		cJSON_AddBoolToObject(o, "can_run", can_run);
		cJSON *un = cJSON_AddObjectToObject(o, "user_namespace");
		cJSON_AddBoolToObject(un, "available", d.userns);
		if (d.userns_errno)
			cJSON_AddStringToObject(un, "error", ag3_errno_name(d.userns_errno));
		cJSON *sc = cJSON_AddObjectToObject(o, "seccomp");
		cJSON_AddBoolToObject(sc, "available", d.seccomp);
		cJSON_AddBoolToObject(sc, "kill_process", d.seccomp_kill_process);
		cJSON_AddNumberToObject(o, "landlock_abi", d.landlock_abi);
		cJSON *sy = cJSON_AddObjectToObject(o, "syscalls");
		cJSON_AddBoolToObject(sy, "openat2", d.openat2);
		cJSON_AddBoolToObject(sy, "clone3", d.clone3);
		cJSON_AddBoolToObject(sy, "close_range", d.close_range);
		cJSON_AddBoolToObject(sy, "mount_api", d.mount_api);
		cJSON_AddBoolToObject(sy, "mount_setattr", d.mount_setattr);
		cJSON_AddBoolToObject(sy, "pidfd_open", d.pidfd_open);
		cJSON *ib = cJSON_AddObjectToObject(o, "init_binary");
		if (d.init_binary[0])
			cJSON_AddStringToObject(ib, "path", d.init_binary);
		else
			cJSON_AddNullToObject(ib, "path");
		cJSON_AddBoolToObject(ib, "used", d.init_binary_err == 0);
		cJSON_AddBoolToObject(ib, "named_by_environment", d.init_binary_named);
		if (d.init_binary_err)
			cJSON_AddStringToObject(ib, "error", ag3_errno_name(-d.init_binary_err));
		cJSON *cj = cJSON_AddObjectToObject(o, "cgroup_v2");
		if (cg->mount[0]) {
			cJSON_AddStringToObject(cj, "mount", cg->mount);
			cJSON_AddStringToObject(cj, "cgroup", cg->self);
		} else {
			cJSON_AddNullToObject(cj, "mount");
			cJSON_AddNullToObject(cj, "cgroup");
		}
		if (cg->parent[0])
			cJSON_AddStringToObject(cj, "parent", cg->parent);
		else
			cJSON_AddNullToObject(cj, "parent");
		cJSON_AddBoolToObject(cj, "writable", cg->writable);
		cJSON *ctl = cJSON_AddArrayToObject(cj, "controllers");
		if (cg->memory)
			cJSON_AddItemToArray(ctl, cJSON_CreateString("memory"));
		if (cg->pids)
			cJSON_AddItemToArray(ctl, cJSON_CreateString("pids"));
		if (cg->cpu)
			cJSON_AddItemToArray(ctl, cJSON_CreateString("cpu"));
		cJSON *c1 = cJSON_AddObjectToObject(o, "cgroup_v1");
		for (size_t i = 0; i < ELEMENTSOF(v1); i++) {
			cJSON *h = cJSON_AddObjectToObject(c1, v1[i].name);
			if (v1[i].h->self[0])
				cJSON_AddStringToObject(h, "cgroup", v1[i].h->self);
			else
				cJSON_AddNullToObject(h, "cgroup");
			cJSON_AddBoolToObject(h, "writable", v1[i].h->self[0] && v1[i].h->writable);
		}
		cJSON_AddStringToObject(o, "limits",
					d.cgroup_limits_v2   ? "cgroup_v2"
					: d.cgroup_limits_v1 ? "cgroup_v1"
							     : "rlimits");
		cJSON *mb = cJSON_AddObjectToObject(o, "memory");
		cJSON *ba = cJSON_AddArrayToObject(mb, "bounded");
		for (size_t i = 0; bounded[i]; i++)
			cJSON_AddItemToArray(ba, cJSON_CreateString(bounded[i]));
		cJSON *na = cJSON_AddArrayToObject(mb, "not_bounded");
		for (size_t i = 0; not_bounded[i]; i++)
			cJSON_AddItemToArray(na, cJSON_CreateString(not_bounded[i]));
		cJSON_AddStringToObject(o, "minimum_isolation_advice", advice);
		cJSON *mi = cJSON_AddObjectToObject(o, "minimum_isolation_possible");
		cJSON_AddBoolToObject(mi, "user_namespace", d.userns);
		cJSON_AddBoolToObject(mi, "seccomp", d.seccomp);
		cJSON_AddNumberToObject(mi, "landlock_abi", d.landlock_abi);
		cJSON_AddBoolToObject(mi, "cgroup", cg_limits);
		char *s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (s)
			cli_print_json(stdout, s);
		free(s);
		return can_run ? 0 : 1;
	}
	printf("kernel               %s\n", cli_esc(d.kernel));
	printf("mode                 %s\n",
	       d.privileged ? "root (setresuid to the session uid; no user namespace needed)"
			    : "rootless (a user namespace maps your ids)");
	printf("user namespaces      %s%s%s\n", yes(d.userns), d.userns_errno ? ": " : "",
	       d.userns_errno ? strerror(d.userns_errno) : "");
	printf("seccomp              %s (kill_process action: %s)\n", yes(d.seccomp),
	       yes(d.seccomp_kill_process));
	if (d.landlock_abi)
		printf("landlock             ABI %d\n", d.landlock_abi);
	else
		printf("landlock             no (recorded as a downgrade unless a profile requires "
		       "it)\n");
	printf("openat2              %s\n", yes(d.openat2));
	printf("new mount API        %s (mount_setattr: %s)\n", yes(d.mount_api),
	       yes(d.mount_setattr));
	printf("clone3               %s (falls back to clone)\n", yes(d.clone3));
	printf("close_range          %s (falls back to marking fds close-on-exec)\n",
	       yes(d.close_range));
	if (d.init_binary_err == 0)
		printf("init binary          %s (fresh sandboxes exec it as their init)\n",
		       d.init_binary);
	else if (d.init_binary_err == -ENOENT && !d.init_binary_named)
		printf("init binary          none%s%s (fresh sandboxes fork their init from the "
		       "caller: about 1 ms slower)\n",
		       d.init_binary[0] ? ", looked for " : " ($AG3NTUM_SANDBOX_INIT is none)",
		       d.init_binary);
	else
		printf("init binary          %s: %s (fresh sandboxes fail to start: unset or fix "
		       "$AG3NTUM_SANDBOX_INIT)\n",
		       d.init_binary, strerror(-d.init_binary_err));
	if (cg->mount[0]) {
		printf("cgroup v2            mounted at %s; our cgroup %s\n", cli_esc(cg->mount),
		       cli_esc(cg->self));
		printf("  sandbox cgroups    %s\n",
		       cg->parent[0]
			       ? cli_esc(cg->parent)
			       : "none: neither our cgroup nor an ancestor is writable and free "
				 "of processes (a delegated subtree)");
		printf("  controllers        memory: %s, pids: %s, cpu: %s\n", yes(cg->memory),
		       yes(cg->pids), yes(cg->cpu));
	} else {
		printf("cgroup v2            not mounted\n");
	}
	for (size_t i = 0; i < ELEMENTSOF(v1); i++)
		if (v1[i].h->self[0])
			printf("cgroup v1 %-10s %s (%s)\n", v1[i].name, cli_esc(v1[i].h->self),
			       v1[i].h->writable ? "writable" : "not writable");
	printf("limits               %s\n", limits_by);
	printf("memory bounded       ");
	for (size_t i = 0; bounded[i]; i++)
		printf("%s%s\n", i ? "                     " : "", bounded[i]);
	printf("memory NOT bounded   %s\n", not_bounded[0] ? not_bounded[0] : "-");
	for (size_t i = 1; not_bounded[0] && not_bounded[i]; i++)
		printf("                     %s\n", not_bounded[i]);
	printf("\nminimum_isolation a profile can require here: user_namespace: %s, seccomp: %s, "
	       "landlock_abi: %d, cgroup: %s\n",
	       d.userns ? "true" : "false", d.seccomp ? "true" : "false", d.landlock_abi,
	       cg_limits ? "true" : "false");
	printf("  minimum_isolation.%s\n", advice);
	printf("sandbox              %s\n", can_run ? "can be entered" : "CANNOT be entered here");
	return can_run ? 0 : 1;
}
