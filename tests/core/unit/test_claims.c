/*
 * Unit tests of core/claims.c (who serves which domain, with its own map)
 * and core/error_memo.c (what was last said per container), on their own:
 * no daemon, no plugin set.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "claims.h"
#include "domain_spec.h"
#include "error_memo.h"
#include "registration_table.h"

static struct registration_table regs;
static struct claims claims;

static void setup(void)
{
	registration_table_init(&regs);
	claims_init(&claims);
}

static void teardown(void)
{
	claims_free(&claims);
	registration_table_free(&regs);
}

static struct domain_spec_list parse(const char *text)
{
	struct domain_spec_list specs;
	char *error = NULL;
	ck_assert_int_eq(domain_spec_parse(text, &specs, &error, NULL, NULL), 0);
	ck_assert_ptr_null(error);
	return specs;
}

/* Registers container (created at created_ns) for text's domains in one
 * group, as the registrations part does after claims_conflict allowed it. */
static struct registration_entry *serve(const char *container, int64_t created_ns, const char *text,
					const char *group, enum ownership_sharing sharing)
{
	struct domain_spec_list specs = parse(text);
	const char *groups[8] = {0};
	ck_assert_uint_lt(specs.count, 8);
	for (size_t i = 0; i < specs.count; i++)
		groups[i] = group;
	struct registration_entry *e = registration_table_put(&regs, container, container, "[]");
	ck_assert_ptr_nonnull(e);
	e->created_ns = created_ns;
	ck_assert_int_eq(claims_take(&claims, sharing, &regs, e, &specs, groups), 0);
	domain_spec_list_free(&specs);
	return e;
}

static char *conflict(const char *container, int64_t created_ns, const char *text, const char *group,
		      char ***younger)
{
	struct domain_spec_list specs = parse(text);
	const char *groups[8] = {0};
	for (size_t i = 0; i < specs.count; i++)
		groups[i] = group;
	char *reason = claims_conflict(&claims, SHARING_EXCLUSIVE, &regs, container, created_ns, &specs,
				       groups, younger);
	domain_spec_list_free(&specs);
	return reason;
}

START_TEST(test_any_records_nothing)
{
	serve("a", 100, "Example.org", "a", SHARING_ANY);
	char **younger = NULL;
	struct domain_spec_list specs = parse("example.org");
	const char *groups[] = {"b", NULL};
	ck_assert_ptr_null(
		claims_conflict(&claims, SHARING_ANY, &regs, "b", 50, &specs, groups, &younger));
	ck_assert_ptr_null(younger);
	domain_spec_list_free(&specs);
	ck_assert_uint_eq(claims.holders.count, 0);
	/* The registration still lists its domains, lowercased. */
	ck_assert_str_eq(registration_table_find(&regs, "a")->domains[0], "example.org");
}
END_TEST

START_TEST(test_older_holder_refuses)
{
	serve("old", 100, "example.org", "old", SHARING_EXCLUSIVE);
	char **younger = NULL;
	char *reason = conflict("new", 200, "EXAMPLE.org", "new", &younger);
	ck_assert_ptr_nonnull(reason);
	ck_assert_ptr_nonnull(strstr(reason, "older container old"));
	ck_assert_ptr_nonnull(strstr(reason, "'EXAMPLE.org'"));
	ck_assert_ptr_null(younger);
	free(reason);
}
END_TEST

START_TEST(test_younger_holders_give_way)
{
	/* Two replicas of one group hold the domain; an older claimant of
	 * another group makes both give way, whatever the event order. */
	serve("r1", 300, "example.org", "g", SHARING_SAME_RULE);
	serve("r2", 400, "example.org", "g", SHARING_SAME_RULE);
	char **younger = NULL;
	ck_assert_ptr_null(conflict("elder", 100, "example.org", "h", &younger));
	ck_assert_ptr_nonnull(younger);
	size_t n = 0;
	bool r1 = false, r2 = false;
	for (char **y = younger; *y; y++, n++) {
		r1 = r1 || strcmp(*y, "r1") == 0;
		r2 = r2 || strcmp(*y, "r2") == 0;
	}
	ck_assert_uint_eq(n, 2);
	ck_assert(r1 && r2);
	claims_free_list(younger);
}
END_TEST

START_TEST(test_same_group_shares)
{
	serve("r1", 300, "example.org", "g", SHARING_SAME_RULE);
	char **younger = NULL;
	ck_assert_ptr_null(conflict("r2", 100, "example.org", "g", &younger));
	ck_assert_ptr_null(younger);
}
END_TEST

START_TEST(test_release_passes_claim_to_next_replica)
{
	struct registration_entry *r1 = serve("r1", 100, "example.org", "g", SHARING_SAME_RULE);
	serve("r2", 200, "example.org", "g", SHARING_SAME_RULE);
	/* A contender of another group waits for the domain. */
	struct domain_spec_list specs = parse("example.org");
	claims_contender_add(&claims, "other", &specs, 1);
	domain_spec_list_free(&specs);
	/* r1 goes: r2 holds the claim now, nothing became free. */
	ck_assert(!claims_release(&claims, &regs, r1));
	registration_table_remove(&regs, "r1");
	char **younger = NULL;
	char *reason = conflict("other", 300, "example.org", "other", &younger);
	ck_assert_ptr_nonnull(reason);
	ck_assert_ptr_nonnull(strstr(reason, "older container r2"));
	free(reason);
	/* r2 goes too: the domain is free and the contender wants it. */
	ck_assert(claims_release(&claims, &regs, registration_table_find(&regs, "r2")));
	registration_table_remove(&regs, "r2");
	ck_assert_uint_eq(claims.holders.count, 0);
}
END_TEST

START_TEST(test_freed_domain_nobody_wants)
{
	struct registration_entry *a = serve("a", 100, "example.org", "a", SHARING_EXCLUSIVE);
	ck_assert(!claims_release(&claims, &regs, a));
	ck_assert_ptr_null(a->domains);
}
END_TEST

START_TEST(test_contenders_sweep)
{
	struct domain_spec_list specs = parse("example.org");
	claims_contender_add(&claims, "seen", &specs, 5);
	claims_contender_add(&claims, "unseen", &specs, 4);
	domain_spec_list_free(&specs);
	claims_contenders_sweep(&claims, 5);
	ck_assert_uint_eq(claims.contenders.count, 1);
	struct registration_entry *e = serve("holder", 1, "example.org", "holder", SHARING_EXCLUSIVE);
	ck_assert(claims_release(&claims, &regs, e)); /* "seen" still wants it */
	claims_contender_forget(&claims, "seen");
	ck_assert_uint_eq(claims.contenders.count, 0);
}
END_TEST

START_TEST(test_error_memo_once_per_change)
{
	struct error_memo memo;
	error_memo_init(&memo);
	ck_assert(error_memo_is_news(&memo, "web", "bad spec"));
	ck_assert(!error_memo_is_news(&memo, "web", "bad spec"));
	ck_assert(error_memo_is_news(&memo, "db", "bad spec"));
	ck_assert(error_memo_is_news(&memo, "web", "other error"));
	ck_assert(!error_memo_is_news(&memo, "web", "other error"));
	error_memo_forget(&memo, "web");
	error_memo_forget(&memo, "absent");
	ck_assert(error_memo_is_news(&memo, "web", "other error"));
	error_memo_free(&memo);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("claims");
	TCase *tc = tcase_create("claims");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_any_records_nothing);
	tcase_add_test(tc, test_older_holder_refuses);
	tcase_add_test(tc, test_younger_holders_give_way);
	tcase_add_test(tc, test_same_group_shares);
	tcase_add_test(tc, test_release_passes_claim_to_next_replica);
	tcase_add_test(tc, test_freed_domain_nobody_wants);
	tcase_add_test(tc, test_contenders_sweep);
	tcase_add_test(tc, test_error_memo_once_per_change);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
