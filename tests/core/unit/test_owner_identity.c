/*
 * Unit tests of core/owner_identity.c (the token kept in state_dir and the
 * claim record) and of the SDK's claim readers (bh_owner_record_is_mine,
 * bh_owner_record_describe), which get records from the store: anyone's
 * bytes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include <beachhead/sdk.h>

#include "log.h"
#include "owner_identity.h"

static char dir[] = "/tmp/bh-owner-test.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char *cmd = bh_strfmt("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	strcpy(dir, "/tmp/bh-owner-test.XXXXXX");
}

START_TEST(test_token_survives_a_restart)
{
	char *state = bh_strfmt("%s/state", dir);
	struct owner_identity first, second;
	ck_assert_int_eq(owner_identity_load(&first, state), 0);
	ck_assert_str_eq(first.state_dir, state);
	ck_assert_uint_eq(strlen(first.token), 32);
	struct stat st;
	ck_assert_int_eq(stat(state, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(owner_identity_load(&second, state), 0);
	ck_assert_str_eq(first.token, second.token);
	ck_assert(bh_owner_record_is_mine(second.record, strlen(second.record), first.token));
	owner_identity_free(&first);
	owner_identity_free(&second);
	free(state);
}
END_TEST

/* Daemons that start at once on one fresh state_dir agree on one token (the
 * first written wins), so a later restart of any of them finds its own. */
START_TEST(test_simultaneous_first_starts_agree)
{
	enum { CHILDREN = 6, ROUNDS = 20 };
	for (int round = 0; round < ROUNDS; round++) {
		char *state = bh_strfmt("%s/race%d", dir, round);
		int go[2], out[2];
		ck_assert_int_eq(pipe(go), 0);
		ck_assert_int_eq(pipe(out), 0);
		/* Every child waits for the start line's EOF, then loads. */
		for (int i = 0; i < CHILDREN; i++) {
			pid_t pid = fork();
			ck_assert_int_ge(pid, 0);
			if (pid == 0) {
				char c;
				close(go[1]);
				if (read(go[0], &c, 1) != 0)
					_exit(2);
				struct owner_identity id;
				if (owner_identity_load(&id, state) < 0 || !id.state_dir)
					_exit(3);
				_exit(write(out[1], id.token, 32) == 32 ? 0 : 4);
			}
		}
		close(go[0]);
		close(go[1]);
		close(out[1]);
		char first[33] = "", token[33] = "";
		for (int i = 0; i < CHILDREN; i++) {
			ck_assert_int_eq(read(out[0], token, 32), 32);
			if (!first[0])
				memcpy(first, token, sizeof first);
			ck_assert_str_eq(token, first);
		}
		close(out[0]);
		int status;
		while (wait(&status) > 0)
			ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		free(state);
	}
}
END_TEST

START_TEST(test_unusable_dir_runs_without_one)
{
	/* Only the last component is created: a missing parent is unusable. */
	char *state = bh_strfmt("%s/missing/state", dir);
	struct owner_identity a, b;
	ck_assert_int_eq(owner_identity_load(&a, state), 0);
	ck_assert_ptr_null(a.state_dir);
	ck_assert_int_eq(owner_identity_load(&b, state), 0);
	ck_assert_str_ne(a.token, b.token); /* one per process: nothing kept */
	owner_identity_free(&a);
	owner_identity_free(&b);
	free(state);
}
END_TEST

START_TEST(test_corrupt_token_file_is_not_trusted)
{
	char *path = bh_strfmt("%s/owner-token", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a token\n", f);
	ck_assert_int_eq(fclose(f), 0);
	struct owner_identity id;
	ck_assert_int_eq(owner_identity_load(&id, dir), 0);
	ck_assert_ptr_null(id.state_dir);
	ck_assert_uint_eq(strlen(id.token), 32);
	owner_identity_free(&id);
	free(path);
}
END_TEST

/* A state_dir that came with a cloned image (written on a machine with
 * another id) is not this daemon's: its token and every other file (etcd
 * lease ids) are dropped, so the clone never passes for the original. */
START_TEST(test_state_of_another_machine_is_dropped)
{
	struct owner_identity first, clone;
	ck_assert_int_eq(owner_identity_load(&first, dir), 0);
	char *machine = bh_strfmt("%s/owner-machine-id", dir);
	char *lease = bh_strfmt("%s/publisher-etcd.lease", dir);
	FILE *f = fopen(machine, "r");
	if (!f) { /* a machine without a machine id: nothing to compare */
		owner_identity_free(&first);
		free(machine);
		free(lease);
		return;
	}
	fclose(f);
	f = fopen(machine, "w");
	ck_assert_ptr_nonnull(f);
	fputs("ffffffffffffffffffffffffffffffff\n", f);
	ck_assert_int_eq(fclose(f), 0);
	f = fopen(lease, "w");
	ck_assert_ptr_nonnull(f);
	fputs("7587\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(owner_identity_load(&clone, dir), 0);
	ck_assert_str_eq(clone.state_dir, dir);
	ck_assert_str_ne(clone.token, first.token);
	ck_assert_int_eq(access(lease, F_OK), -1);
	/* From then on the state is this machine's: a restart keeps it. */
	struct owner_identity restarted;
	ck_assert_int_eq(owner_identity_load(&restarted, dir), 0);
	ck_assert_str_eq(restarted.token, clone.token);
	owner_identity_free(&first);
	owner_identity_free(&clone);
	owner_identity_free(&restarted);
	free(machine);
	free(lease);
}
END_TEST

START_TEST(test_record_fields)
{
	struct owner_identity id;
	ck_assert_int_eq(owner_identity_load(&id, dir), 0);
	ck_assert_ptr_nonnull(strstr(id.record, "hostname="));
	ck_assert_ptr_nonnull(strstr(id.record, " machine_id="));
	char *pid = bh_strfmt(" pid=%ld ", (long)getpid());
	ck_assert_ptr_nonnull(strstr(id.record, pid));
	ck_assert_ptr_nonnull(strstr(id.record, " since="));
	char *described = bh_owner_record_describe(id.record, strlen(id.record));
	ck_assert_ptr_null(strstr(described, "token"));
	ck_assert_ptr_null(strstr(described, id.token));
	ck_assert_ptr_nonnull(strstr(described, pid + 1));
	free(described);
	free(pid);
	owner_identity_free(&id);
}
END_TEST

START_TEST(test_is_mine_needs_the_whole_field)
{
	const char *t = "0123456789abcdef0123456789abcdef";
	const char *mine = "hostname=a pid=1 token=0123456789abcdef0123456789abcdef";
	ck_assert(bh_owner_record_is_mine(mine, strlen(mine), t));
	const char *first = "token=0123456789abcdef0123456789abcdef hostname=a";
	ck_assert(bh_owner_record_is_mine(first, strlen(first), t));
	const char *longer = "hostname=a token=0123456789abcdef0123456789abcdef00";
	ck_assert(!bh_owner_record_is_mine(longer, strlen(longer), t));
	const char *inside = "hostname=xtoken=0123456789abcdef0123456789abcdef";
	ck_assert(!bh_owner_record_is_mine(inside, strlen(inside), t));
	const char *other = "hostname=a token=ffffffffffffffffffffffffffffffff";
	ck_assert(!bh_owner_record_is_mine(other, strlen(other), t));
	/* Counted bytes, not a C string: the token past len does not count. */
	ck_assert(!bh_owner_record_is_mine(mine, strlen(mine) - 1, t));
	ck_assert(!bh_owner_record_is_mine(NULL, 0, t));
	ck_assert(!bh_owner_record_is_mine(mine, strlen(mine), ""));
}
END_TEST

START_TEST(test_describe_hostile_records)
{
	const char raw[] = "hostname=\x1b[31mred pid=2\n token=secret   since=x";
	char *d = bh_owner_record_describe(raw, sizeof raw - 1);
	ck_assert_str_eq(d, "hostname=?[31mred pid=2? since=x");
	free(d);
	char big[5000];
	memset(big, 'a', sizeof big);
	d = bh_owner_record_describe(big, sizeof big);
	ck_assert_uint_eq(strlen(d), 200);
	free(d);
	d = bh_owner_record_describe("", 0);
	ck_assert_str_eq(d, "");
	free(d);
}
END_TEST

int main(void)
{
	log_setup(BH_LOG_ERROR, false);
	Suite *s = suite_create("owner_identity");
	TCase *tc = tcase_create("owner_identity");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_token_survives_a_restart);
	tcase_add_test(tc, test_simultaneous_first_starts_agree);
	tcase_add_test(tc, test_unusable_dir_runs_without_one);
	tcase_add_test(tc, test_corrupt_token_file_is_not_trusted);
	tcase_add_test(tc, test_state_of_another_machine_is_dropped);
	tcase_add_test(tc, test_record_fields);
	tcase_add_test(tc, test_is_mine_needs_the_whole_field);
	tcase_add_test(tc, test_describe_hostile_records);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
