/*
 * Unit tests of core/registrations/registration_table.c: the registrations the daemon holds, by
 * container name.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "registration_table.h"

static struct registration_table reg;

static void setup(void)
{
	registration_table_init(&reg);
}

static void teardown(void)
{
	registration_table_free(&reg);
}

START_TEST(test_empty)
{
	ck_assert_uint_eq(reg.map.count, 0);
	ck_assert_ptr_null(registration_table_find(&reg, "web"));
	registration_table_remove(&reg, "web"); /* absent: no-op */
	ck_assert_uint_eq(reg.map.count, 0);
}
END_TEST

START_TEST(test_put_find)
{
	struct registration_entry *e = registration_table_put(&reg, "web", "/beachhead/web", "[1]");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->container, "web");
	ck_assert_str_eq(e->key, "/beachhead/web");
	ck_assert_str_eq(e->value, "[1]");
	ck_assert_uint_eq(reg.map.count, 1);
	ck_assert_ptr_eq(registration_table_find(&reg, "web"), e);
	/* Names are case-sensitive and exact. */
	ck_assert_ptr_null(registration_table_find(&reg, "Web"));
	ck_assert_ptr_null(registration_table_find(&reg, "we"));
	ck_assert_ptr_null(registration_table_find(&reg, "web2"));
}
END_TEST

START_TEST(test_put_copies_strings)
{
	char container[] = "db";
	char key[] = "/p/db";
	char value[] = "[]";
	struct registration_entry *e = registration_table_put(&reg, container, key, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_ne(e->container, container);
	ck_assert_ptr_ne(e->key, key);
	ck_assert_ptr_ne(e->value, value);
	container[0] = 'X';
	key[0] = 'X';
	value[0] = 'X';
	ck_assert_str_eq(e->container, "db");
	ck_assert_str_eq(e->key, "/p/db");
	ck_assert_str_eq(e->value, "[]");
}
END_TEST

START_TEST(test_update)
{
	struct registration_entry *e = registration_table_put(&reg, "web", "/a/web", "[1]");
	ck_assert_ptr_nonnull(e);
	e->seen_pass = 7;
	struct registration_entry *again = registration_table_put(&reg, "web", "/b/web", "[2]");
	ck_assert_ptr_eq(again, e);
	ck_assert_uint_eq(reg.map.count, 1);
	ck_assert_str_eq(e->key, "/b/web");
	ck_assert_str_eq(e->value, "[2]");
	/* Updating keeps bookkeeping fields. */
	ck_assert_uint_eq(e->seen_pass, 7);
	/* Same strings again: unchanged. */
	ck_assert_ptr_eq(registration_table_put(&reg, "web", "/b/web", "[2]"), e);
	ck_assert_str_eq(e->value, "[2]");
	ck_assert_uint_eq(reg.map.count, 1);
}
END_TEST

START_TEST(test_remove)
{
	ck_assert_ptr_nonnull(registration_table_put(&reg, "a", "/a", "1"));
	ck_assert_ptr_nonnull(registration_table_put(&reg, "b", "/b", "2"));
	ck_assert_ptr_nonnull(registration_table_put(&reg, "c", "/c", "3"));
	ck_assert_uint_eq(reg.map.count, 3);
	registration_table_remove(&reg, "b");
	ck_assert_uint_eq(reg.map.count, 2);
	ck_assert_ptr_null(registration_table_find(&reg, "b"));
	ck_assert_ptr_nonnull(registration_table_find(&reg, "a"));
	ck_assert_ptr_nonnull(registration_table_find(&reg, "c"));
	registration_table_remove(&reg, "b"); /* twice: no-op */
	ck_assert_uint_eq(reg.map.count, 2);
	registration_table_remove(&reg, "zzz");
	ck_assert_uint_eq(reg.map.count, 2);
	/* Re-adding after removal works. */
	struct registration_entry *e = registration_table_put(&reg, "b", "/b2", "22");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(registration_table_find(&reg, "b")->value, "22");
	ck_assert_uint_eq(reg.map.count, 3);
}
END_TEST

#define MANY 1000

static void name_of(int i, char *buf, size_t size)
{
	snprintf(buf, size, "container-%d", i);
}

struct visit {
	int count;
	bool seen[MANY];
	bool bad;
};

static void visit_cb(void *arg, struct registration_entry *entry)
{
	struct visit *v = arg;
	v->count++;
	int i = -1;
	if (sscanf(entry->container, "container-%d", &i) != 1 || i < 0 || i >= MANY || v->seen[i]) {
		v->bad = true;
		return;
	}
	char key[64];
	snprintf(key, sizeof key, "/beachhead/container-%d", i);
	if (strcmp(entry->key, key) != 0)
		v->bad = true;
	v->seen[i] = true;
}

START_TEST(test_growth_and_each)
{
	for (int i = 0; i < MANY; i++) {
		char name[32], key[64], value[32];
		name_of(i, name, sizeof name);
		snprintf(key, sizeof key, "/beachhead/%s", name);
		snprintf(value, sizeof value, "[%d]", i);
		ck_assert_ptr_nonnull(registration_table_put(&reg, name, key, value));
		ck_assert_uint_eq(reg.map.count, (size_t)i + 1);
	}
	/* The table grew (load factor <= 1 after the last insertion's growth
	 * check) and everything is still reachable. */
	ck_assert_uint_gt(reg.map.n_buckets, 64);
	for (int i = 0; i < MANY; i++) {
		char name[32], value[32];
		name_of(i, name, sizeof name);
		snprintf(value, sizeof value, "[%d]", i);
		struct registration_entry *e = registration_table_find(&reg, name);
		ck_assert_msg(e != NULL, "%s lost after growth", name);
		ck_assert_str_eq(e->value, value);
	}
	struct visit *v = calloc(1, sizeof *v);
	ck_assert_ptr_nonnull(v);
	registration_table_each(&reg, visit_cb, v);
	ck_assert_int_eq(v->count, MANY);
	ck_assert(!v->bad);
	for (int i = 0; i < MANY; i++)
		ck_assert(v->seen[i]);

	/* Remove every other entry; the rest stay reachable. */
	for (int i = 0; i < MANY; i += 2) {
		char name[32];
		name_of(i, name, sizeof name);
		registration_table_remove(&reg, name);
	}
	ck_assert_uint_eq(reg.map.count, MANY / 2);
	memset(v, 0, sizeof *v);
	registration_table_each(&reg, visit_cb, v);
	ck_assert_int_eq(v->count, MANY / 2);
	ck_assert(!v->bad);
	for (int i = 0; i < MANY; i++) {
		char name[32];
		name_of(i, name, sizeof name);
		ck_assert(v->seen[i] == (i % 2 == 1));
		ck_assert((registration_table_find(&reg, name) != NULL) == (i % 2 == 1));
	}
	free(v);
}
END_TEST

static void count_cb(void *arg, struct registration_entry *entry)
{
	(void)entry;
	++*(int *)arg;
}

START_TEST(test_each_empty)
{
	int n = 0;
	registration_table_each(&reg, count_cb, &n);
	ck_assert_int_eq(n, 0);
}
END_TEST

static void mark_cb(void *arg, struct registration_entry *entry)
{
	entry->seen_pass = *(uint64_t *)arg;
}

START_TEST(test_each_may_modify_entries)
{
	ck_assert_ptr_nonnull(registration_table_put(&reg, "a", "/a", "1"));
	ck_assert_ptr_nonnull(registration_table_put(&reg, "b", "/b", "2"));
	uint64_t pass = 42;
	registration_table_each(&reg, mark_cb, &pass);
	ck_assert_uint_eq(registration_table_find(&reg, "a")->seen_pass, 42);
	ck_assert_uint_eq(registration_table_find(&reg, "b")->seen_pass, 42);
}
END_TEST

START_TEST(test_free_then_reinit)
{
	ck_assert_ptr_nonnull(registration_table_put(&reg, "a", "/a", "1"));
	registration_table_free(&reg);
	ck_assert_uint_eq(reg.map.count, 0);
	ck_assert_ptr_null(reg.map.buckets);
	/* A freed table is safe to query and to free again. */
	ck_assert_ptr_null(registration_table_find(&reg, "a"));
	registration_table_remove(&reg, "a");
	registration_table_free(&reg);
	registration_table_init(&reg);
	ck_assert_uint_eq(reg.map.count, 0);
	ck_assert_ptr_null(registration_table_find(&reg, "a"));
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registration_table");
	TCase *tc = tcase_create("registration_table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_put_find);
	tcase_add_test(tc, test_put_copies_strings);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_growth_and_each);
	tcase_add_test(tc, test_each_empty);
	tcase_add_test(tc, test_each_may_modify_entries);
	tcase_add_test(tc, test_free_then_reinit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
