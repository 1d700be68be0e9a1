/*
 * Unit tests of core/domain_spec.c: the BEACHHEAD_DOMAINS grammar (the
 * contract with the containers) and the registration id.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "domain_spec.h"

#define MAX_EXPECTED 4

struct expected_spec {
	const char *domain;
	unsigned http;
	unsigned https;
};

struct valid_case {
	const char *text;
	size_t count;
	struct expected_spec specs[MAX_EXPECTED];
};

static const struct valid_case valid_cases[] = {
	/* The examples of the original tool. */
	{"example.org", 1, {{"example.org", 80, 443}}},
	{"example.org.", 1, {{"example.org", 80, 443}}},
	{"example.org:http", 1, {{"example.org", 80, 0}}},
	{"example.org:https", 1, {{"example.org", 0, 443}}},
	{"example.org:http=8080:https=8043", 1, {{"example.org", 8080, 8043}}},
	{"example.org:http:https=8043 admin.example.org:https=9043 www.example.org",
	 3,
	 {{"example.org", 80, 8043}, {"admin.example.org", 0, 9043}, {"www.example.org", 80, 443}}},
	{"admin-internal.example.org:http=8080:https=8043", 1,
	 {{"admin-internal.example.org", 8080, 8043}}},
	/* The README example. */
	{"example.org admin.example.org:https app.example.org:http=8080:https=8043",
	 3,
	 {{"example.org", 80, 443}, {"admin.example.org", 0, 443}, {"app.example.org", 8080, 8043}}},
	/* Empty and blank texts. */
	{"", 0, {{NULL, 0, 0}}},
	{"   ", 0, {{NULL, 0, 0}}},
	{" \t\r\n\v\f ", 0, {{NULL, 0, 0}}},
	/* Every whitespace character separates; leading/trailing blanks. */
	{"\ta.org\nb.org\r\nc.org  ", 3, {{"a.org", 80, 443}, {"b.org", 80, 443}, {"c.org", 80, 443}}},
	{"a.org\t\tb.org:http", 2, {{"a.org", 80, 443}, {"b.org", 80, 0}}},
	/* Option names are case-insensitive; order does not matter. */
	{"example.org:HTTP", 1, {{"example.org", 80, 0}}},
	{"example.org:Https=8443", 1, {{"example.org", 0, 8443}}},
	{"example.org:HTTPS=8443:Http=81", 1, {{"example.org", 81, 8443}}},
	{"example.org:https:http", 1, {{"example.org", 80, 443}}},
	/* Port bounds. */
	{"example.org:http=1:https=65535", 1, {{"example.org", 1, 65535}}},
	{"example.org:http=00080", 1, {{"example.org", 80, 0}}},
	/* Explicit default ports are still one-scheme mappings. */
	{"example.org:https=443", 1, {{"example.org", 0, 443}}},
	/* Names: single label, digits, hyphens inside labels, upper case kept. */
	{"localhost", 1, {{"localhost", 80, 443}}},
	{"Example.ORG", 1, {{"Example.ORG", 80, 443}}},
	{"1.2.3.4", 1, {{"1.2.3.4", 80, 443}}},
	{"xn--bcher-kva.de", 1, {{"xn--bcher-kva.de", 80, 443}}},
	{"a-b--c.d-e.org", 1, {{"a-b--c.d-e.org", 80, 443}}},
	/* Unknown options are ignored (a warning is tested separately). */
	{"example.org:proxy_protocol", 1, {{"example.org", 80, 443}}},
	{"example.org:http=8080:tls=strict", 1, {{"example.org", 8080, 0}}},
	/* A repeated domain keeps the first entry. */
	{"example.org:http example.org:https", 1, {{"example.org", 80, 0}}},
	{"example.org example.org.", 1, {{"example.org", 80, 443}}},
};

static void check_valid(const struct valid_case *c)
{
	struct domain_spec_list list = {0};
	char *error = (char *)"untouched";
	int rc = domain_spec_parse(c->text, &list, &error, NULL, NULL);
	ck_assert_msg(rc == 0, "parse of '%s' failed: %s", c->text, error ? error : "(null)");
	ck_assert_ptr_null(error);
	ck_assert_msg(list.count == c->count, "'%s': %zu specs, expected %zu", c->text, list.count,
		      c->count);
	for (size_t i = 0; i < c->count; i++) {
		ck_assert_str_eq(list.items[i].domain, c->specs[i].domain);
		ck_assert_msg(list.items[i].http_port == c->specs[i].http,
			      "'%s' [%zu] http %u, expected %u", c->text, i, list.items[i].http_port,
			      c->specs[i].http);
		ck_assert_msg(list.items[i].https_port == c->specs[i].https,
			      "'%s' [%zu] https %u, expected %u", c->text, i, list.items[i].https_port,
			      c->specs[i].https);
	}
	domain_spec_list_free(&list);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_ptr_null(list.items);
}

START_TEST(test_valid)
{
	check_valid(&valid_cases[_i]);
}
END_TEST

struct invalid_case {
	const char *text;
	const char *needles[3]; /* substrings the error must contain */
};

static const struct invalid_case invalid_cases[] = {
	/* Ports. */
	{"example.org:http=0", {"'example.org'", "'http'", "'0'"}},
	{"example.org:https=65536", {"'example.org'", "'https'", "65536"}},
	{"example.org:http=99999", {"'example.org'", "'http'", "99999"}},
	{"example.org:http=123456", {"'example.org'", "'http'", "123456"}},
	{"example.org:http=abc", {"'example.org'", "'http'", "'abc'"}},
	{"example.org:https=80a", {"'example.org'", "'https'", "'80a'"}},
	{"example.org:http=-1", {"'example.org'", "'http'", "'-1'"}},
	{"example.org:http=+80", {"'example.org'", "'http'", "'+80'"}},
	{"example.org:http= 80", {"'example.org'", "'http'", NULL}},
	{"example.org:http=", {"'example.org'", "'http'", "port ''"}},
	{"example.org:HTTPS=x", {"'example.org'", "'https'", "'x'"}},
	/* Options given twice (also in another case). */
	{"example.org:http:http", {"'example.org'", "'http'", "twice"}},
	{"example.org:https=1:HTTPS=2", {"'example.org'", "'https'", "twice"}},
	/* Empty options. */
	{"a.org::http", {"'a.org'", "empty option", NULL}},
	{"a.org:", {"'a.org'", "empty option", NULL}},
	{"a.org:http:", {"'a.org'", "empty option", NULL}},
	{"a.org:=80", {"'a.org'", "empty option", NULL}},
	/* Invalid DNS names. */
	{"under_score.example.org", {"'under_score.example.org'", "invalid DNS name", NULL}},
	{"!!*&^$#$", {"'!!*&^$#$'", "invalid DNS name", NULL}},
	{"-example.org", {"'-example.org'", "'-'", NULL}},
	{"example-.org", {"'example-.org'", "'-'", NULL}},
	{"example.-org", {"'example.-org'", "'-'", NULL}},
	{"example.org-", {"'example.org-'", "'-'", NULL}},
	{"a..b", {"'a..b'", "empty label", NULL}},
	{".example.org", {"'.example.org'", "empty label", NULL}},
	{"example.org..", {"'example.org..'", "empty label", NULL}},
	{".", {"invalid DNS name", "empty", NULL}},
	{":http", {"invalid DNS name", "empty", NULL}},
	{"bücher.de", {"cher.de'", "punycode", NULL}},
	{"*.example.org", {"'*.example.org'", "invalid DNS name", NULL}},
	{"example.org/path", {"'example.org/path'", "invalid DNS name", NULL}},
	{"example.org=80", {"'example.org=80'", "invalid DNS name", NULL}},
	{"example.org:http=8080=9", {"'example.org'", "'http'", "'8080=9'"}},
	{"example.org:http:HTTP=81", {"'example.org'", "'http'", "twice"}},
	{"example.org:bogus:http=0", {"'example.org'", "'http'", "'0'"}},
	/* One bad spec among good ones fails the whole text. */
	{"good.example.org bad_one.example.org:http", {"'bad_one.example.org'", NULL, NULL}},
	{"good.example.org other.example.org:http=0", {"'other.example.org'", "'http'", NULL}},
};

START_TEST(test_invalid)
{
	const struct invalid_case *c = &invalid_cases[_i];
	struct domain_spec_list list = {0};
	char *error = NULL;
	int rc = domain_spec_parse(c->text, &list, &error, NULL, NULL);
	ck_assert_msg(rc == -1, "'%s' was accepted", c->text);
	ck_assert_ptr_nonnull(error);
	for (int k = 0; k < 3 && c->needles[k]; k++)
		ck_assert_msg(strstr(error, c->needles[k]) != NULL, "'%s': error \"%s\" lacks \"%s\"",
			      c->text, error, c->needles[k]);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_ptr_null(list.items);
	free(error);
}
END_TEST

/* --- DNS length limits --- */

/* Builds labels of the given lengths joined by '.', letters only. */
static char *make_name(const size_t *labels, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += labels[i] + 1;
	char *name = malloc(total + 1);
	ck_assert_ptr_nonnull(name);
	char *p = name;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '.';
		for (size_t k = 0; k < labels[i]; k++)
			*p++ = (char)('a' + (k + i) % 26);
	}
	*p = '\0';
	return name;
}

static int parse_quiet(const char *text, struct domain_spec_list *list, char **error)
{
	return domain_spec_parse(text, list, error, NULL, NULL);
}

START_TEST(test_label_63_ok_64_refused)
{
	size_t ok_labels[] = {63, 3};
	char *ok = make_name(ok_labels, 2);
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(parse_quiet(ok, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.items[0].domain, ok);
	domain_spec_list_free(&list);

	size_t bad_labels[] = {64, 3};
	char *bad = make_name(bad_labels, 2);
	ck_assert_int_eq(parse_quiet(bad, &list, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, "label longer than 63") != NULL, "error: %s", error);
	ck_assert_uint_eq(list.count, 0);
	free(error);
	free(ok);
	free(bad);
}
END_TEST

START_TEST(test_name_253_ok_254_refused)
{
	/* 63+1+63+1+63+1+61 = 253 */
	size_t ok_labels[] = {63, 63, 63, 61};
	char *ok = make_name(ok_labels, 4);
	ck_assert_uint_eq(strlen(ok), 253);
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_msg(parse_quiet(ok, &list, &error) == 0, "253-char name refused: %s", error);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.items[0].domain, ok);
	domain_spec_list_free(&list);

	/* The FQDN form of the 253-character name is fine too. */
	char *fqdn = malloc(strlen(ok) + 2);
	ck_assert_ptr_nonnull(fqdn);
	sprintf(fqdn, "%s.", ok);
	ck_assert_int_eq(parse_quiet(fqdn, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.items[0].domain, ok);
	domain_spec_list_free(&list);

	size_t bad_labels[] = {63, 63, 63, 62};
	char *bad = make_name(bad_labels, 4);
	ck_assert_uint_eq(strlen(bad), 254);
	ck_assert_int_eq(parse_quiet(bad, &list, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, "longer than 253") != NULL, "error: %s", error);
	ck_assert_uint_eq(list.count, 0);
	free(error);
	free(ok);
	free(fqdn);
	free(bad);
}
END_TEST

START_TEST(test_error_message_is_printable)
{
	/* Control bytes of a hostile value must not reach the log verbatim. */
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(parse_quiet("evil\x1b[31m.org", &list, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_null(strchr(error, '\x1b'));
	ck_assert_msg(strstr(error, "\\x1b") != NULL, "error: %s", error);
	free(error);

	ck_assert_int_eq(parse_quiet("a.org:http=1\x07", &list, &error), -1);
	ck_assert_ptr_null(strchr(error, '\x07'));
	ck_assert_msg(strstr(error, "\\x07") != NULL, "error: %s", error);
	free(error);
}
END_TEST

START_TEST(test_error_clears_earlier_specs)
{
	/* A list with leftovers from an earlier parse is reset on error. */
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(parse_quiet("a.org b.org c.org d.org e.org x_y.org", &list, &error), -1);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_uint_eq(list.capacity, 0);
	ck_assert_ptr_null(list.items);
	ck_assert_msg(strstr(error, "'x_y.org'") != NULL, "error: %s", error);
	free(error);
}
END_TEST

START_TEST(test_many_specs)
{
	/* Growth of the list past its initial capacity keeps order. */
	char text[4096] = "";
	for (int i = 0; i < 100; i++) {
		char one[32];
		snprintf(one, sizeof one, "%sd%d.example.org:http=%d", i ? " " : "", i, 1000 + i);
		strcat(text, one);
	}
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(parse_quiet(text, &list, &error), 0);
	ck_assert_uint_eq(list.count, 100);
	for (int i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof name, "d%d.example.org", i);
		ck_assert_str_eq(list.items[i].domain, name);
		ck_assert_uint_eq(list.items[i].http_port, 1000u + (unsigned)i);
		ck_assert_uint_eq(list.items[i].https_port, 0);
	}
	domain_spec_list_free(&list);
}
END_TEST

/* --- warnings --- */

struct warnings {
	int count;
	char *last;
	void *seen_arg;
};

static void record_warning(void *arg, const char *message)
{
	struct warnings *w = arg;
	w->count++;
	w->seen_arg = arg;
	free(w->last);
	w->last = strdup(message);
}

START_TEST(test_unknown_option_warns)
{
	struct warnings w = {0, NULL, NULL};
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse("example.org:frobnicate=3", &list, &error, record_warning, &w),
			 0);
	ck_assert_int_eq(w.count, 1);
	ck_assert_ptr_eq(w.seen_arg, &w);
	ck_assert_ptr_nonnull(w.last);
	ck_assert_msg(strstr(w.last, "'example.org'") != NULL, "warning: %s", w.last);
	ck_assert_msg(strstr(w.last, "'frobnicate'") != NULL, "warning: %s", w.last);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_uint_eq(list.items[0].http_port, 80);
	ck_assert_uint_eq(list.items[0].https_port, 443);
	domain_spec_list_free(&list);
	free(w.last);
}
END_TEST

START_TEST(test_unknown_option_warning_is_sanitized)
{
	/* The option name in the warning is cut at '=' and made printable. */
	struct warnings w = {0, NULL, NULL};
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse("example.org:x\x1b[2J=secret:https", &list, &error,
					   record_warning, &w),
			 0);
	ck_assert_int_eq(w.count, 1);
	ck_assert_ptr_null(strchr(w.last, '\x1b'));
	ck_assert_msg(strstr(w.last, "\\x1b") != NULL, "warning: %s", w.last);
	ck_assert_msg(strstr(w.last, "secret") == NULL, "value leaked into warning: %s", w.last);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_uint_eq(list.items[0].http_port, 0);
	ck_assert_uint_eq(list.items[0].https_port, 443);
	domain_spec_list_free(&list);
	free(w.last);
}
END_TEST

START_TEST(test_long_name_shortened_in_error)
{
	/* A huge hostile value is cut in the message. */
	char text[2000];
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse(text, &list, &error, NULL, NULL), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_uint_lt(strlen(error), 300);
	ck_assert_msg(strstr(error, "...") != NULL, "error: %s", error);
	free(error);
}
END_TEST

START_TEST(test_unknown_option_without_callback)
{
	/* No callback: the unknown option is still ignored, no crash. */
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse("example.org:weird:https", &list, &error, NULL, NULL), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_uint_eq(list.items[0].http_port, 0);
	ck_assert_uint_eq(list.items[0].https_port, 443);
	domain_spec_list_free(&list);
}
END_TEST

START_TEST(test_duplicate_warns_first_kept)
{
	struct warnings w = {0, NULL, NULL};
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse("example.org:http=81 other.org example.org:https=8443", &list,
					   &error, record_warning, &w),
			 0);
	ck_assert_int_eq(w.count, 1);
	ck_assert_msg(strstr(w.last, "'example.org'") != NULL, "warning: %s", w.last);
	ck_assert_msg(strstr(w.last, "more than once") != NULL, "warning: %s", w.last);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.items[0].domain, "example.org");
	ck_assert_uint_eq(list.items[0].http_port, 81);
	ck_assert_uint_eq(list.items[0].https_port, 0);
	ck_assert_str_eq(list.items[1].domain, "other.org");
	domain_spec_list_free(&list);
	free(w.last);
}
END_TEST

START_TEST(test_no_warning_for_clean_specs)
{
	struct warnings w = {0, NULL, NULL};
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse("example.org admin.example.org:https app.example.org:http=8080",
					   &list, &error, record_warning, &w),
			 0);
	ck_assert_int_eq(w.count, 0);
	ck_assert_uint_eq(list.count, 3);
	domain_spec_list_free(&list);
}
END_TEST

START_TEST(test_list_free_is_idempotent)
{
	struct domain_spec_list list = {0};
	domain_spec_list_free(&list);
	domain_spec_list_free(&list);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_ptr_null(list.items);
}
END_TEST

/* --- ids --- */

struct id_case {
	const char *domain;
	const char *id;
};

static const struct id_case id_cases[] = {
	{"example.org", "example_org"},
	{"a-b.c", "a_b_c"},
	{"under_score.example9.org", "under_score_example9_org"},
	{"www1.Example.ORG", "www1_Example_ORG"},
	{"0123456789", "0123456789"},
	{"", ""},
	{"a:b/c d", "a_b_c_d"},
	{"b\xc3\xbc" "cher.de", "b__cher_de"},
};

START_TEST(test_id)
{
	char *id = domain_spec_id(id_cases[_i].domain);
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq(id, id_cases[_i].id);
	ck_assert_uint_eq(strlen(id), strlen(id_cases[_i].domain));
	free(id);
}
END_TEST

static Suite *domain_spec_suite(void)
{
	Suite *s = suite_create("domain_spec");
	TCase *tc = tcase_create("valid");
	tcase_add_loop_test(tc, test_valid, 0, (int)(sizeof valid_cases / sizeof valid_cases[0]));
	tcase_add_test(tc, test_many_specs);
	tcase_add_test(tc, test_list_free_is_idempotent);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof invalid_cases / sizeof invalid_cases[0]));
	tcase_add_test(tc, test_label_63_ok_64_refused);
	tcase_add_test(tc, test_name_253_ok_254_refused);
	tcase_add_test(tc, test_error_message_is_printable);
	tcase_add_test(tc, test_error_clears_earlier_specs);
	tcase_add_test(tc, test_long_name_shortened_in_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("warnings");
	tcase_add_test(tc, test_unknown_option_warns);
	tcase_add_test(tc, test_unknown_option_without_callback);
	tcase_add_test(tc, test_unknown_option_warning_is_sanitized);
	tcase_add_test(tc, test_duplicate_warns_first_kept);
	tcase_add_test(tc, test_no_warning_for_clean_specs);
	suite_add_tcase(s, tc);

	tc = tcase_create("id");
	tcase_add_loop_test(tc, test_id, 0, (int)(sizeof id_cases / sizeof id_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domain_spec_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
