/*
 * Unit tests of core/loader.c: finding, loading and refusing plugins.  The
 * test-only modules come from tests/plugins/.libs ($BEACHHEAD_TEST_PLUGINS during
 * make check).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "loader.h"

static const char *plugin_dir(void)
{
	const char *dir = getenv("BEACHHEAD_TEST_PLUGINS");
	if (!dir || !*dir)
		dir = UNIT_TEST_PLUGIN_DIR;
	struct stat st;
	ck_assert_msg(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "test plugin dir %s missing", dir);
	return dir;
}

static char *plugin_file(const char *name)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s.so", plugin_dir(), name), 0);
	return path;
}

static void assert_contains(const char *text, const char *needle)
{
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, needle) != NULL, "\"%s\" lacks \"%s\"", text, needle);
}

/* --- broken modules --- */

struct broken_case {
	const char *module;
	const char *needles[2];
};

static const struct broken_case broken_cases[] = {
	{"broken-abi-major", {"major", "ABI 2.3"}},
	{"broken-abi-minor", {"newer", "ABI 1.4"}},
	{"broken-struct-size", {"smaller", "16 bytes"}},
	{"broken-no-symbol", {"does not export", "'beachhead_plugin'"}},
	{"broken-no-init", {"'init'", "missing"}},
};

START_TEST(test_broken_module_by_path)
{
	const struct broken_case *c = &broken_cases[_i];
	char *path = plugin_file(c->module);
	struct loaded_plugin p;
	memset(&p, 0xaa, sizeof p);
	char *error = NULL;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, c->needles[0]);
	assert_contains(error, c->needles[1]);
	/* Nothing is left loaded on refusal. */
	ck_assert_ptr_null(p.handle);
	ck_assert_ptr_null(p.path);
	ck_assert_ptr_null(p.table);
	loader_unload(&p); /* harmless on an empty struct */
	free(error);
	free(path);
}
END_TEST

START_TEST(test_broken_module_by_name)
{
	const struct broken_case *c = &broken_cases[_i];
	char *path = plugin_file(c->module);
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load(c->module, plugin_dir(), BH_PLUGIN_INSPECTOR, &p, &error), -1);
	/* The message names the file that was found, not just the name. */
	assert_contains(error, path);
	assert_contains(error, c->needles[0]);
	ck_assert_ptr_null(p.handle);
	free(error);
	free(path);
}
END_TEST

/* --- good modules --- */

START_TEST(test_scripted_inspector_by_name)
{
	struct loaded_plugin p;
	char *error = NULL;
	char *search = NULL;
	/* Empty and bogus components before the real directory are skipped. */
	ck_assert_int_ge(asprintf(&search, ":/nonexistent-dir::%s:", plugin_dir()), 0);
	int rc = loader_load("inspector-scripted", search, BH_PLUGIN_INSPECTOR, &p, &error);
	ck_assert_msg(rc == 0, "load failed: %s", error ? error : "(null)");
	ck_assert_ptr_null(error);
	ck_assert_ptr_nonnull(p.handle);
	ck_assert_ptr_nonnull(p.table);
	char *expected = plugin_file("inspector-scripted");
	ck_assert_str_eq(p.path, expected);
	ck_assert_uint_eq(p.table->kind, BH_PLUGIN_INSPECTOR);
	ck_assert_uint_eq(p.table->abi_major, BH_ABI_MAJOR);
	ck_assert_ptr_nonnull(p.table->name);
	ck_assert_ptr_nonnull(p.table->init);
	ck_assert_ptr_nonnull(p.table->resync);
	loader_unload(&p);
	ck_assert_ptr_null(p.handle);
	ck_assert_ptr_null(p.path);
	ck_assert_ptr_null(p.table);
	free(expected);
	free(search);
}
END_TEST

/* An ABI 1.1 publisher's table ends before 1.2's functions: the core's copy
 * has them NULL, whatever follows the table in the module's memory. */
START_TEST(test_abi11_publisher_table_normalized)
{
	char *path = plugin_file("publisher-abi11");
	struct loaded_plugin p;
	char *error = NULL;
	int rc = loader_load(path, NULL, BH_PLUGIN_PUBLISHER, &p, &error);
	ck_assert_msg(rc == 0, "load failed: %s", error ? error : "(null)");
	ck_assert_uint_eq(p.table->abi_minor, 1);
	ck_assert_uint_eq(p.table->struct_size, BH_PLUGIN_SIZE_1_1);
	ck_assert_ptr_nonnull(p.table->pending);
	ck_assert_ptr_null(p.table->sweep);
	ck_assert_ptr_null(p.table->hand_over_withdrawals);
	loader_unload(&p);
	free(path);
}
END_TEST

START_TEST(test_scripted_inspector_by_absolute_path)
{
	char *path = plugin_file("inspector-scripted");
	struct loaded_plugin p;
	char *error = NULL;
	/* A path is used as is: the search path does not matter. */
	int rc = loader_load(path, "/nonexistent-dir", BH_PLUGIN_INSPECTOR, &p, &error);
	ck_assert_msg(rc == 0, "load failed: %s", error ? error : "(null)");
	ck_assert_str_eq(p.path, path);
	ck_assert_uint_eq(p.table->kind, BH_PLUGIN_INSPECTOR);
	/* The same module may be loaded twice (two handles, one mapping). */
	struct loaded_plugin q;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_INSPECTOR, &q, &error), 0);
	ck_assert_ptr_eq(q.table->init, p.table->init);
	loader_unload(&q);
	loader_unload(&p);
	free(path);
}
END_TEST

START_TEST(test_scripted_inspector_as_publisher_refused)
{
	char *path = plugin_file("inspector-scripted");
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_PUBLISHER, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, "inspector");
	assert_contains(error, "needs a publisher");
	ck_assert_ptr_null(p.handle);
	free(error);
	free(path);
}
END_TEST

START_TEST(test_publisher_as_inspector_refused)
{
	const char *path = UNIT_PUBLISHER_STDOUT;
	ck_assert_msg(access(path, R_OK) == 0, "%s not built", path);
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, "publisher plugin");
	assert_contains(error, "needs an inspector");
	ck_assert_ptr_null(p.handle);
	free(error);

	/* As a publisher it loads. */
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_PUBLISHER, &p, &error), 0);
	ck_assert_uint_eq(p.table->kind, BH_PLUGIN_PUBLISHER);
	ck_assert_str_eq(p.table->name, "publisher-stdout");
	loader_unload(&p);
}
END_TEST

/* --- files that are not plugins --- */

static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/bh-unit-loader-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/x.so", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/inspector-scripted.so", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/dir.so", tmpdir);
	rmdir(path);
	rmdir(tmpdir);
}

START_TEST(test_missing_file_by_path)
{
	char path[128];
	snprintf(path, sizeof path, "%s/nothing-here.so", tmpdir);
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, "no such file");
	ck_assert_ptr_null(p.handle);
	free(error);
}
END_TEST

START_TEST(test_missing_plugin_by_name)
{
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load("no-such-plugin", tmpdir, BH_PLUGIN_PUBLISHER, &p, &error), -1);
	assert_contains(error, "'no-such-plugin'");
	assert_contains(error, "no-such-plugin.so");
	assert_contains(error, tmpdir);        /* every place searched is named */
	assert_contains(error, BH_PKGLIBDIR);
	ck_assert_ptr_null(p.handle);
	free(error);

	/* Without a search path: only the install directory. */
	ck_assert_int_eq(loader_load("no-such-plugin", NULL, BH_PLUGIN_PUBLISHER, &p, &error), -1);
	assert_contains(error, BH_PKGLIBDIR);
	free(error);
}
END_TEST

START_TEST(test_directory_refused)
{
	char path[128];
	snprintf(path, sizeof path, "%s/dir.so", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, "not a regular file");
	free(error);
	/* By name, a directory NAME.so is not a candidate either. */
	ck_assert_int_eq(loader_load("dir", tmpdir, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, "no dir.so");
	free(error);
}
END_TEST

START_TEST(test_not_a_shared_object)
{
	char path[128];
	snprintf(path, sizeof path, "%s/x.so", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not an ELF file\n", f);
	fclose(f);
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load(path, NULL, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, "cannot load");
	ck_assert_ptr_null(p.handle);
	free(error);

	/* Found by name through the search path: same refusal. */
	ck_assert_int_eq(loader_load("x", tmpdir, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, path);
	assert_contains(error, "cannot load");
	free(error);
}
END_TEST

START_TEST(test_search_order_first_match_wins)
{
	/* A file of the same name earlier in the search path shadows the good
	 * one: the loader refuses it rather than silently trying the next. */
	char path[128];
	snprintf(path, sizeof path, "%s/x.so", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("junk\n", f);
	fclose(f);
	char *good = plugin_file("inspector-scripted");
	char link_path[128];
	snprintf(link_path, sizeof link_path, "%s/inspector-scripted.so", tmpdir);
	ck_assert_int_eq(symlink(path, link_path), 0);
	char *search = NULL;
	ck_assert_int_ge(asprintf(&search, "%s:%s", tmpdir, plugin_dir()), 0);
	struct loaded_plugin p;
	char *error = NULL;
	ck_assert_int_eq(loader_load("inspector-scripted", search, BH_PLUGIN_INSPECTOR, &p, &error), -1);
	assert_contains(error, link_path);
	assert_contains(error, "cannot load");
	free(error);
	/* The other order finds the real module. */
	free(search);
	ck_assert_int_ge(asprintf(&search, "%s:%s", plugin_dir(), tmpdir), 0);
	ck_assert_int_eq(loader_load("inspector-scripted", search, BH_PLUGIN_INSPECTOR, &p, &error), 0);
	ck_assert_str_eq(p.path, good);
	loader_unload(&p);
	unlink(link_path);
	free(search);
	free(good);
}
END_TEST

/* --- loader_check_table on hand-built tables --- */

static int t_init(const struct bh_init *args, void **self)
{
	(void)args;
	*self = NULL;
	return BH_OK;
}

static int t_start(void *self)
{
	(void)self;
	return BH_OK;
}

static void t_void(void *self)
{
	(void)self;
}

static int t_resync(void *self)
{
	(void)self;
	return BH_OK;
}

static int t_publish(void *self, const struct bh_registration *r)
{
	(void)self;
	(void)r;
	return BH_OK;
}

static int t_withdraw(void *self, const char *key, const char *container)
{
	(void)self;
	(void)key;
	(void)container;
	return BH_OK;
}

static size_t t_pending(void *self)
{
	(void)self;
	return 0;
}

static struct bh_plugin good_table(enum bh_plugin_kind kind)
{
	struct bh_plugin t = {
		.abi_major = BH_ABI_MAJOR,
		.abi_minor = BH_ABI_MINOR,
		.struct_size = sizeof(struct bh_plugin),
		.kind = kind,
		.name = "hand-built",
		.version = "1",
		.description = "test",
		.init = t_init,
		.start = t_start,
		.stop = t_void,
		.destroy = t_void,
	};
	if (kind == BH_PLUGIN_INSPECTOR) {
		t.resync = t_resync;
	} else {
		t.publish = t_publish;
		t.withdraw = t_withdraw;
		t.pending = t_pending;
	}
	return t;
}

START_TEST(test_check_table_good)
{
	struct bh_plugin t = good_table(BH_PLUGIN_PUBLISHER);
	ck_assert_ptr_null(loader_check_table(&t, BH_PLUGIN_PUBLISHER));
	t = good_table(BH_PLUGIN_INSPECTOR);
	ck_assert_ptr_null(loader_check_table(&t, BH_PLUGIN_INSPECTOR));
	/* An inspector need not have publisher functions and vice versa. */
	ck_assert_ptr_null(t.publish);
	/* Exactly the ABI 1.0 size is enough. */
	t.struct_size = (uint32_t)BH_PLUGIN_SIZE_1_0;
	ck_assert_ptr_null(loader_check_table(&t, BH_PLUGIN_INSPECTOR));
	/* A minor up to the core's is fine (append-only evolution). */
	t.abi_minor = 0;
	ck_assert_ptr_null(loader_check_table(&t, BH_PLUGIN_INSPECTOR));
	/* A description and version are optional. */
	t.description = NULL;
	t.version = NULL;
	ck_assert_ptr_null(loader_check_table(&t, BH_PLUGIN_INSPECTOR));
}
END_TEST

enum defect {
	NO_INIT,
	NO_START,
	NO_STOP,
	NO_DESTROY,
	NO_RESYNC,
	NO_PUBLISH,
	NO_WITHDRAW,
	NO_PENDING,
	NO_NAME,
	EMPTY_NAME,
	MAJOR_LOW,
	MAJOR_HIGH,
	MINOR_HIGH,
	SIZE_SHORT,
	KIND_WRONG,
	KIND_UNKNOWN,
};

struct table_case {
	enum bh_plugin_kind kind;
	enum defect defect;
	const char *needle;
};

static const struct table_case table_cases[] = {
	{BH_PLUGIN_PUBLISHER, NO_INIT, "'init'"},
	{BH_PLUGIN_PUBLISHER, NO_START, "'start'"},
	{BH_PLUGIN_PUBLISHER, NO_STOP, "'stop'"},
	{BH_PLUGIN_PUBLISHER, NO_DESTROY, "'destroy'"},
	{BH_PLUGIN_PUBLISHER, NO_PUBLISH, "'publish'"},
	{BH_PLUGIN_PUBLISHER, NO_WITHDRAW, "'withdraw'"},
	{BH_PLUGIN_PUBLISHER, NO_PENDING, "'pending'"},
	{BH_PLUGIN_INSPECTOR, NO_INIT, "'init'"},
	{BH_PLUGIN_INSPECTOR, NO_DESTROY, "'destroy'"},
	{BH_PLUGIN_INSPECTOR, NO_RESYNC, "'resync'"},
	{BH_PLUGIN_PUBLISHER, NO_NAME, "no name"},
	{BH_PLUGIN_INSPECTOR, EMPTY_NAME, "no name"},
	{BH_PLUGIN_PUBLISHER, MAJOR_LOW, "major"},
	{BH_PLUGIN_PUBLISHER, MAJOR_HIGH, "major"},
	{BH_PLUGIN_PUBLISHER, MINOR_HIGH, "newer"},
	{BH_PLUGIN_PUBLISHER, SIZE_SHORT, "smaller"},
	{BH_PLUGIN_PUBLISHER, KIND_WRONG, "needs a publisher"},
	{BH_PLUGIN_INSPECTOR, KIND_WRONG, "needs an inspector"},
	{BH_PLUGIN_INSPECTOR, KIND_UNKNOWN, "unknown"},
};

START_TEST(test_check_table_refusals)
{
	const struct table_case *c = &table_cases[_i];
	struct bh_plugin t = good_table(c->kind);
	switch (c->defect) {
	case NO_INIT: t.init = NULL; break;
	case NO_START: t.start = NULL; break;
	case NO_STOP: t.stop = NULL; break;
	case NO_DESTROY: t.destroy = NULL; break;
	case NO_RESYNC: t.resync = NULL; break;
	case NO_PUBLISH: t.publish = NULL; break;
	case NO_WITHDRAW: t.withdraw = NULL; break;
	case NO_PENDING: t.pending = NULL; break;
	case NO_NAME: t.name = NULL; break;
	case EMPTY_NAME: t.name = ""; break;
	case MAJOR_LOW: t.abi_major = BH_ABI_MAJOR - 1; break;
	case MAJOR_HIGH: t.abi_major = BH_ABI_MAJOR + 1; break;
	case MINOR_HIGH: t.abi_minor = BH_ABI_MINOR + 1; break;
	case SIZE_SHORT: t.struct_size = (uint32_t)BH_PLUGIN_SIZE_1_0 - 1; break;
	case KIND_WRONG:
		t.kind = c->kind == BH_PLUGIN_INSPECTOR ? BH_PLUGIN_PUBLISHER : BH_PLUGIN_INSPECTOR;
		break;
	case KIND_UNKNOWN: t.kind = 7; break;
	}
	char *reason = loader_check_table(&t, c->kind);
	ck_assert_msg(reason != NULL, "case %d accepted", _i);
	assert_contains(reason, c->needle);
	free(reason);
}
END_TEST

START_TEST(test_check_table_versions_in_message)
{
	struct bh_plugin t = good_table(BH_PLUGIN_PUBLISHER);
	t.abi_major = 9;
	t.abi_minor = 4;
	char *reason = loader_check_table(&t, BH_PLUGIN_PUBLISHER);
	char core[32];
	snprintf(core, sizeof core, "%u.%u", BH_ABI_MAJOR, BH_ABI_MINOR);
	assert_contains(reason, "9.4");
	assert_contains(reason, core);
	free(reason);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("modules");
	tcase_add_loop_test(tc, test_broken_module_by_path, 0,
			    (int)(sizeof broken_cases / sizeof broken_cases[0]));
	tcase_add_loop_test(tc, test_broken_module_by_name, 0,
			    (int)(sizeof broken_cases / sizeof broken_cases[0]));
	tcase_add_test(tc, test_scripted_inspector_by_name);
	tcase_add_test(tc, test_scripted_inspector_by_absolute_path);
	tcase_add_test(tc, test_abi11_publisher_table_normalized);
	tcase_add_test(tc, test_scripted_inspector_as_publisher_refused);
	tcase_add_test(tc, test_publisher_as_inspector_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_missing_file_by_path);
	tcase_add_test(tc, test_missing_plugin_by_name);
	tcase_add_test(tc, test_directory_refused);
	tcase_add_test(tc, test_not_a_shared_object);
	tcase_add_test(tc, test_search_order_first_match_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("check_table");
	tcase_add_test(tc, test_check_table_good);
	tcase_add_loop_test(tc, test_check_table_refusals, 0,
			    (int)(sizeof table_cases / sizeof table_cases[0]));
	tcase_add_test(tc, test_check_table_versions_in_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loader_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
