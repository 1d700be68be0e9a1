/*
 * Unit tests of publisher-redis' self-contained helper: the key set's data
 * pointers (redis_keyset.c), which carry refused SETs and owed DELs.  (Its
 * backoff is the plugins' common one: tests/core/unit/test_plugin_common.c.)
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "redis_keyset.h"

START_TEST(test_keyset_data)
{
	struct keyset set;
	keyset_init(&set);
	void *old = (void *)1;
	char *a = strdup("a"), *b = strdup("b");
	ck_assert_int_eq(keyset_put_data(&set, "/k", a, &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_int_eq(keyset_put_data(&set, "/k", b, &old), 0);
	ck_assert_ptr_eq(old, a); /* replaced: handed back to be freed */
	free(old);
	ck_assert_uint_eq(set.map.count, 1);
	ck_assert_ptr_eq(keyset_take(&set, "/k"), b);
	ck_assert_uint_eq(set.map.count, 0);
	ck_assert_ptr_null(keyset_take(&set, "/k"));
	free(b);
	keyset_clear(&set);
}
END_TEST

/* pop hands out every key once, with its tag and data, over growth. */
START_TEST(test_keyset_pop_tag_data)
{
	struct keyset set;
	keyset_init(&set);
	char key[32];
	for (uintptr_t i = 0; i < 300; i++) {
		snprintf(key, sizeof key, "/beachhead/c%u", (unsigned)i);
		ck_assert_int_eq(keyset_put(&set, key, i), 0);
		void *old;
		ck_assert_int_eq(keyset_put_data(&set, key, (void *)(i + 1), &old), 0);
	}
	unsigned seen[300] = {0};
	char *k;
	uint64_t tag;
	void *data;
	size_t n = 0;
	while ((k = keyset_pop(&set, &tag, &data)) != NULL) {
		unsigned i = (unsigned)strtoul(k + strlen("/beachhead/c"), NULL, 10);
		ck_assert_uint_lt(i, 300);
		ck_assert_uint_eq(tag, i);
		ck_assert_ptr_eq(data, (void *)(uintptr_t)(i + 1));
		seen[i]++;
		free(k);
		n++;
	}
	ck_assert_uint_eq(n, 300);
	for (unsigned i = 0; i < 300; i++)
		ck_assert_uint_eq(seen[i], 1);
	keyset_clear(&set);
}
END_TEST

static Suite *helpers_suite(void)
{
	Suite *s = suite_create("redis_helpers");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_keyset_data);
	tcase_add_test(tc, test_keyset_pop_tag_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(helpers_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
