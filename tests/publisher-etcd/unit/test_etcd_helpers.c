/*
 * Unit tests of publisher-etcd's self-contained parts: how a key judges what
 * the watch shows (etcd_keys.c: our echo, a foreign delete or overwrite,
 * another host's put on a shared prefix, history older than our write) and
 * the lease file (etcd_lease_file.c: one file per instance, cluster and
 * namespace; written whole; anything malformed reads as no lease).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "etcd_keys.h"
#include "etcd_lease_file.h"

#define LEASE 42

static struct etcd_key *held_key(struct etcd_keys *keys, const char *value, int64_t revision)
{
	struct etcd_key *e = etcd_keys_get(keys, "/beachhead/h/web");
	ck_assert_ptr_nonnull(e);
	e->want = strdup(value);
	e->stored = strdup(value);
	e->stored_rev = revision;
	return e;
}

static struct etcd_kv kv_of(const char *value, int64_t lease, int64_t revision, bool deleted)
{
	struct etcd_kv kv = {.key = "/beachhead/h/web", .value = value, .value_len = strlen(value),
			     .lease = lease, .mod_revision = revision, .deleted = deleted};
	return kv;
}

START_TEST(test_event_verdicts)
{
	struct etcd_keys keys;
	etcd_keys_init(&keys);
	struct etcd_key *e = held_key(&keys, "v", 10);
	struct etcd_kv kv = kv_of("v", LEASE, 10, false);
	/* Our own write's echo, and anything older: nothing. */
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, false), ETCD_SEEN_NOTHING);
	kv = kv_of("", 0, 9, true);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, false), ETCD_SEEN_NOTHING);
	ck_assert(!etcd_key_dirty(e));
	/* The same value on our lease at a later revision (a compare-free
	 * rewrite): still ours. */
	kv = kv_of("v", LEASE, 11, false);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, false), ETCD_SEEN_NOTHING);
	ck_assert_int_eq(e->stored_rev, 11);
	/* A foreign delete, then a foreign put: both make the key dirty. */
	kv = kv_of("", 0, 12, true);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, false), ETCD_SEEN_DELETED);
	ck_assert(etcd_key_dirty(e));
	e->stored = strdup("v");
	e->stored_rev = 13;
	kv = kv_of("v", 0, 14, false); /* the same bytes, but not on our lease */
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, false), ETCD_SEEN_OVERWRITTEN);
	ck_assert(etcd_key_dirty(e));
	etcd_keys_free(&keys);
}
END_TEST

START_TEST(test_event_while_writing)
{
	struct etcd_keys keys;
	etcd_keys_init(&keys);
	struct etcd_key *e = held_key(&keys, "v", 10);
	e->call = (struct etcd_call *)(void *)1; /* a write in flight */
	struct etcd_kv kv = kv_of("x", 7, 15, false);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, false), ETCD_SEEN_NOTHING);
	ck_assert_int_eq(e->event_rev, 15); /* judged against the write's revision */
	e->call = NULL;
	etcd_keys_free(&keys);
}
END_TEST

START_TEST(test_shared_prefix_other_host)
{
	struct etcd_keys keys;
	etcd_keys_init(&keys);
	struct etcd_key *e = held_key(&keys, "v", 10);
	struct etcd_kv kv = kv_of("theirs", 77, 11, false);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, true), ETCD_SEEN_FOREIGN_HOST);
	ck_assert(!etcd_key_dirty(e)); /* no put-back war */
	kv = kv_of("theirs2", 77, 12, false);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, true), ETCD_SEEN_NOTHING); /* said once */
	/* Their key goes (their lease ran out): ours goes back. */
	kv = kv_of("", 0, 13, true);
	ck_assert_int_eq(etcd_key_event(e, &kv, LEASE, true), ETCD_SEEN_DELETED);
	ck_assert(etcd_key_dirty(e));
	etcd_keys_free(&keys);
}
END_TEST

START_TEST(test_snapshot_verdicts)
{
	struct etcd_keys keys;
	etcd_keys_init(&keys);
	struct etcd_key *e = etcd_keys_get(&keys, "/beachhead/h/web");
	e->want = strdup("v");
	/* A restart: the key on our (resumed) lease with our value is adopted
	 * as stored, so nothing is written. */
	struct etcd_kv kv = kv_of("v", LEASE, 5, false);
	ck_assert_int_eq(etcd_key_snapshot(e, &kv, LEASE), ETCD_SEEN_NOTHING);
	ck_assert(!etcd_key_dirty(e));
	ck_assert_int_eq(e->stored_rev, 5);
	/* Changed while unwatched. */
	e->seen = false;
	kv = kv_of("other", LEASE, 8, false);
	ck_assert_int_eq(etcd_key_snapshot(e, &kv, LEASE), ETCD_SEEN_OVERWRITTEN);
	ck_assert(etcd_key_dirty(e));
	/* Gone while unwatched. */
	free(e->stored);
	e->stored = strdup("v");
	e->seen = false;
	ck_assert_int_eq(etcd_key_snapshot_missing(e), ETCD_SEEN_DELETED);
	ck_assert(etcd_key_dirty(e));
	etcd_keys_free(&keys);
}
END_TEST

static struct etcd_settings settings_for(char **endpoints, size_t n, char *instance)
{
	struct etcd_settings s = {.endpoints = endpoints, .n_endpoints = n, .instance = instance};
	return s;
}

START_TEST(test_lease_file)
{
	char dir[] = "/tmp/bh-etcd-unit.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *one[] = {"http://a:2379", "http://b:2379", NULL};
	char *other[] = {"http://c:2379", NULL};
	struct etcd_settings s = settings_for(one, 2, "publishers[0]");
	struct etcd_settings s2 = settings_for(other, 1, "publishers[0]");
	char *path = etcd_lease_file_path(dir, &s, "/beachhead/h/");
	char *path_ns = etcd_lease_file_path(dir, &s, "/beachhead/g/");
	char *path_cluster = etcd_lease_file_path(dir, &s2, "/beachhead/h/");
	ck_assert_ptr_nonnull(strstr(path, "/publisher-etcd.publishers-0-."));
	ck_assert_str_ne(path, path_ns);
	ck_assert_str_ne(path, path_cluster);
	ck_assert_ptr_null(etcd_lease_file_path(NULL, &s, "/beachhead/h/"));

	ck_assert_int_eq(etcd_lease_file_read(path), 0); /* none yet */
	char *why = NULL;
	ck_assert_int_eq(etcd_lease_file_write(path, 8594735376698713606LL, &why), 0);
	ck_assert_int_eq(etcd_lease_file_read(path), 8594735376698713606LL);
	ck_assert_int_eq(etcd_lease_file_read(path_ns), 0);
	const char *bad[] = {"lease=\n", "lease=12x\n", "lease=-4\n", "lease 12\n", "garbage"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		ck_assert_int_eq(etcd_lease_file_read(path), 0);
	}
	unlink(path);
	/* An unwritable place: an error with the reason, nothing half-written. */
	char *nowhere = etcd_lease_file_path("/nonexistent-dir", &s, "/beachhead/h/");
	ck_assert_int_eq(etcd_lease_file_write(nowhere, 1, &why), -1);
	ck_assert_ptr_nonnull(why);
	free(why);
	free(nowhere);
	free(path);
	free(path_ns);
	free(path_cluster);
	rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("etcd_helpers");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_event_verdicts);
	tcase_add_test(tc, test_event_while_writing);
	tcase_add_test(tc, test_shared_prefix_other_host);
	tcase_add_test(tc, test_snapshot_verdicts);
	tcase_add_test(tc, test_lease_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
