/*
 * Unit tests of include/beachhead/strmap.h: the intrusive string-keyed hash
 * map that the core and the plugins share.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <beachhead/strmap.h>

struct item {
	int value;
	struct bh_strmap_node node;
	char name[32];
};

static struct bh_strmap map;

static void setup(void)
{
	bh_strmap_init(&map);
}

static void teardown(void)
{
	struct bh_strmap_iter it = bh_strmap_iter(&map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));) {
		bh_strmap_unlink(&map, n);
		free(BH_STRMAP_ENTRY(n, struct item, node));
	}
	ck_assert_uint_eq(map.count, 0);
	bh_strmap_free(&map);
}

static struct item *add(const char *name, int value)
{
	struct item *it = calloc(1, sizeof *it);
	ck_assert_ptr_nonnull(it);
	snprintf(it->name, sizeof it->name, "%s", name);
	it->value = value;
	it->node.key = it->name;
	ck_assert_int_eq(bh_strmap_insert(&map, &it->node), 0);
	return it;
}

static struct item *find(const char *name)
{
	struct bh_strmap_node *n = bh_strmap_find(&map, name);
	return n ? BH_STRMAP_ENTRY(n, struct item, node) : NULL;
}

START_TEST(test_empty_map_finds_nothing)
{
	ck_assert_ptr_null(bh_strmap_find(&map, "a"));
	ck_assert_ptr_null(bh_strmap_remove(&map, "a"));
	struct bh_strmap_iter it = bh_strmap_iter(&map);
	ck_assert_ptr_null(bh_strmap_next(&it));
	ck_assert_ptr_null(map.buckets);
}
END_TEST

START_TEST(test_insert_find_remove)
{
	struct item *a = add("alpha", 1);
	add("beta", 2);
	ck_assert_uint_eq(map.count, 2);
	ck_assert_ptr_eq(find("alpha"), a);
	ck_assert_int_eq(find("beta")->value, 2);
	ck_assert_ptr_null(find("alph"));
	ck_assert_ptr_null(find("alphaa"));

	struct bh_strmap_node *n = bh_strmap_remove(&map, "alpha");
	ck_assert_ptr_eq(n, &a->node);
	free(a);
	ck_assert_uint_eq(map.count, 1);
	ck_assert_ptr_null(find("alpha"));
	ck_assert_ptr_null(bh_strmap_remove(&map, "alpha"));
	ck_assert_int_eq(find("beta")->value, 2);
}
END_TEST

#define MANY 5000

START_TEST(test_growth_keeps_every_key)
{
	char name[32];
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "c%d", i);
		add(name, i);
	}
	ck_assert_uint_eq(map.count, MANY);
	ck_assert_uint_ge(map.n_buckets, MANY);
	ck_assert_uint_eq(map.n_buckets & (map.n_buckets - 1), 0);
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "c%d", i);
		struct item *it = find(name);
		ck_assert_ptr_nonnull(it);
		ck_assert_int_eq(it->value, i);
	}
}
END_TEST

START_TEST(test_iteration_visits_each_once_while_removing)
{
	char name[32];
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "c%d", i);
		add(name, i);
	}
	bool *seen = calloc(MANY, sizeof *seen);
	ck_assert_ptr_nonnull(seen);
	struct bh_strmap_iter it = bh_strmap_iter(&map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));) {
		struct item *item = BH_STRMAP_ENTRY(n, struct item, node);
		ck_assert(!seen[item->value]);
		seen[item->value] = true;
		if (item->value % 2) { /* remove (and free) the odd ones as we go */
			bh_strmap_unlink(&map, n);
			free(item);
		}
	}
	for (int i = 0; i < MANY; i++)
		ck_assert(seen[i]);
	free(seen);
	ck_assert_uint_eq(map.count, MANY / 2);
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "c%d", i);
		ck_assert(find(name) ? i % 2 == 0 : i % 2 == 1);
	}
}
END_TEST

START_TEST(test_free_then_reuse)
{
	add("x", 1);
	teardown();
	ck_assert_ptr_null(map.buckets);
	ck_assert_uint_eq(map.n_buckets, 0);
	add("x", 2);
	ck_assert_int_eq(find("x")->value, 2);
}
END_TEST

/* BH_STRMAP_ADD: a zeroed entry that owns a copy of its key, findable;
 * bh_strmap_clear frees every entry through the callback (no leak under
 * LeakSanitizer or valgrind) and leaves an empty, reusable map. */
struct owned {
	char *id;
	int payload;
	struct bh_strmap_node node;
};

static int owned_freed;

static void owned_free(struct bh_strmap_node *node)
{
	struct owned *o = BH_STRMAP_ENTRY(node, struct owned, node);
	free(o->id);
	free(o);
	owned_freed++;
}

START_TEST(test_add_owned_entries_then_clear)
{
	struct bh_strmap owned_map;
	bh_strmap_init(&owned_map);
	char key[16];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "c%d", i);
		struct owned *o = BH_STRMAP_ADD(&owned_map, key, struct owned, node, id);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(o->payload, 0);
		ck_assert_ptr_ne(o->id, key); /* a copy */
		ck_assert_str_eq(o->id, key);
		ck_assert_ptr_eq(o->node.key, o->id);
		o->payload = i;
	}
	snprintf(key, sizeof key, "c%d", 42);
	struct bh_strmap_node *n = bh_strmap_find(&owned_map, key);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(BH_STRMAP_ENTRY(n, struct owned, node)->payload, 42);
	owned_freed = 0;
	bh_strmap_clear(&owned_map, owned_free);
	ck_assert_int_eq(owned_freed, 100);
	ck_assert_uint_eq(owned_map.count, 0);
	ck_assert_ptr_null(bh_strmap_find(&owned_map, key));
	ck_assert_ptr_nonnull(BH_STRMAP_ADD(&owned_map, "again", struct owned, node, id));
	bh_strmap_clear(&owned_map, owned_free);
	ck_assert_int_eq(owned_freed, 101);
}
END_TEST

static Suite *strmap_suite(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty_map_finds_nothing);
	tcase_add_test(tc, test_insert_find_remove);
	tcase_add_test(tc, test_growth_keeps_every_key);
	tcase_add_test(tc, test_iteration_visits_each_once_while_removing);
	tcase_add_test(tc, test_free_then_reuse);
	tcase_add_test(tc, test_add_owned_entries_then_clear);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(strmap_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
