/*
 * Unit tests of core/metrics_registry.c: the Prometheus text exposition
 * (format 0.0.4) of counters, gauges and histograms, the escaping of label
 * values and help texts, and the handles' sharing and release.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "metrics_registry.h"

static struct metrics_registry *reg;

static void setup(void)
{
	reg = metrics_registry_new();
	ck_assert_ptr_nonnull(reg);
}

static void teardown(void)
{
	metrics_registry_free(reg);
}

/* The whole exposition, malloc'd. */
static char *render(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(metrics_render(reg, out), 0);
	ck_assert_int_eq(fclose(out), 0);
	return text;
}

static struct metric_handle *add(enum metric_type type, const char *name, const char *label,
				 const char *value)
{
	struct metric_label l = {label, value};
	const char *error = NULL;
	struct metric_handle *h = metrics_register(reg, NULL, type, name, "Help.", label ? &l : NULL,
						   label ? 1 : 0, NULL, 0, &error);
	ck_assert_msg(h != NULL, "%s: %s", name, error ? error : "?");
	return h;
}

START_TEST(test_counter_and_gauge)
{
	struct metric_handle *c = add(METRIC_COUNTER, "x_total", "op", "set");
	struct metric_handle *g = add(METRIC_GAUGE, "y", NULL, NULL);
	metric_add(c, 2);
	metric_add(c, -5); /* counters never go down */
	metric_add(c, NAN);
	metric_set(c, 100); /* not a gauge: ignored */
	metric_set(g, 0.1);
	metric_add(g, -1.1);
	char *text = render();
	ck_assert_str_eq(text, "# HELP x_total Help.\n"
			       "# TYPE x_total counter\n"
			       "x_total{op=\"set\"} 2\n"
			       "# HELP y Help.\n"
			       "# TYPE y gauge\n"
			       "y -1\n");
	free(text);
}
END_TEST

START_TEST(test_label_value_escaping)
{
	/* Backslash, double quote and newline are escaped in label values;
	 * anything else (UTF-8, braces, commas) goes as it is. */
	struct metric_handle *g = add(METRIC_GAUGE, "z", "name", "a\\b\"c\nd{e},é");
	metric_set(g, 1);
	char *text = render();
	ck_assert_ptr_nonnull(strstr(text, "z{name=\"a\\\\b\\\"c\\nd{e},é\"} 1\n"));
	free(text);
}
END_TEST

START_TEST(test_help_escaping)
{
	const char *error = NULL;
	struct metric_handle *h = metrics_register(reg, NULL, METRIC_GAUGE, "h", "a \"quote\" \\ and\nline",
						   NULL, 0, NULL, 0, &error);
	ck_assert_ptr_nonnull(h);
	char *text = render();
	/* HELP escapes backslash and newline only. */
	ck_assert_ptr_nonnull(strstr(text, "# HELP h a \"quote\" \\\\ and\\nline\n"));
	free(text);
}
END_TEST

START_TEST(test_histogram)
{
	static const double bounds[] = {0.1, 1, 10};
	struct metric_label l = {"publisher", "p[0]"};
	const char *error = NULL;
	struct metric_handle *h = metrics_register(reg, NULL, METRIC_HISTOGRAM, "d_seconds", "D.", &l,
						   1, bounds, 3, &error);
	ck_assert_ptr_nonnull(h);
	metric_observe(h, 0.05); /* first bucket */
	metric_observe(h, 0.1);  /* le is inclusive: first bucket */
	metric_observe(h, 5);
	metric_observe(h, 50); /* only +Inf */
	metric_observe(h, NAN); /* ignored */
	ck_assert(metric_value(h) == 4);
	char *text = render();
	ck_assert_str_eq(text, "# HELP d_seconds D.\n"
			       "# TYPE d_seconds histogram\n"
			       "d_seconds_bucket{publisher=\"p[0]\",le=\"0.1\"} 2\n"
			       "d_seconds_bucket{publisher=\"p[0]\",le=\"1\"} 2\n"
			       "d_seconds_bucket{publisher=\"p[0]\",le=\"10\"} 3\n"
			       "d_seconds_bucket{publisher=\"p[0]\",le=\"+Inf\"} 4\n"
			       "d_seconds_sum{publisher=\"p[0]\"} 55.15\n"
			       "d_seconds_count{publisher=\"p[0]\"} 4\n");
	free(text);
}
END_TEST

START_TEST(test_histogram_default_buckets)
{
	struct metric_handle *h = add(METRIC_HISTOGRAM, "e_seconds", NULL, NULL);
	metric_observe(h, 0.003);
	char *text = render();
	ck_assert_ptr_nonnull(strstr(text, "e_seconds_bucket{le=\"0.0025\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "e_seconds_bucket{le=\"0.005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "e_seconds_bucket{le=\"+Inf\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "e_seconds_sum 0.003\ne_seconds_count 1\n"));
	free(text);
}
END_TEST

START_TEST(test_refusals)
{
	static const double unsorted[] = {1, 0.5};
	static const double infinite[] = {1, INFINITY};
	struct metric_label le = {"le", "1"};
	struct metric_label reserved = {"__x", "1"};
	struct metric_label bad = {"a-b", "1"};
	const char *error = NULL;
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_GAUGE, "1abc", "", NULL, 0, NULL, 0, &error));
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_GAUGE, "a b", "", NULL, 0, NULL, 0, &error));
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_GAUGE, "g", "", &reserved, 1, NULL, 0, &error));
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_GAUGE, "g", "", &bad, 1, NULL, 0, &error));
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_HISTOGRAM, "h", "", &le, 1, NULL, 0, &error));
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_HISTOGRAM, "h", "", NULL, 0, unsorted, 2, &error));
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_HISTOGRAM, "h", "", NULL, 0, infinite, 2, &error));
	/* A name already taken by another type, or other label names. */
	add(METRIC_GAUGE, "taken", "a", "1");
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_COUNTER, "taken", "", NULL, 0, NULL, 0, &error));
	ck_assert_str_eq(error, "a metric of that name has another type");
	ck_assert_ptr_null(metrics_register(reg, NULL, METRIC_GAUGE, "taken", "", NULL, 0, NULL, 0, &error));
	ck_assert_str_eq(error, "a metric of that name has other label names");
	/* Nothing refused left a family behind. */
	char *text = render();
	ck_assert_ptr_null(strstr(text, "TYPE g "));
	ck_assert_ptr_null(strstr(text, "TYPE h "));
	free(text);
}
END_TEST

START_TEST(test_shared_series_and_release)
{
	static int owner_a, owner_b; /* only their addresses matter */
	struct metric_label l = {"publisher", "r[0]"};
	const char *error = NULL;
	struct metric_handle *a = metrics_register(reg, &owner_a, METRIC_COUNTER, "w_total", "W.", &l,
						   1, NULL, 0, &error);
	metric_add(a, 3);
	/* A reload's new instance joins the series: the counter carries on. */
	struct metric_handle *b = metrics_register(reg, &owner_b, METRIC_COUNTER, "w_total", "W.", &l,
						   1, NULL, 0, &error);
	ck_assert_ptr_nonnull(b);
	metrics_release_owner(reg, &owner_a);
	metric_add(b, 1);
	ck_assert(metric_value(b) == 4);
	ck_assert_ptr_eq(metrics_find_owned(reg, &owner_b, "w_total"), b);
	ck_assert_ptr_null(metrics_find_owned(reg, &owner_a, "w_total"));
	metrics_release_owner(reg, &owner_b);
	char *text = render();
	ck_assert_str_eq(text, ""); /* nobody holds it: not rendered */
	free(text);
	/* Taken again before a sweep (a reload's new instance): carries on. */
	b = metrics_register(reg, &owner_b, METRIC_COUNTER, "w_total", "W.", &l, 1, NULL, 0, &error);
	ck_assert(metric_value(b) == 4);
	metrics_release_owner(reg, &owner_b);
	metrics_sweep(reg);
	b = metrics_register(reg, &owner_b, METRIC_COUNTER, "w_total", "W.", &l, 1, NULL, 0, &error);
	ck_assert(metric_value(b) == 0); /* swept: a new series */
}
END_TEST

START_TEST(test_numbers)
{
	char buf[64];
	metrics_format_number(buf, sizeof buf, 0.1);
	ck_assert_str_eq(buf, "0.1");
	metrics_format_number(buf, sizeof buf, 1e21);
	ck_assert_str_eq(buf, "1e+21");
	metrics_format_number(buf, sizeof buf, 1.0 / 3.0);
	ck_assert_double_eq(strtod(buf, NULL), 1.0 / 3.0); /* round-trips */
	metrics_format_number(buf, sizeof buf, INFINITY);
	ck_assert_str_eq(buf, "+Inf");
	metrics_format_number(buf, sizeof buf, -INFINITY);
	ck_assert_str_eq(buf, "-Inf");
	metrics_format_number(buf, sizeof buf, NAN);
	ck_assert_str_eq(buf, "NaN");
	metrics_format_number(buf, sizeof buf, 123456789);
	ck_assert_str_eq(buf, "123456789");
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics_registry");
	TCase *tc = tcase_create("exposition");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_and_gauge);
	tcase_add_test(tc, test_label_value_escaping);
	tcase_add_test(tc, test_help_escaping);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_histogram_default_buckets);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_shared_series_and_release);
	tcase_add_test(tc, test_numbers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
