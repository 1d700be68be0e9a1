/*
 * Unit tests of core/listen_address.c: metrics_listen's ADDRESS:PORT, what
 * is refused and why, loopback and "any" addresses, the text form.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "listen_address.h"

static struct listen_address parsed(const char *text)
{
	struct listen_address a;
	const char *error = NULL;
	ck_assert_msg(listen_address_parse(text, &a, &error) == 0, "%s: %s", text, error ? error : "?");
	ck_assert_ptr_null(error);
	return a;
}

static const char *refusal(const char *text)
{
	struct listen_address a;
	const char *error = NULL;
	ck_assert_msg(listen_address_parse(text, &a, &error) < 0, "%s was accepted", text);
	ck_assert_ptr_nonnull(error);
	return error;
}

START_TEST(test_forms)
{
	char buf[80];
	struct listen_address a = parsed("127.0.0.1:9477");
	ck_assert(listen_address_is_loopback(&a) && !listen_address_is_any(&a));
	listen_address_format(&a, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "127.0.0.1:9477");
	a = parsed("[::1]:9477");
	ck_assert(listen_address_is_loopback(&a));
	listen_address_format(&a, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "[::1]:9477");
	a = parsed("0.0.0.0:0");
	ck_assert(listen_address_is_any(&a) && !listen_address_is_loopback(&a));
	listen_address_format(&a, 41000, buf, sizeof buf); /* the port bound */
	ck_assert_str_eq(buf, "0.0.0.0:41000");
	a = parsed("[::]:65535");
	ck_assert(listen_address_is_any(&a));
	a = parsed("127.8.9.10:1");
	ck_assert(listen_address_is_loopback(&a));
	a = parsed("[::ffff:127.0.0.1]:1");
	ck_assert(listen_address_is_loopback(&a));
	a = parsed("192.0.2.1:80");
	ck_assert(!listen_address_is_loopback(&a) && !listen_address_is_any(&a));
}
END_TEST

START_TEST(test_refusals)
{
	ck_assert_ptr_nonnull(strstr(refusal("localhost:9477"), "numeric IPv4"));
	ck_assert_ptr_nonnull(strstr(refusal("::1:9477"), "numeric IPv4"));
	ck_assert_ptr_nonnull(strstr(refusal("[127.0.0.1]:9477"), "IPv6"));
	ck_assert_ptr_nonnull(strstr(refusal("127.0.0.1:65536"), "port"));
	ck_assert_ptr_nonnull(strstr(refusal("127.0.0.1:-1"), "port"));
	ck_assert_ptr_nonnull(strstr(refusal("127.0.0.1:"), "port"));
	ck_assert_ptr_nonnull(strstr(refusal("127.0.0.1:80x"), "port"));
	refusal("9477");
	refusal(":9477");
	refusal("[::1]9477");
	refusal("");
	refusal(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("listen_address");
	TCase *tc = tcase_create("listen_address");
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
