/*
 * Unit tests of the configuration helpers in <beachhead/sdk.h>, on groups
 * parsed by the real libconfig: every bad setting is reported (one line
 * each, "FILE:LINE: instance: message", in the daemon's wording) and
 * counted, good ones are stored, bad ones leave the output alone.
 *
 * The host API here is a stand-in for the core's: a log function that
 * records the lines, because the messages are what is under test.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <libconfig.h>

#include <beachhead/sdk.h>

#define MAX_LINES 16

static char *lines[MAX_LINES];
static enum bh_log_level levels[MAX_LINES];
static size_t n_lines;

/* Stand-in for the core's logger: keeps every line for the assertions. */
static void record_log(struct bh_host *host, enum bh_log_level level, const char *fmt, ...)
	BH_PRINTF(3, 4);
static void record_log(struct bh_host *host, enum bh_log_level level, const char *fmt, ...)
{
	(void)host;
	ck_assert_uint_lt(n_lines, MAX_LINES);
	va_list ap;
	va_start(ap, fmt);
	lines[n_lines] = bh_vstrfmt(fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(lines[n_lines]);
	levels[n_lines++] = level;
}

static struct bh_host_api api;
static config_t cfg_file;
static struct bh_init args;

/* Parses `text` (the plugin's group is its setting "g") into args. */
static void load(const char *text)
{
	api.abi_major = BH_ABI_MAJOR;
	api.abi_minor = BH_ABI_MINOR;
	api.size = sizeof api;
	api.log = record_log;
	config_init(&cfg_file);
	ck_assert_int_eq(config_read_string(&cfg_file, text), CONFIG_TRUE);
	memset(&args, 0, sizeof args);
	args.size = sizeof args;
	args.api = &api;
	args.config = config_lookup(&cfg_file, "g");
	ck_assert_ptr_nonnull(args.config);
	args.config_file = "test.conf";
	args.instance = "publishers[0]";
}

static const config_setting_t *member(const char *name)
{
	const config_setting_t *s = config_setting_get_member(args.config, name);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void teardown(void)
{
	for (size_t i = 0; i < n_lines; i++)
		free(lines[i]);
	n_lines = 0;
	config_destroy(&cfg_file);
}

static void assert_line(size_t i, enum bh_log_level level, const char *want)
{
	ck_assert_uint_lt(i, n_lines);
	ck_assert_str_eq(lines[i], want);
	ck_assert_int_eq(levels[i], level);
}

START_TEST(test_every_bad_setting_reported_once)
{
	load("g = {\n"
	     "  s = 5;\n"
	     "  e = \"\";\n"
	     "  n = -1;\n"
	     "  b = \"yes\";\n"
	     "  big = 11L;\n"
	     "  typo = 1;\n"
	     "  list = [ 1 ];\n"
	     "};\n");
	struct bh_config c = bh_config_begin(&args);
	char *str = NULL;
	unsigned long long n = 7;
	int b = 2;
	ck_assert_int_eq(bh_config_string(&c, member("s"), &str), -1);
	ck_assert_int_eq(bh_config_nonempty_string(&c, member("e"), &str), -1);
	ck_assert_int_eq(bh_config_uint(&c, member("n"), 0, 10, &n), -1);
	ck_assert_int_eq(bh_config_bool(&c, member("b"), &b), -1);
	ck_assert_int_eq(bh_config_uint(&c, member("big"), 0, 10, &n), -1);
	bh_config_unknown_among(&c, member("typo"), "s, e, n");
	ck_assert_int_eq(bh_config_expect(&c, config_setting_get_elem(member("list"), 0),
					  CONFIG_TYPE_STRING), -1);
	bh_config_missing(&c, "directory", "where to write files");
	ck_assert_int_eq(bh_config_end(&c), BH_ERR);
	ck_assert_uint_eq(c.errors, 8);
	ck_assert_uint_eq(n_lines, 8);
	assert_line(0, BH_LOG_ERROR, "test.conf:2: publishers[0]: 's' must be a string, not an integer");
	assert_line(1, BH_LOG_ERROR, "test.conf:3: publishers[0]: 'e' must not be empty");
	assert_line(2, BH_LOG_ERROR, "test.conf:4: publishers[0]: 'n' must be between 0 and 10, not -1");
	assert_line(3, BH_LOG_ERROR, "test.conf:5: publishers[0]: 'b' must be a boolean, not a string");
	assert_line(4, BH_LOG_ERROR, "test.conf:6: publishers[0]: 'big' must be between 0 and 10, not 11");
	assert_line(5, BH_LOG_ERROR,
		    "test.conf:7: publishers[0]: unknown setting 'typo' (known: s, e, n)");
	assert_line(6, BH_LOG_ERROR, "test.conf:8: publishers[0]: 'value' must be a string, not an integer");
	assert_line(7, BH_LOG_ERROR, "test.conf:1: publishers[0]: missing 'directory' (where to write files)");
	/* Nothing bad was stored. */
	ck_assert_ptr_null(str);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(b, 2);
}
END_TEST

START_TEST(test_good_settings_stored)
{
	load("g = {\n"
	     "  s = \"\";\n"
	     "  name = \"web\";\n"
	     "  n = 10;\n"
	     "  wide = 4294967296L;\n"
	     "  b = true;\n"
	     "};\n");
	struct bh_config c = bh_config_begin(&args);
	char *empty = NULL, *name = strdup("old");
	ck_assert_ptr_nonnull(name);
	unsigned long long n = 0, wide = 0;
	int b = 0;
	/* An empty string is a value where the plugin says so. */
	ck_assert_int_eq(bh_config_string(&c, member("s"), &empty), 0);
	ck_assert_str_eq(empty, "");
	ck_assert_int_eq(bh_config_nonempty_string(&c, member("name"), &name), 0);
	ck_assert_str_eq(name, "web");
	ck_assert_int_eq(bh_config_uint(&c, member("n"), 0, 10, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(bh_config_uint(&c, member("wide"), 1, 1ull << 32, &wide), 0);
	ck_assert_uint_eq(wide, 1ull << 32);
	ck_assert_int_eq(bh_config_bool(&c, member("b"), &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(bh_config_end(&c), BH_OK);
	ck_assert_uint_eq(n_lines, 0);
	free(empty);
	free(name);
}
END_TEST

/* A warning is said with the same prefix but does not refuse the group. */
START_TEST(test_warning_is_not_an_error)
{
	load("g = {\n  port = 6379;\n};\n");
	struct bh_config c = bh_config_begin(&args);
	bh_config_warning(&c, member("port"), "'%s' is ignored", "port");
	bh_config_warning(&c, NULL, "%s", "about the whole group");
	ck_assert_int_eq(bh_config_end(&c), BH_OK);
	assert_line(0, BH_LOG_WARNING, "test.conf:2: publishers[0]: 'port' is ignored");
	assert_line(1, BH_LOG_WARNING, "test.conf:1: publishers[0]: about the whole group");
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_GROUP), "a group");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_INT), "an integer");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_INT64), "an integer");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_FLOAT), "a float");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_STRING), "a string");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_BOOL), "a boolean");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_ARRAY), "an array");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_LIST), "a list");
	ck_assert_str_eq(bh_config_type_name(CONFIG_TYPE_NONE), "something else");
}
END_TEST

static Suite *sdk_config_suite(void)
{
	Suite *s = suite_create("sdk_config");
	TCase *tc = tcase_create("helpers");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_every_bad_setting_reported_once);
	tcase_add_test(tc, test_good_settings_stored);
	tcase_add_test(tc, test_warning_is_not_an_error);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sdk_config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
