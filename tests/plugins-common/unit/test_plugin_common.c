/*
 * Unit tests of the plugins' convenience library (plugins/common) that need
 * no server: the capped backoff in both of its modes (exact, as
 * inspector-docker and publisher-etcd use it; jittered, as publisher-redis
 * does) and bh_strfmt.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/backoff.h"
#include <beachhead/sdk.h>

START_TEST(test_backoff_exact_doubles_to_cap)
{
	struct bh_backoff b;
	bh_backoff_init(&b, 500, 30000);
	const uint64_t want[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_uint_eq(bh_backoff_next(&b), want[i]);
	bh_backoff_reset(&b);
	ck_assert_uint_eq(bh_backoff_next(&b), 500);
}
END_TEST

/* Each delay is the doubled base within +-20 %, capped at max + 20 %; the
 * delays are not all equal to their base (the jitter is there). */
START_TEST(test_backoff_jitter_stays_within_bounds)
{
	struct bh_backoff b;
	bh_backoff_init(&b, 100, 5000);
	bh_backoff_jitter(&b, 20);
	uint64_t base = 100;
	int off_base = 0;
	for (int i = 0; i < 40; i++) {
		uint64_t d = bh_backoff_next(&b);
		ck_assert_uint_ge(d, base - base / 5);
		ck_assert_uint_le(d, base + base / 5);
		off_base += d != base;
		base = base * 2 > 5000 ? 5000 : base * 2;
	}
	ck_assert_uint_eq(b.next_ms, 5000);
	ck_assert_int_gt(off_base, 0);
	bh_backoff_reset(&b);
	uint64_t d = bh_backoff_next(&b);
	ck_assert_uint_ge(d, 80);
	ck_assert_uint_le(d, 120);
}
END_TEST

START_TEST(test_backoff_bad_bounds)
{
	struct bh_backoff b;
	bh_backoff_init(&b, 0, 0); /* min 0 would never back off: becomes 1 */
	ck_assert_uint_eq(bh_backoff_next(&b), 1);
	ck_assert_uint_eq(bh_backoff_next(&b), 1);
	bh_backoff_jitter(&b, 90); /* capped at 50 %; 1 ms has nothing to spread */
	ck_assert_uint_eq(b.jitter_percent, 50);
	ck_assert_uint_eq(bh_backoff_next(&b), 1);
}
END_TEST

/* A connection dropped soon after it came up keeps backing off; one that
 * stayed up long enough starts from the minimum again. */
START_TEST(test_backoff_lost)
{
	struct bh_backoff b;
	bh_backoff_init(&b, 100, 5000);
	(void)bh_backoff_next(&b);
	(void)bh_backoff_next(&b);
	bh_backoff_lost(&b, 4999, 5000);
	ck_assert_uint_eq(bh_backoff_next(&b), 400);
	bh_backoff_lost(&b, 5000, 5000);
	ck_assert_uint_eq(bh_backoff_next(&b), 100);
}
END_TEST

START_TEST(test_strfmt)
{
	char *text = bh_strfmt("%s:%d", "127.0.0.1", 6379);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "127.0.0.1:6379");
	free(text);
	char big[5000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	text = bh_strfmt("[%s]", big);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), sizeof big + 1);
	free(text);
}
END_TEST

static Suite *common_suite(void)
{
	Suite *s = suite_create("plugin_common");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_backoff_exact_doubles_to_cap);
	tcase_add_test(tc, test_backoff_jitter_stays_within_bounds);
	tcase_add_test(tc, test_backoff_bad_bounds);
	tcase_add_test(tc, test_backoff_lost);
	tcase_add_test(tc, test_strfmt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(common_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
