/*
 * Unit tests of core/abi_boundary.c: what a plugin of ABI 1.0, 1.1 or 1.2
 * hands the core becomes one full-size struct, zero beyond the plugin's size.
 * Each plugin-side struct lives in a heap block of exactly the plugin's size,
 * so that a read past it is caught by AddressSanitizer in the sanitizer build.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "abi_boundary.h"

static int dummy_fn(void *self)
{
	(void)self;
	return BH_OK;
}

static int dummy_sweep(void *self, const char *namespace_prefix)
{
	(void)self;
	(void)namespace_prefix;
	return BH_OK;
}

static void dummy_cb(void *self, bh_withdrawal_cb cb, void *arg)
{
	(void)self;
	(void)cb;
	(void)arg;
}

/* A 1.2 publisher table with every optional function set. */
static struct bh_plugin full_table(void)
{
	return (struct bh_plugin){
		.abi_major = BH_ABI_MAJOR,
		.abi_minor = 2,
		.struct_size = sizeof(struct bh_plugin),
		.kind = BH_PLUGIN_PUBLISHER,
		.name = "t",
		.start = dummy_fn,
		.sweep = dummy_sweep,
		.hand_over_withdrawals = dummy_cb,
	};
}

/* What a plugin built with a struct of `size` bytes hands over: the first
 * `size` bytes of full, in a heap block of exactly that size. */
static void *block_of(const void *full, size_t size)
{
	void *block = malloc(size);
	ck_assert_ptr_nonnull(block);
	memcpy(block, full, size);
	return block;
}

static struct bh_plugin *table_of_size(size_t size)
{
	struct bh_plugin t = full_table();
	t.struct_size = (uint32_t)size;
	return block_of(&t, size);
}

START_TEST(test_plugin_1_0_table)
{
	struct bh_plugin *given = table_of_size(BH_PLUGIN_SIZE_1_0);
	struct bh_plugin full;
	memset(&full, 0xa5, sizeof full);
	abi_plugin_table_normalize(given, &full);
	ck_assert_str_eq(full.name, "t");
	ck_assert_ptr_eq(full.start, dummy_fn);
	ck_assert_uint_eq(full.struct_size, BH_PLUGIN_SIZE_1_0);
	ck_assert_ptr_null(full.sweep);
	ck_assert_ptr_null(full.hand_over_withdrawals);
	free(given);
}
END_TEST

START_TEST(test_plugin_1_1_table)
{
	struct bh_plugin *given = table_of_size(BH_PLUGIN_SIZE_1_1);
	struct bh_plugin full;
	memset(&full, 0xa5, sizeof full);
	abi_plugin_table_normalize(given, &full);
	ck_assert_ptr_eq(full.start, dummy_fn);
	ck_assert_ptr_null(full.sweep);
	ck_assert_ptr_null(full.hand_over_withdrawals);
	free(given);
}
END_TEST

START_TEST(test_plugin_1_2_table)
{
	struct bh_plugin *given = table_of_size(BH_PLUGIN_SIZE_1_2);
	struct bh_plugin full;
	abi_plugin_table_normalize(given, &full);
	ck_assert_ptr_eq(full.sweep, dummy_sweep);
	ck_assert_ptr_eq(full.hand_over_withdrawals, dummy_cb);
	free(given);
}
END_TEST

/* Only struct_size counts: bytes after a 1.0 table (another symbol, say)
 * never become functions. */
START_TEST(test_plugin_trailing_bytes_ignored)
{
	struct bh_plugin t = full_table();
	t.struct_size = (uint32_t)BH_PLUGIN_SIZE_1_0;
	struct bh_plugin full;
	abi_plugin_table_normalize(&t, &full);
	ck_assert_ptr_null(full.sweep);
	ck_assert_ptr_null(full.hand_over_withdrawals);
}
END_TEST

/* A struct_size beyond the core's struct is cut, not read past. */
START_TEST(test_plugin_oversized_table_cut)
{
	size_t size = sizeof(struct bh_plugin) + 64;
	unsigned char *block = calloc(1, size);
	ck_assert_ptr_nonnull(block);
	struct bh_plugin t = full_table();
	t.struct_size = (uint32_t)size;
	memcpy(block, &t, sizeof t);
	struct bh_plugin full;
	abi_plugin_table_normalize((const struct bh_plugin *)block, &full);
	ck_assert_ptr_eq(full.hand_over_withdrawals, dummy_cb);
	free(block);
}
END_TEST

static const char *const labels[] = {"a=b", NULL};
static const char *const networks[] = {"front", NULL};

static const struct bh_port_binding bindings[] = {{80, "tcp", "0.0.0.0", 17380}};

static struct bh_container *container_of_size(size_t size)
{
	struct bh_container c = {
		.size = size,
		.name = "web",
		.id = "abc",
		.address = "10.0.0.1",
		.specs = "example.org",
		.spec_source = "env BEACHHEAD_DOMAINS",
		.explicitly_named = 1,
		.labels = labels,
		.networks = networks,
		.created_ns = 42,
		.ports_published = 1,
		.bindings = bindings,
		.n_bindings = 1,
	};
	return block_of(&c, size);
}

START_TEST(test_container_1_0)
{
	struct bh_container *given = container_of_size(BH_CONTAINER_SIZE_1_0);
	struct bh_container full;
	memset(&full, 0xa5, sizeof full);
	ck_assert(abi_container_normalize(given, &full));
	ck_assert_str_eq(full.name, "web");
	ck_assert_str_eq(full.specs, "example.org");
	ck_assert_int_eq(full.explicitly_named, 1);
	ck_assert_ptr_null(full.labels);
	ck_assert_ptr_null(full.networks);
	ck_assert_int_eq(full.created_ns, 0);
	ck_assert_int_eq(full.ports_published, 0);
	free(given);
}
END_TEST

START_TEST(test_container_1_1)
{
	struct bh_container *given = container_of_size(BH_CONTAINER_SIZE_1_1);
	struct bh_container full;
	memset(&full, 0xa5, sizeof full);
	ck_assert(abi_container_normalize(given, &full));
	ck_assert_ptr_eq(full.labels, labels);
	ck_assert_ptr_eq(full.networks, networks);
	ck_assert_int_eq(full.created_ns, 42);
	/* A 1.1 inspector addresses containers directly. */
	ck_assert_int_eq(full.ports_published, 0);
	ck_assert_ptr_null(full.bindings);
	ck_assert_uint_eq(full.n_bindings, 0);
	free(given);
}
END_TEST

START_TEST(test_container_1_2)
{
	struct bh_container *given = container_of_size(sizeof(struct bh_container));
	struct bh_container full;
	ck_assert(abi_container_normalize(given, &full));
	ck_assert_int_eq(full.created_ns, 42);
	ck_assert_ptr_eq(full.networks, networks);
	ck_assert_int_eq(full.ports_published, 1);
	ck_assert_ptr_eq(full.bindings, bindings);
	ck_assert_uint_eq(full.n_bindings, 1);
	free(given);
}
END_TEST

START_TEST(test_container_too_small_refused)
{
	struct bh_container *given = container_of_size(BH_CONTAINER_SIZE_1_0 - 1);
	struct bh_container full;
	ck_assert(!abi_container_normalize(given, &full));
	ck_assert_ptr_null(full.name);
	free(given);
}
END_TEST

static Suite *abi_boundary_suite(void)
{
	Suite *s = suite_create("abi_boundary");
	TCase *tc = tcase_create("abi_boundary");
	tcase_add_test(tc, test_plugin_1_0_table);
	tcase_add_test(tc, test_plugin_1_1_table);
	tcase_add_test(tc, test_plugin_1_2_table);
	tcase_add_test(tc, test_plugin_trailing_bytes_ignored);
	tcase_add_test(tc, test_plugin_oversized_table_cut);
	tcase_add_test(tc, test_container_1_0);
	tcase_add_test(tc, test_container_1_1);
	tcase_add_test(tc, test_container_1_2);
	tcase_add_test(tc, test_container_too_small_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_boundary_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
