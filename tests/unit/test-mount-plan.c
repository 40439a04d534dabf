/* SPDX-License-Identifier: MIT */
/* The mount plan (mounts/plan.c): the order, dedupe, what is at a path, skip reasons. */
#include <criterion/criterion.h>
#include <string.h>

#include "mounts/plan.h"

static struct ag3_mount_plan_entry *add(struct ag3_mount_plan *p, enum ag3_mount_slot slot,
					enum ag3_mount_op op, const char *target,
					const char *origin)
{
	struct ag3_mount_plan_entry *e = ag3_mount_plan_add(
		p, slot,
		&(struct ag3_mount){.op = op,
				    .source = op == AG3_MOUNT_BIND ? (char *)"/host" : NULL,
				    .target = (char *)target,
				    .origin = (char *)origin});
	cr_assert_not_null(e);
	return e;
}

static const char *origin_at(const struct ag3_mount_plan *p, ssize_t i)
{
	cr_assert(i >= 0 && (size_t)i < p->n, "index %zd", i);
	return p->items[i].origin;
}

Test(plan, add_copies_the_op_and_names_its_members)
{
	struct ag3_mount_plan p = {0};
	char target[] = "/data";
	struct ag3_mount_plan_entry *e = ag3_mount_plan_add(
		&p, AG3_SLOT_SYSTEM,
		&(struct ag3_mount){.op = AG3_MOUNT_BIND,
				    .source = (char *)"/srv",
				    .target = target,
				    .ro = true,
				    .origin = (char *)"sandbox.static_mounts.data"});
	cr_assert_not_null(e);
	target[1] = 'X'; /* the plan holds its own copy */
	cr_assert_str_eq(e->m.target, "/data");
	cr_assert_eq(e->target, e->m.target);
	cr_assert_eq(e->origin, e->m.origin);
	cr_assert(e->ro && e->m.ro);
	cr_assert_eq(e->kind, AG3_SLOT_SYSTEM);
	cr_assert_eq(e->skip, AG3_MOUNT_SKIP_NONE);
	ag3_mount_plan_clear(&p);
	cr_assert_eq(p.n, 0);
	cr_assert_null(p.items);
}

Test(plan, order_is_by_slot_and_stable_within_one)
{
	struct ag3_mount_plan p = {0};
	add(&p, AG3_SLOT_EXT_ORIGINAL_OF, AG3_MOUNT_BIND, "/z", "last");
	add(&p, AG3_SLOT_SESSION, AG3_MOUNT_BIND, "/s1", "session 1");
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/usr", "system 1");
	add(&p, AG3_SLOT_SESSION, AG3_MOUNT_BIND, "/s2", "session 2");
	add(&p, AG3_SLOT_BUILTIN, AG3_MOUNT_TMPFS, "/tmp", "builtin /tmp");
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/lib", "system 2");
	add(&p, AG3_SLOT_SESSION, AG3_MOUNT_BIND, "/s3", "session 3");
	cr_assert_eq(ag3_mount_plan_order(&p), 0);
	static const char *const want[] = {"system 1",  "system 2",  "builtin /tmp", "session 1",
					   "session 2", "session 3", "last"};
	cr_assert_eq(p.n, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < p.n; i++)
		cr_assert_str_eq(p.items[i].origin, want[i], "entry %zu", i);
	/* ordering twice changes nothing; a plan can grow after it is ordered */
	cr_assert_eq(ag3_mount_plan_order(&p), 0);
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/etc", "system 3");
	cr_assert_eq(ag3_mount_plan_order(&p), 0);
	cr_assert_str_eq(p.items[2].origin, "system 3");
	cr_assert_str_eq(p.items[3].origin, "builtin /tmp");
	ag3_mount_plan_clear(&p);
}

Test(plan, find_target_finds_the_first_applied_entry_before_upto)
{
	struct ag3_mount_plan p = {0};
	add(&p, AG3_SLOT_EXT_MOUNT, AG3_MOUNT_BIND, "/mounts/a", "skipped")->skip =
		AG3_MOUNT_SKIP_MISSING;
	add(&p, AG3_SLOT_EXT_MOUNT, AG3_MOUNT_BIND, "/mounts/a", "first");
	add(&p, AG3_SLOT_EXT_MOUNT, AG3_MOUNT_BIND, "/mounts/a", "second");
	add(&p, AG3_SLOT_EXT_MOUNT, AG3_MOUNT_BIND, "/mounts/b", "b");
	const struct ag3_mount_plan_entry *e = ag3_mount_plan_find_target(&p, "/mounts/a", p.n);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->origin, "first");
	cr_assert_null(ag3_mount_plan_find_target(&p, "/mounts/a", 1)); /* only the skipped one */
	cr_assert_null(ag3_mount_plan_find_target(&p, "/mounts", p.n)); /* exact targets only */
	cr_assert_null(ag3_mount_plan_find_target(&p, "/mounts/a/x", p.n));
	cr_assert_str_eq(ag3_mount_plan_find_target(&p, "/mounts/b", 100)->origin, "b");
	ag3_mount_plan_clear(&p);
}

Test(plan, lookup_gives_the_provider_and_what_it_shadows)
{
	struct ag3_mount_plan p = {0};
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/", "root bind");         /* 0 */
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/srv", "srv");            /* 1 */
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_DIR, "/srv/data/x", "a dir op"); /* 2: covers nothing */
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/srv/data", "data")->skip =
		AG3_MOUNT_SKIP_NOT_AUTHORIZED;                           /* 3: not applied */
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_TMPFS, "/srv/data", "tmpfs"); /* 4 */
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_BIND, "/srvx", "srvx");       /* 5: a sibling */
	struct ag3_mount_at at;

	cr_assert_eq(ag3_mount_plan_lookup(&p, "/srv/data/x/y", &at), 0);
	cr_assert_str_eq(origin_at(&p, at.provider), "tmpfs");
	cr_assert_eq(at.n_shadowed, 2);
	cr_assert_eq(at.shadowed[0], 0);
	cr_assert_eq(at.shadowed[1], 1);
	ag3_mount_at_clear(&at);

	cr_assert_eq(ag3_mount_plan_lookup(&p, "/srv", &at), 0); /* at the target itself */
	cr_assert_str_eq(origin_at(&p, at.provider), "srv");
	cr_assert_eq(at.n_shadowed, 1);
	ag3_mount_at_clear(&at);

	cr_assert_eq(ag3_mount_plan_lookup(&p, "/srvx/a", &at), 0); /* not under /srv */
	cr_assert_str_eq(origin_at(&p, at.provider), "srvx");
	ag3_mount_at_clear(&at);

	cr_assert_eq(ag3_mount_plan_lookup(&p, "/etc", &at), 0);
	cr_assert_str_eq(origin_at(&p, at.provider), "root bind");
	cr_assert_eq(at.n_shadowed, 0);
	cr_assert_null(at.shadowed);
	ag3_mount_at_clear(&at);
	cr_assert_eq(at.provider, -1);

	/* what hides an entry: the first later applied one covering its target */
	cr_assert_eq(ag3_mount_plan_hidden_by(&p, 0, p.n), -1); /* nothing covers "/" later */
	cr_assert_eq(ag3_mount_plan_hidden_by(&p, 1, p.n), -1);
	cr_assert_eq(ag3_mount_plan_hidden_by(&p, 3, p.n), -1);   /* skipped: hides nothing */
	add(&p, AG3_SLOT_SYSTEM, AG3_MOUNT_MASK, "/srv", "mask"); /* 6 */
	cr_assert_eq(ag3_mount_plan_hidden_by(&p, 1, p.n), 6);
	cr_assert_eq(ag3_mount_plan_hidden_by(&p, 4, p.n), 6);
	cr_assert_eq(ag3_mount_plan_hidden_by(&p, 4, 6), -1); /* upto bounds the search */
	ag3_mount_plan_clear(&p);
}

Test(plan, lookup_in_a_list_of_ops)
{
	struct ag3_mount v[] = {
		{.op = AG3_MOUNT_TMPFS, .target = (char *)"/"},
		{.op = AG3_MOUNT_BIND, .source = (char *)"/usr", .target = (char *)"/usr"},
		{.op = AG3_MOUNT_SYMLINK, .source = (char *)"usr/bin", .target = (char *)"/bin"},
		{.op = AG3_MOUNT_FILE, .target = (char *)"/usr/x"},
	};
	struct ag3_mount_at at;
	cr_assert_eq(ag3_mounts_lookup(v, 4, "/usr/x", &at), 0);
	cr_assert_eq(at.provider, 1);
	cr_assert_eq(at.n_shadowed, 1);
	cr_assert_eq(at.shadowed[0], 0);
	ag3_mount_at_clear(&at);
	cr_assert_eq(ag3_mounts_lookup(v, 4, "/bin/sh", &at), 0);
	cr_assert_eq(at.provider, 2);
	ag3_mount_at_clear(&at);
	cr_assert_eq(ag3_mounts_lookup(v, 0, "/usr", &at), 0);
	cr_assert_eq(at.provider, -1);
	cr_assert_eq(at.n_shadowed, 0);
}

Test(plan, skip_reasons_have_names)
{
	static const char *const want[] = {
		[AG3_MOUNT_SKIP_NONE] = "none",
		[AG3_MOUNT_SKIP_NOT_AUTHORIZED] = "not-authorized",
		[AG3_MOUNT_SKIP_RESERVED] = "reserved",
		[AG3_MOUNT_SKIP_MISSING] = "missing",
		[AG3_MOUNT_SKIP_NO_USERNAME] = "no-username",
		[AG3_MOUNT_SKIP_DUPLICATE] = "duplicate",
	};
	cr_assert_eq(sizeof(want) / sizeof(*want), _AG3_MOUNT_SKIP_MAX);
	for (int s = 0; s < _AG3_MOUNT_SKIP_MAX; s++)
		cr_assert_str_eq(ag3_mount_skip_to_string(s), want[s]);
	cr_assert_null(ag3_mount_skip_to_string(_AG3_MOUNT_SKIP_MAX));
	cr_assert_null(ag3_mount_skip_to_string(-1));
}

/* A remount_ro makes the mount at its target read-only for explain and the file tools'
 * resolver; a mount stacked there after the op being asked about takes it instead. */
Test(plan, remounted_ro_is_the_mount_at_the_target)
{
	const struct ag3_mount v[] = {
		{.op = AG3_MOUNT_BIND, .source = (char *)"/a", .target = (char *)"/w"},
		{.op = AG3_MOUNT_CHMOD, .target = (char *)"/w", .mode = 0700},
		{.op = AG3_MOUNT_REMOUNT_RO, .target = (char *)"/w"},
		{.op = AG3_MOUNT_BIND, .source = (char *)"/b", .target = (char *)"/x"},
		{.op = AG3_MOUNT_TMPFS, .target = (char *)"/x"},
		{.op = AG3_MOUNT_REMOUNT_RO, .target = (char *)"/x"},
		{.op = AG3_MOUNT_BIND, .source = (char *)"/c", .target = (char *)"/y"},
		{.op = AG3_MOUNT_REMOUNT_RO, .target = (char *)"/y/sub"},
	};
	const size_t n = sizeof(v) / sizeof(v[0]);
	cr_assert(ag3_mounts_remounted_ro(v, n, 0));
	cr_assert_not(ag3_mounts_remounted_ro(v, n, 3), "the tmpfs over /x is what is remounted");
	cr_assert(ag3_mounts_remounted_ro(v, n, 4));
	cr_assert_not(ag3_mounts_remounted_ro(v, n, 6), "a remount below it is another mount's");
	/* a chmod or a remount_ro hides nothing at its target */
	struct ag3_mount_at at;
	cr_assert_eq(ag3_mounts_lookup(v, 3, "/w/f", &at), 0);
	cr_assert_eq(at.provider, 0);
	ag3_mount_at_clear(&at);
}
