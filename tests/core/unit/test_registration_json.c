/*
 * Unit tests of core/registration_json.c: the value stored per container is
 * the consumer contract, so the expected strings are byte for byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "domain_spec.h"
#include "registration_json.h"

struct json_case {
	const char *specs;
	const char *address;
	const char *expected;
};

static const struct json_case json_cases[] = {
	{"example.org", "172.30.0.2",
	 "[{\"id\":\"example_org\",\"domain\":\"example.org\","
	 "\"http\":{\"host\":\"172.30.0.2\",\"port\":80},"
	 "\"https\":{\"host\":\"172.30.0.2\",\"port\":443}}]"},
	{"example.org:https", "172.30.0.2",
	 "[{\"id\":\"example_org\",\"domain\":\"example.org\","
	 "\"https\":{\"host\":\"172.30.0.2\",\"port\":443}}]"},
	{"example.org:http", "172.30.0.2",
	 "[{\"id\":\"example_org\",\"domain\":\"example.org\","
	 "\"http\":{\"host\":\"172.30.0.2\",\"port\":80}}]"},
	{"example.org:http=8080:https=8043", "10.0.0.7",
	 "[{\"id\":\"example_org\",\"domain\":\"example.org\","
	 "\"http\":{\"host\":\"10.0.0.7\",\"port\":8080},"
	 "\"https\":{\"host\":\"10.0.0.7\",\"port\":8043}}]"},
	/* The README example: several domains, in the order given. */
	{"example.org admin.example.org:https app.example.org:http=8080:https=8043", "172.30.0.2",
	 "[{\"id\":\"example_org\",\"domain\":\"example.org\","
	 "\"http\":{\"host\":\"172.30.0.2\",\"port\":80},"
	 "\"https\":{\"host\":\"172.30.0.2\",\"port\":443}},"
	 "{\"id\":\"admin_example_org\",\"domain\":\"admin.example.org\","
	 "\"https\":{\"host\":\"172.30.0.2\",\"port\":443}},"
	 "{\"id\":\"app_example_org\",\"domain\":\"app.example.org\","
	 "\"http\":{\"host\":\"172.30.0.2\",\"port\":8080},"
	 "\"https\":{\"host\":\"172.30.0.2\",\"port\":8043}}]"},
	/* Order is the order of the specs, not sorted. */
	{"z.org:http a.org:https", "h",
	 "[{\"id\":\"z_org\",\"domain\":\"z.org\",\"http\":{\"host\":\"h\",\"port\":80}},"
	 "{\"id\":\"a_org\",\"domain\":\"a.org\",\"https\":{\"host\":\"h\",\"port\":443}}]"},
	/* Hostname mode (--docker-network): the container name is the host. */
	{"admin-internal.example.org:http=8080", "my-web_1",
	 "[{\"id\":\"admin_internal_example_org\",\"domain\":\"admin-internal.example.org\","
	 "\"http\":{\"host\":\"my-web_1\",\"port\":8080}}]"},
	/* Extreme ports. */
	{"e.org:http=1:https=65535", "::1",
	 "[{\"id\":\"e_org\",\"domain\":\"e.org\",\"http\":{\"host\":\"::1\",\"port\":1},"
	 "\"https\":{\"host\":\"::1\",\"port\":65535}}]"},
	/* No specs at all. */
	{"", "172.30.0.2", "[]"},
	/* '/' is not escaped. */
	{"e.org:http", "unix/socket",
	 "[{\"id\":\"e_org\",\"domain\":\"e.org\",\"http\":{\"host\":\"unix/socket\",\"port\":80}}]"},
};

START_TEST(test_registration_json_exact)
{
	const struct json_case *c = &json_cases[_i];
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_msg(domain_spec_parse(c->specs, &list, &error, NULL, NULL) == 0, "specs: %s", error);
	char *json = registration_json(&list, c->address);
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, c->expected);

	/* And it is valid JSON that decodes to the same structure. */
	struct json_tokener *tok = json_tokener_new();
	struct json_object *parsed = json_tokener_parse_ex(tok, json, (int)strlen(json));
	ck_assert_int_eq(json_tokener_get_error(tok), json_tokener_success);
	ck_assert_ptr_nonnull(parsed);
	ck_assert(json_object_is_type(parsed, json_type_array));
	ck_assert_uint_eq(json_object_array_length(parsed), list.count);
	for (size_t i = 0; i < list.count; i++) {
		struct json_object *entry = json_object_array_get_idx(parsed, i);
		struct json_object *field = NULL;
		ck_assert(json_object_object_get_ex(entry, "domain", &field));
		ck_assert_str_eq(json_object_get_string(field), list.items[i].domain);
		ck_assert(json_object_object_get_ex(entry, "http", &field) == (list.items[i].http_port != 0));
		ck_assert(json_object_object_get_ex(entry, "https", &field) ==
			  (list.items[i].https_port != 0));
	}
	json_object_put(parsed);
	json_tokener_free(tok);
	free(json);
	domain_spec_list_free(&list);
}
END_TEST

static struct domain_spec_list one_spec(void)
{
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse("example.org", &list, &error, NULL, NULL), 0);
	return list;
}

struct escape_case {
	const char *address;
	const char *escaped; /* how the host must appear inside the JSON text */
};

static const struct escape_case escape_cases[] = {
	{"quo\"te", "\"quo\\\"te\""},
	{"back\\slash", "\"back\\\\slash\""},
	{"new\nline", "\"new\\nline\""},
	{"tab\there", "\"tab\\there\""},
	{"ctl\x01x", "\"ctl\\u0001x\""},
	{"sl/ash", "\"sl/ash\""},
	{"utf8-\xc3\xa9", "\"utf8-\xc3\xa9\""},
	{"", "\"\""},
};

START_TEST(test_registration_json_escapes)
{
	const struct escape_case *c = &escape_cases[_i];
	struct domain_spec_list list = one_spec();
	char *json = registration_json(&list, c->address);
	ck_assert_ptr_nonnull(json);
	ck_assert_msg(strstr(json, c->escaped) != NULL, "%s lacks %s", json, c->escaped);
	ck_assert_ptr_null(strchr(json, '\n'));

	struct json_object *parsed = json_tokener_parse(json);
	ck_assert_msg(parsed != NULL, "not valid JSON: %s", json);
	struct json_object *entry = json_object_array_get_idx(parsed, 0);
	struct json_object *backend = NULL, *host = NULL, *port = NULL;
	ck_assert(json_object_object_get_ex(entry, "http", &backend));
	ck_assert(json_object_object_get_ex(backend, "host", &host));
	ck_assert(json_object_object_get_ex(backend, "port", &port));
	ck_assert_str_eq(json_object_get_string(host), c->address);
	ck_assert_int_eq(json_object_get_int(port), 80);
	ck_assert(json_object_object_get_ex(entry, "https", &backend));
	ck_assert(json_object_object_get_ex(backend, "host", &host));
	ck_assert_str_eq(json_object_get_string(host), c->address);
	json_object_put(parsed);
	free(json);
	domain_spec_list_free(&list);
}
END_TEST

START_TEST(test_registration_json_empty_list_struct)
{
	struct domain_spec_list list = {0};
	char *json = registration_json(&list, "1.2.3.4");
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "[]");
	free(json);
}
END_TEST

START_TEST(test_registration_json_id_keeps_underscores)
{
	/* Hand-built spec (bypassing the parser): the id replaces every byte
	 * outside [A-Za-z0-9_] and keeps underscores and digits. */
	struct domain_spec item = {.domain = (char *)"my_host-01.Example.org", .https_port = 8443};
	struct domain_spec_list list = {&item, 1, 1};
	char *json = registration_json(&list, "h");
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "[{\"id\":\"my_host_01_Example_org\",\"domain\":\"my_host-01.Example.org\","
			       "\"https\":{\"host\":\"h\",\"port\":8443}}]");
	free(json);
}
END_TEST

START_TEST(test_registration_json_unmapped_domain)
{
	/* http/https appear only when mapped (a hand-built spec with neither). */
	struct domain_spec items[2] = {{.domain = (char *)"a.org"}, {.domain = (char *)"b.org", .http_port = 81}};
	struct domain_spec_list list = {items, 2, 2};
	char *json = registration_json(&list, "h");
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "[{\"id\":\"a_org\",\"domain\":\"a.org\"},"
			       "{\"id\":\"b_org\",\"domain\":\"b.org\",\"http\":{\"host\":\"h\",\"port\":81}}]");
	free(json);
}
END_TEST

/* Published-port mode: each scheme may be reached at its own host. */
START_TEST(test_registration_json_scheme_hosts)
{
	struct domain_spec item = {.domain = (char *)"a.org", .http_port = 17380, .https_port = 17381,
				   .https_host = "192.0.2.7"};
	struct domain_spec_list list = {&item, 1, 1};
	char *json = registration_json(&list, "192.0.2.10");
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "[{\"id\":\"a_org\",\"domain\":\"a.org\","
			       "\"http\":{\"host\":\"192.0.2.10\",\"port\":17380},"
			       "\"https\":{\"host\":\"192.0.2.7\",\"port\":17381}}]");
	free(json);
}
END_TEST

static Suite *registration_json_suite(void)
{
	Suite *s = suite_create("registration_json");
	TCase *tc = tcase_create("registration_json");
	tcase_add_loop_test(tc, test_registration_json_exact, 0,
			    (int)(sizeof json_cases / sizeof json_cases[0]));
	tcase_add_loop_test(tc, test_registration_json_escapes, 0,
			    (int)(sizeof escape_cases / sizeof escape_cases[0]));
	tcase_add_test(tc, test_registration_json_empty_list_struct);
	tcase_add_test(tc, test_registration_json_id_keeps_underscores);
	tcase_add_test(tc, test_registration_json_unmapped_domain);
	tcase_add_test(tc, test_registration_json_scheme_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registration_json_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
