/*
 * Unit tests of core/published_ports.c: port bindings applied to parsed
 * domain specs (IPv4 and IPv6 forms of every address and of loopback).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "published_ports.h"

struct warnings {
	char text[4][256];
	size_t count;
};

static void collect(void *arg, const char *message)
{
	struct warnings *w = arg;
	ck_assert_uint_lt(w->count, 4);
	ck_assert_uint_lt(strlen(message), sizeof w->text[0]);
	strcpy(w->text[w->count++], message);
}

static struct domain_spec_list parse(const char *text)
{
	struct domain_spec_list list = {0};
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse(text, &list, &error, NULL, NULL), 0);
	return list;
}

static struct bh_container report(const struct bh_port_binding *b, size_t n)
{
	return (struct bh_container){.size = sizeof(struct bh_container), .name = "web",
				     .address = "192.0.2.10", .ports_published = 1,
				     .bindings = b, .n_bindings = n};
}

START_TEST(test_every_address_ipv6)
{
	static const struct bh_port_binding b[] = {{80, "tcp", "::", 17380}, {443, "tcp", "", 17381}};
	struct bh_container c = report(b, 2);
	struct domain_spec_list l = parse("a.org");
	struct warnings w = {0};
	ck_assert_int_eq(published_ports_apply(&c, &l, collect, &w), 0);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_uint_eq(l.items[0].http_port, 17380);
	ck_assert_ptr_null(l.items[0].http_host);
	ck_assert_uint_eq(l.items[0].https_port, 17381);
	ck_assert_uint_eq(w.count, 0);
	domain_spec_list_free(&l);
}
END_TEST

/* Every address wins over a specific one listed first; udp never counts. */
START_TEST(test_preference)
{
	static const struct bh_port_binding b[] = {
		{80, "udp", "0.0.0.0", 1}, {80, "tcp", "198.51.100.4", 2}, {80, "tcp", "0.0.0.0", 3},
		{8080, "tcp", "2001:db8::4", 4}};
	struct bh_container c = report(b, 4);
	struct domain_spec_list l = parse("a.org:http b.org:http=8080");
	struct warnings w = {0};
	ck_assert_int_eq(published_ports_apply(&c, &l, collect, &w), 0);
	ck_assert_uint_eq(l.count, 2);
	ck_assert_uint_eq(l.items[0].http_port, 3);
	ck_assert_ptr_null(l.items[0].http_host);
	ck_assert_uint_eq(l.items[1].http_port, 4);
	ck_assert_str_eq(l.items[1].http_host, "2001:db8::4");
	domain_spec_list_free(&l);
}
END_TEST

START_TEST(test_loopback_ipv6_dropped)
{
	static const struct bh_port_binding b[] = {{443, "tcp", "::1", 17381}};
	struct bh_container c = report(b, 1);
	struct domain_spec_list l = parse("a.org:https b.org");
	struct warnings w = {0};
	ck_assert_int_eq(published_ports_apply(&c, &l, collect, &w), 0);
	ck_assert_uint_eq(l.count, 0);
	ck_assert_uint_eq(w.count, 3);
	ck_assert_str_eq(w.text[0], "a.org: https port 443/tcp is published only on loopback "
				    "(::1:17381), which a proxy on another machine cannot reach; "
				    "left out");
	ck_assert_str_eq(w.text[1], "b.org: http port 80/tcp is not published; left out");
	ck_assert_ptr_nonnull(strstr(w.text[2], "b.org: https port 443/tcp is published only on loopback"));
	domain_spec_list_free(&l);
}
END_TEST

static Suite *published_ports_suite(void)
{
	Suite *s = suite_create("published_ports");
	TCase *tc = tcase_create("published_ports");
	tcase_add_test(tc, test_every_address_ipv6);
	tcase_add_test(tc, test_preference);
	tcase_add_test(tc, test_loopback_ipv6_dropped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(published_ports_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
