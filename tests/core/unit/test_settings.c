/*
 * Unit tests of core/cli.c and core/settings.c: the command line of the
 * original tool, real libconfig files (errors with file:line) and the
 * command line applied on top of the file.
 */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "settings.h"

/* --- helpers --- */

#define MAX_FILES 8
static char *files[MAX_FILES];
static int n_files;
/* One directory per run, made by main(): check skips the teardown of a
 * failed test in fork mode, so main() sweeps the directory at the end. */
static char tmpdir[64];

/* Writes text into a fresh file in tmpdir; removed by the teardown. */
static const char *write_config(const char *text)
{
	ck_assert_int_lt(n_files, MAX_FILES);
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/beachhead-XXXXXX", tmpdir), 0);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	files[n_files++] = path;
	return path;
}

static void remove_tmpdir(void)
{
	DIR *dir = opendir(tmpdir);
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char path[512];
			snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(tmpdir);
}

static void loaded_teardown(void);

static void remove_files(void)
{
	for (int i = 0; i < n_files; i++) {
		unlink(files[i]);
		free(files[i]);
		files[i] = NULL;
	}
	n_files = 0;
}

static void files_teardown(void)
{
	loaded_teardown();
	remove_files();
}

/*
 * A mutable argv (getopt permutes it; containers are borrowed from it).
 * The strings live in a pool freed only at exit: getopt keeps a pointer into
 * the last argv it scanned, so freeing an argv between two cli_parse calls
 * would turn the core's stale-state bug (see test_cli_reparse_after_error)
 * into use-after-free noise in every later test.
 */
#define POOL_MAX 2048
static char *pool[POOL_MAX];
static int pool_used;

static char *pool_strdup(const char *s)
{
	ck_assert_int_lt(pool_used, POOL_MAX);
	char *copy = strdup(s);
	ck_assert_ptr_nonnull(copy);
	pool[pool_used++] = copy;
	return copy;
}

static void pool_free(void)
{
	for (int i = 0; i < pool_used; i++)
		free(pool[i]);
	pool_used = 0;
}

struct args {
	int argc;
	char *argv[32];
};

static void args_build(struct args *a, va_list ap)
{
	a->argc = 0;
	a->argv[a->argc++] = pool_strdup("beachhead-companion");
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) {
		ck_assert_int_lt(a->argc, 31);
		a->argv[a->argc++] = pool_strdup(s);
	}
	a->argv[a->argc] = NULL;
}

/* cli_parse of a NULL-terminated list; the usage error (if any) goes into
 * a static buffer (*message), so that a failing assertion leaks nothing. */
static char usage_error[1024];

static int parse_args(struct args *a, struct cli_options *opts, const char **message, ...)
{
	va_list ap;
	va_start(ap, message);
	args_build(a, ap);
	va_end(ap);
	char *buf = NULL;
	size_t size = 0;
	FILE *err = open_memstream(&buf, &size);
	ck_assert_ptr_nonnull(err);
	int rc = cli_parse(a->argc, a->argv, opts, err);
	fclose(err);
	snprintf(usage_error, sizeof usage_error, "%s", buf ? buf : "");
	free(buf);
	if (message)
		*message = usage_error;
	return rc;
}

/*
 * Everything a test loads is freed by the teardown even when an assertion
 * fails half-way (CK_FORK=no under valgrind): the tests keep their settings
 * in static storage, settings_free is idempotent, and the error text is
 * copied into a static buffer.
 */
#define MAX_LOADED 8
static struct settings *loaded[MAX_LOADED];
static int n_loaded;
static char load_error[1024];

static void remember_settings(struct settings *st)
{
	for (int i = 0; i < n_loaded; i++)
		if (loaded[i] == st)
			return;
	ck_assert_int_lt(n_loaded, MAX_LOADED);
	loaded[n_loaded++] = st;
}

static void loaded_teardown(void)
{
	for (int i = 0; i < n_loaded; i++)
		settings_free(loaded[i]);
	n_loaded = 0;
}

/* cli_parse + settings_load; the argv must stay alive until settings_load
 * has copied the container names, so both happen here. */
static int load(struct settings *st, const char **error, ...)
{
	struct args a;
	va_list ap;
	va_start(ap, error);
	args_build(&a, ap);
	va_end(ap);
	struct cli_options opts;
	char *buf = NULL;
	size_t size = 0;
	FILE *err = open_memstream(&buf, &size);
	ck_assert_ptr_nonnull(err);
	int rc = cli_parse(a.argc, a.argv, &opts, err);
	fclose(err);
	snprintf(usage_error, sizeof usage_error, "%s", buf ? buf : "");
	free(buf);
	ck_assert_msg(rc == 0, "cli_parse failed: %s", usage_error);
	char *message = NULL;
	rc = settings_load(st, &opts, &message);
	remember_settings(st);
	snprintf(load_error, sizeof load_error, "%s", message ? message : "");
	*error = message ? load_error : NULL;
	free(message);
	return rc;
}

static void assert_contains(const char *text, const char *needle)
{
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, needle) != NULL, "\"%s\" lacks \"%s\"", text, needle);
}

static const char *group_string(const config_setting_t *group, const char *name)
{
	const char *value = NULL;
	if (!group || config_setting_lookup_string(group, name, &value) != CONFIG_TRUE)
		return NULL;
	return value;
}

static bool group_int(const config_setting_t *group, const char *name, int *value)
{
	return group && config_setting_lookup_int(group, name, value) == CONFIG_TRUE;
}

static const char minimal_config[] =
	"inspector = { plugin = \"inspector-docker\"; };\n"
	"publishers = ( { plugin = \"publisher-redis\"; } );\n";

/* --- cli_parse --- */

START_TEST(test_cli_defaults)
{
	struct args a;
	struct cli_options o;
	ck_assert_int_eq(parse_args(&a, &o, NULL, NULL), 0);
	ck_assert_ptr_null(o.config_file);
	ck_assert_ptr_null(o.plugin_path);
	ck_assert_ptr_null(o.redis_host);
	ck_assert_int_eq(o.redis_port, -1);
	ck_assert_int_eq(o.expire, -1);
	ck_assert_int_eq(o.refresh, -1);
	ck_assert_ptr_null(o.key_prefix);
	ck_assert(!o.enumerate && !o.dry_run && !o.quiet && !o.verbose && !o.docker_network);
	ck_assert_int_eq(o.n_containers, 0);
	ck_assert_ptr_nonnull(o.containers);
	ck_assert_ptr_null(o.containers[0]);
}
END_TEST

START_TEST(test_cli_all_options)
{
	struct args a;
	struct cli_options o;
	const char *msg = NULL;
	int rc = parse_args(&a, &o, &msg, "-c", "/etc/x.conf", "--plugin-dir=/p1:/p2",
			    "--redis-host", "redis.example", "--redis-port=6380", "--expire", "90",
			    "--refresh=40", "--key-prefix", "/k/", "--docker-url", "tcp://d:2375",
			    "--docker-network", "--envvar", "DOMAINS", "--enumerate", "--systemd",
			    "--error-missing-envvar", "--error-missing-container", "--no-timestamp",
			    "--check-config", "--verbose", "web", "db", NULL);
	ck_assert_msg(rc == 0, "cli_parse: %s", msg);
	ck_assert_str_eq(o.config_file, "/etc/x.conf");
	ck_assert_str_eq(o.plugin_path, "/p1:/p2");
	ck_assert_str_eq(o.redis_host, "redis.example");
	ck_assert_int_eq(o.redis_port, 6380);
	ck_assert_int_eq(o.expire, 90);
	ck_assert_int_eq(o.refresh, 40);
	ck_assert_str_eq(o.key_prefix, "/k/");
	ck_assert_str_eq(o.docker_url, "tcp://d:2375");
	ck_assert(o.docker_network);
	ck_assert_str_eq(o.envvar, "DOMAINS");
	ck_assert(o.enumerate);
	ck_assert(o.systemd);
	ck_assert(o.error_missing_envvar);
	ck_assert(!o.ignore_missing_envvar);
	ck_assert(o.error_missing_container);
	ck_assert(o.no_timestamp);
	ck_assert(o.check_config);
	ck_assert(o.verbose);
	ck_assert(!o.quiet);
	ck_assert_int_eq(o.n_containers, 2);
	ck_assert_str_eq(o.containers[0], "web");
	ck_assert_str_eq(o.containers[1], "db");
	ck_assert_ptr_null(o.containers[2]);
}
END_TEST

START_TEST(test_cli_short_options_and_permutation)
{
	struct args a;
	struct cli_options o;
	/* Options after container names are still options (GNU order). */
	ck_assert_int_eq(parse_args(&a, &o, NULL, "web", "-n", "--expire", "5", "db", "-h", NULL), 0);
	ck_assert(o.dry_run);
	ck_assert(o.help);
	ck_assert_int_eq(o.expire, 5);
	ck_assert_int_eq(o.n_containers, 2);
	ck_assert_str_eq(o.containers[0], "web");
	ck_assert_str_eq(o.containers[1], "db");
}
END_TEST

START_TEST(test_cli_double_dash)
{
	struct args a;
	struct cli_options o;
	/* "--" ends the options. */
	ck_assert_int_eq(parse_args(&a, &o, NULL, "--version", "--", "--odd-name", NULL), 0);
	ck_assert(o.version);
	ck_assert_int_eq(o.n_containers, 1);
	ck_assert_str_eq(o.containers[0], "--odd-name");
}
END_TEST

START_TEST(test_cli_quiet_verbose_cancel)
{
	struct args a;
	struct cli_options o;
	ck_assert_int_eq(parse_args(&a, &o, NULL, "--quiet", "--verbose", NULL), 0);
	ck_assert(!o.quiet);
	ck_assert(!o.verbose);
	ck_assert_int_eq(parse_args(&a, &o, NULL, "--quiet", NULL), 0);
	ck_assert(o.quiet);
	/* A dry run is never quiet. */
	ck_assert_int_eq(parse_args(&a, &o, NULL, "--quiet", "--dry-run", NULL), 0);
	ck_assert(!o.quiet);
	ck_assert(o.dry_run);
}
END_TEST

START_TEST(test_cli_number_bounds)
{
	struct args a;
	struct cli_options o;
	ck_assert_int_eq(parse_args(&a, &o, NULL, "--redis-port=1", "--expire=0", "--refresh=0", NULL), 0);
	ck_assert_int_eq(o.redis_port, 1);
	ck_assert_int_eq(o.expire, 0);
	ck_assert_int_eq(o.refresh, 0);
	ck_assert_int_eq(parse_args(&a, &o, NULL, "--redis-port=65535", "--expire=2147483647", NULL), 0);
	ck_assert_int_eq(o.redis_port, 65535);
	ck_assert_int_eq(o.expire, 2147483647L);
}
END_TEST

struct cli_error_case {
	const char *args[4];
	const char *needles[2];
};

static const struct cli_error_case cli_error_cases[] = {
	{{"--redis-port", "0", NULL}, {"--redis-port", "'0'"}},
	{{"--redis-port=70000", NULL}, {"--redis-port", "'70000'"}},
	{{"--redis-port=abc", NULL}, {"--redis-port", "'abc'"}},
	{{"--redis-port=", NULL}, {"--redis-port", "''"}},
	{{"--redis-port=-1", NULL}, {"--redis-port", "'-1'"}},
	{{"--redis-port=80x", NULL}, {"--redis-port", "'80x'"}},
	{{"--expire=-1", NULL}, {"--expire", "'-1'"}},
	{{"--expire", "x", NULL}, {"--expire", "'x'"}},
	{{"--expire=+5", NULL}, {"--expire", "'+5'"}},
	{{"--expire=99999999999", NULL}, {"--expire", "'99999999999'"}},
	{{"--refresh=1.5", NULL}, {"--refresh", "'1.5'"}},
	{{"--refresh= 3", NULL}, {"--refresh", "' 3'"}},
	{{"--bogus", NULL}, {"unknown option", "'--bogus'"}},
	{{"-x", NULL}, {"unknown option", "'-x'"}},
	{{"web", "-q", NULL}, {"unknown option", "'-q'"}},
	{{"--dry-run=yes", NULL}, {"--dry-run", NULL}},
	{{"--expire", NULL}, {"'--expire'", "needs a value"}},
	{{"--key-prefix", NULL}, {"'--key-prefix'", "needs a value"}},
	{{"-c", NULL}, {"'-c'", "needs a value"}},
	/* An unknown short option inside a cluster is named, not argv[0]. */
	{{"-xn", NULL}, {"unknown option", "-x"}},
};

START_TEST(test_cli_errors)
{
	const struct cli_error_case *c = &cli_error_cases[_i];
	struct args a;
	struct cli_options o;
	const char *msg = NULL;
	int rc = parse_args(&a, &o, &msg, c->args[0], c->args[1], c->args[2], c->args[3], NULL);
	ck_assert_msg(rc == -1, "'%s' accepted", c->args[0]);
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strchr(msg, '\n') == msg + strlen(msg) - 1, "one line: \"%s\"", msg);
	for (int k = 0; k < 2 && c->needles[k]; k++)
		assert_contains(msg, c->needles[k]);
	ck_assert_msg(strstr(msg, "'beachhead-companion'") == NULL, "names argv[0]: %s", msg);
}
END_TEST

START_TEST(test_cli_reparse_after_error)
{
	/* cli_parse resets getopt: an error in the middle of a cluster of
	 * short options must not leak into the next call. */
	struct args a;
	struct cli_options o;
	const char *msg = NULL;
	ck_assert_int_eq(parse_args(&a, &o, &msg, "-xn", NULL), -1);
	ck_assert_int_eq(parse_args(&a, &o, NULL, "web", NULL), 0);
	ck_assert(!o.dry_run);
	ck_assert_int_eq(o.n_containers, 1);
	ck_assert_str_eq(o.containers[0], "web");
}
END_TEST

/* --- settings_load: files --- */

START_TEST(test_full_file)
{
	const char *path = write_config(
		"# every top-level setting\n"                                   /* 1 */
		"inspector = {\n"                                               /* 2 */
		"  plugin = \"inspector-docker\";\n"                            /* 3 */
		"  url = \"unix:///run/docker.sock\";\n"                        /* 4 */
		"};\n"                                                          /* 5 */
		"publishers = (\n"                                              /* 6 */
		"  { plugin = \"publisher-redis\"; host = \"r1\"; port = 6380; },\n" /* 7 */
		"  { plugin = \"/opt/bh/publisher-stdout.so\"; }\n"             /* 8 */
		");\n"                                                          /* 9 */
		"expire = 120;\n"
		"refresh = 30;\n"
		"key_prefix = \"/proxy/\";\n"
		"containers = [\"web\", \"db\"];\n"
		"enumerate = true;\n"
		"missing_envvar = \"ignore\";\n"
		"error_missing_container = true;\n"
		"plugin_dir = \"/opt/bh:/usr/lib/bh\";\n"
		"log_level = \"debug\";\n"
		"timestamps = false;\n"
		"systemd = true;\n");
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_ptr_null(error);
	ck_assert_str_eq(st.config_file, path);
	ck_assert_str_eq(st.inspector.plugin, "inspector-docker");
	ck_assert_str_eq(st.inspector.instance, "inspector");
	ck_assert_str_eq(group_string(st.inspector.group, "url"), "unix:///run/docker.sock");
	ck_assert_uint_eq(st.n_publishers, 2);
	ck_assert_str_eq(st.publishers[0].plugin, "publisher-redis");
	ck_assert_str_eq(st.publishers[0].instance, "publishers[0]");
	ck_assert_str_eq(group_string(st.publishers[0].group, "host"), "r1");
	int port = 0;
	ck_assert(group_int(st.publishers[0].group, "port", &port));
	ck_assert_int_eq(port, 6380);
	ck_assert_str_eq(st.publishers[1].plugin, "/opt/bh/publisher-stdout.so");
	ck_assert_str_eq(st.publishers[1].instance, "publishers[1]");
	ck_assert_uint_eq(st.expire, 120);
	ck_assert_uint_eq(st.refresh, 30);
	ck_assert_str_eq(st.key_prefix, "/proxy/");
	ck_assert_str_eq(st.containers[0], "web");
	ck_assert_str_eq(st.containers[1], "db");
	ck_assert_ptr_null(st.containers[2]);
	ck_assert(st.enumerate);
	ck_assert_int_eq(st.missing_envvar, MISSING_ENVVAR_IGNORE);
	ck_assert(st.error_missing_container);
	ck_assert_str_eq(st.plugin_path, "/opt/bh:/usr/lib/bh");
	ck_assert_int_eq(st.log_level, BH_LOG_DEBUG);
	ck_assert(!st.timestamps);
	ck_assert_int_eq(st.systemd, 1);
	ck_assert(!st.dry_run);
	settings_free(&st);
}
END_TEST

START_TEST(test_builtin_defaults)
{
	ck_assert_msg(access(DEFAULT_CONFIG_FILE, F_OK) != 0,
		      "%s exists: the built-in defaults cannot be tested here", DEFAULT_CONFIG_FILE);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "web", NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_str_eq(st.config_file, BUILTIN_CONFIG_NAME);
	ck_assert_str_eq(st.inspector.plugin, "inspector-docker");
	ck_assert_ptr_nonnull(st.inspector.group);
	ck_assert_uint_eq(st.n_publishers, 1);
	ck_assert_str_eq(st.publishers[0].plugin, "publisher-redis");
	ck_assert_ptr_nonnull(st.publishers[0].group);
	ck_assert_uint_eq(st.expire, 60);
	ck_assert_uint_eq(st.refresh, 27);
	ck_assert_str_eq(st.key_prefix, "/beachhead/");
	ck_assert_str_eq(st.containers[0], "web");
	ck_assert_ptr_null(st.containers[1]);
	ck_assert(!st.enumerate);
	ck_assert_int_eq(st.missing_envvar, MISSING_ENVVAR_AUTO);
	ck_assert(!st.error_missing_container);
	ck_assert_ptr_null(st.plugin_path);
	ck_assert_int_eq(st.log_level, BH_LOG_INFO);
	ck_assert(st.timestamps);
	ck_assert_int_eq(st.systemd, -1); /* automatic: NOTIFY_SOCKET decides */
	settings_free(&st);
}
END_TEST

START_TEST(test_minimal_file_defaults)
{
	const char *path = write_config(minimal_config);
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, "--enumerate", NULL), 0);
	ck_assert_uint_eq(st.expire, 60);
	ck_assert_uint_eq(st.refresh, 27);
	ck_assert_str_eq(st.key_prefix, "/beachhead/");
	ck_assert_ptr_nonnull(st.containers);
	ck_assert_ptr_null(st.containers[0]);
	ck_assert(st.enumerate);
	settings_free(&st);
}
END_TEST

struct refresh_case {
	const char *file_extra; /* appended to minimal_config */
	const char *cli[3];
	unsigned expire;
	unsigned refresh;
};

static const struct refresh_case refresh_cases[] = {
	{"", {NULL}, 60, 27},
	{"expire = 100;\n", {NULL}, 100, 45},
	{"expire = 0;\n", {NULL}, 0, 0},
	{"expire = 10;\n", {NULL}, 10, 4},
	{"expire = 100;\nrefresh = 0;\n", {NULL}, 100, 0},
	{"expire = 100;\nrefresh = 70;\n", {NULL}, 100, 70},
	{"", {"--expire=100", NULL}, 100, 45},
	{"", {"--expire=0", NULL}, 0, 0},
	{"expire = 20;\n", {"--expire=200", NULL}, 200, 90},
	{"refresh = 30;\n", {"--expire=100", NULL}, 100, 30},
	{"expire = 100;\n", {"--refresh=7", NULL}, 100, 7},
	{"expire = 120;\nrefresh = 30;\n", {"--expire=10", "--refresh=4", NULL}, 10, 4},
	/* Long expiries: 45% must not overflow 32-bit arithmetic. */
	{"expire = 200000000;\n", {NULL}, 200000000, 90000000},
	{"", {"--expire=2147483647", NULL}, 2147483647u, 966367641},
};

START_TEST(test_refresh_default)
{
	const struct refresh_case *c = &refresh_cases[_i];
	char text[512];
	snprintf(text, sizeof text, "%s%s", minimal_config, c->file_extra);
	const char *path = write_config(text);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "web", c->cli[0], c->cli[1], c->cli[2], NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_uint_eq(st.expire, c->expire);
	ck_assert_uint_eq(st.refresh, c->refresh);
	settings_free(&st);
}
END_TEST

START_TEST(test_refresh_default_never_zero)
{
	/* refresh = 0 means "one pass, then exit": a small but non-zero expiry
	 * must not silently turn the daemon into a one-pass run. */
	const char *cli_expire = _i == 0 ? "--expire=1" : _i == 1 ? "--expire=2" : "--expire=3";
	const char *path = write_config(minimal_config);
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, "web", cli_expire, NULL), 0);
	ck_assert_uint_eq(st.expire, (unsigned)_i + 1);
	ck_assert_msg(st.refresh >= 1, "expire %u gave refresh %u (one-pass mode)", st.expire,
		      st.refresh);
	ck_assert_uint_le(st.refresh, st.expire);
	settings_free(&st);
}
END_TEST

struct bad_file_case {
	const char *text;
	unsigned line; /* 0: the error names the file only */
	const char *needle;
};

#define MIN_INSPECTOR "inspector = { plugin = \"inspector-docker\"; };\n"
#define MIN_PUBLISHERS "publishers = ( { plugin = \"publisher-redis\"; } );\n"

static const struct bad_file_case bad_files[] = {
	/* libconfig's own syntax errors, with libconfig's line. */
	{MIN_INSPECTOR MIN_PUBLISHERS "expire = 60;\nrefresh = = 3;\n", 4, "syntax error"},
	{MIN_INSPECTOR "\n\n" "publishers = ( { plugin = \"x\"; }\n", 5, "syntax error"},
	{MIN_INSPECTOR MIN_PUBLISHERS "expire = 1;\nexpire = 2;\n", 4, "duplicate"},
	/* Unknown top-level key. */
	{MIN_INSPECTOR MIN_PUBLISHERS "colour = \"red\";\n", 3, "unknown setting 'colour'"},
	{"\n" MIN_INSPECTOR MIN_PUBLISHERS "\n\nexpiry = 5;\n", 6, "'expiry'"},
	/* Wrong types. */
	{MIN_INSPECTOR MIN_PUBLISHERS "expire = \"x\";\n", 3, "'expire' must be an integer, not a string"},
	{MIN_INSPECTOR MIN_PUBLISHERS "\nrefresh = 1.5;\n", 4, "'refresh' must be an integer, not a float"},
	{MIN_INSPECTOR MIN_PUBLISHERS "enumerate = 1;\n", 3, "'enumerate' must be a boolean"},
	{MIN_INSPECTOR MIN_PUBLISHERS "timestamps = \"yes\";\n", 3, "'timestamps' must be a boolean"},
	{MIN_INSPECTOR MIN_PUBLISHERS "key_prefix = 5;\n", 3, "'key_prefix' must be a string"},
	{MIN_INSPECTOR MIN_PUBLISHERS "plugin_dir = true;\n", 3, "'plugin_dir' must be a string"},
	{MIN_INSPECTOR MIN_PUBLISHERS "systemd = ( );\n", 3, "'systemd' must be a boolean"},
	/* Out of range. */
	{MIN_INSPECTOR MIN_PUBLISHERS "expire = -5;\n", 3, "'expire' must be a number of seconds >= 0"},
	{MIN_INSPECTOR MIN_PUBLISHERS "refresh = -1;\n", 3, "'refresh' must be a number of seconds"},
	{MIN_INSPECTOR MIN_PUBLISHERS "expire = 3000000000L;\n", 3, "'expire' must be a number of seconds"},
	/* Plugin slots. */
	{MIN_INSPECTOR "publishers = (\n  { plugin = \"publisher-redis\"; },\n  { host = \"x\"; }\n);\n", 4,
	 "publishers[1]: missing 'plugin'"},
	{MIN_INSPECTOR "publishers = ();\n", 2, "'publishers' is empty"},
	{MIN_INSPECTOR "\npublishers = { plugin = \"publisher-redis\"; };\n", 3, "'publishers' must be a list"},
	{MIN_INSPECTOR "publishers = [\"publisher-redis\"];\n", 2, "'publishers' must be a list"},
	{MIN_INSPECTOR "publishers = ( \"publisher-redis\" );\n", 2, "must be a group"},
	{MIN_INSPECTOR "publishers = (\n  { plugin = \"a\"; },\n  5\n);\n", 4, "must be a group, not an integer"},
	{MIN_INSPECTOR MIN_PUBLISHERS "key_prefix = \"\";\n", 3, "'key_prefix' must not be empty"},
	{MIN_PUBLISHERS "inspector = \"inspector-docker\";\n", 2, "'inspector' must be a group"},
	{MIN_PUBLISHERS "inspector = {\n  url = \"x\";\n};\n", 2, "inspector: missing 'plugin'"},
	{MIN_PUBLISHERS "inspector = {\n  plugin = \"\";\n};\n", 3, "inspector: 'plugin' is empty"},
	{MIN_PUBLISHERS "inspector = {\n  plugin = 5;\n};\n", 3, "'plugin' must be a string"},
	/* Enumerations. */
	{MIN_INSPECTOR MIN_PUBLISHERS "missing_envvar = \"maybe\";\n", 3, "\"maybe\""},
	{MIN_INSPECTOR MIN_PUBLISHERS "missing_envvar = true;\n", 3, "'missing_envvar' must be a string"},
	{MIN_INSPECTOR MIN_PUBLISHERS "log_level = \"loud\";\n", 3, "'log_level'"},
	/* Containers. */
	{MIN_INSPECTOR MIN_PUBLISHERS "containers = (\n  \"web\",\n  5\n);\n", 5, "'containers' must hold strings"},
	{MIN_INSPECTOR MIN_PUBLISHERS "containers = [1];\n", 3, "'containers' must hold strings"},
	{MIN_INSPECTOR MIN_PUBLISHERS "containers = \"web\";\n", 3, "'containers' must be an array"},
	/* Domain ownership. */
	{MIN_INSPECTOR MIN_PUBLISHERS "domains = {\n  sharing = \"some\";\n};\n", 4,
	 "'sharing' must be \"any\", \"same-rule\" or \"exclusive\""},
	{MIN_INSPECTOR MIN_PUBLISHERS "domains = {\n  sharing = 1;\n};\n", 4, "'sharing' must be"},
};

START_TEST(test_bad_file)
{
	const struct bad_file_case *c = &bad_files[_i];
	const char *path = write_config(c->text);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "web", NULL);
	ck_assert_msg(rc == -1, "case %d accepted", _i);
	ck_assert_ptr_nonnull(error);
	char prefix[128];
	if (c->line)
		snprintf(prefix, sizeof prefix, "%s:%u: ", path, c->line);
	else
		snprintf(prefix, sizeof prefix, "%s: ", path);
	ck_assert_msg(strncmp(error, prefix, strlen(prefix)) == 0, "\"%s\" does not start with \"%s\"",
		      error, prefix);
	assert_contains(error, c->needle);
	ck_assert_msg(strchr(error, '\n') == NULL, "case %d: more than one error: %s", _i, error);
	settings_free(&st);
}
END_TEST

/* Every top-level setting is optional: a file that sets a few takes the
 * documented defaults for the rest, inspector and publishers included. */
static const char *const partial_files[] = {
	"expire = 30;\n",
	MIN_PUBLISHERS,
	MIN_INSPECTOR,
	"",
};

START_TEST(test_partial_file_defaults)
{
	const char *path = write_config(partial_files[_i]);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "web", NULL);
	ck_assert_msg(rc == 0, "case %d refused: %s", _i, error);
	ck_assert_str_eq(st.inspector.plugin, "inspector-docker");
	ck_assert_str_eq(st.inspector.instance, "inspector");
	ck_assert_uint_eq(st.n_publishers, 1);
	ck_assert_str_eq(st.publishers[0].plugin, "publisher-redis");
	ck_assert_str_eq(st.publishers[0].instance, "publishers[0]");
	ck_assert_uint_eq(st.expire, _i == 0 ? 30 : 60);
	ck_assert_str_eq(st.key_prefix, "/beachhead/");
	settings_free(&st);
}
END_TEST

/* One run names every mistake of the file, each with its own line. */
START_TEST(test_bad_file_all_errors)
{
	const char *path = write_config("expire = \"x\";\n"
					"colour = 1;\n"
					"publishers = ( { plugin = \"publisher-stdout\"; }, { host = \"a\"; } );\n"
					"key_prefix = \"\";\n");
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, "web", NULL), -1);
	char line[256];
	snprintf(line, sizeof line, "%s:1: 'expire' must be an integer", path);
	assert_contains(error, line);
	snprintf(line, sizeof line, "%s:2: unknown setting 'colour'", path);
	assert_contains(error, line);
	snprintf(line, sizeof line, "%s:3: publishers[1]: missing 'plugin'", path);
	assert_contains(error, line);
	snprintf(line, sizeof line, "%s:4: 'key_prefix' must not be empty", path);
	assert_contains(error, line);
	/* The sound slots stay usable for --check-config's plugin checks. */
	ck_assert_uint_eq(st.n_publishers, 1);
	ck_assert_str_eq(st.publishers[0].plugin, "publisher-stdout");
	settings_free(&st);
}
END_TEST

START_TEST(test_cli_empty_key_prefix)
{
	static struct settings st;
	const char *error = NULL;
	const char *path = write_config("");
	ck_assert_int_eq(load(&st, &error, "-c", path, "--key-prefix=", "web", NULL), -1);
	assert_contains(error, "command line (--key-prefix): must not be empty");
	settings_free(&st);
}
END_TEST

START_TEST(test_missing_config_file)
{
	static struct settings st;
	const char *error = NULL;
	const char *path = "/tmp/bh-unit-settings-does-not-exist/beachhead.conf";
	ck_assert_int_eq(load(&st, &error, "-c", path, "web", NULL), -1);
	ck_assert_ptr_nonnull(error);
	assert_contains(error, path);
	assert_contains(error, "No such file");
	settings_free(&st);
}
END_TEST

/* --- settings_load: command line on top of the file --- */

START_TEST(test_cli_overrides_globals)
{
	const char *path = write_config(MIN_INSPECTOR MIN_PUBLISHERS
					"expire = 120;\nrefresh = 30;\nkey_prefix = \"/file/\";\n"
					"containers = [\"a\", \"b\", \"c\"];\nplugin_dir = \"/file\";\n"
					"log_level = \"error\";\n");
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "--expire", "10", "--refresh", "4", "--key-prefix",
		      "/cli/", "--plugin-dir", "/cli", "--no-timestamp", "--systemd",
		      "--error-missing-container", "--enumerate", "x", "y", NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_uint_eq(st.expire, 10);
	ck_assert_uint_eq(st.refresh, 4);
	ck_assert_str_eq(st.key_prefix, "/cli/");
	ck_assert_str_eq(st.plugin_path, "/cli");
	ck_assert(!st.timestamps);
	ck_assert_int_eq(st.systemd, 1);
	ck_assert(st.error_missing_container);
	ck_assert(st.enumerate);
	/* Container names on the command line replace the file's. */
	ck_assert_str_eq(st.containers[0], "x");
	ck_assert_str_eq(st.containers[1], "y");
	ck_assert_ptr_null(st.containers[2]);
	/* No log option: the file's level stays. */
	ck_assert_int_eq(st.log_level, BH_LOG_ERROR);
	settings_free(&st);
}
END_TEST

START_TEST(test_systemd_setting)
{
	const char *path = write_config(MIN_INSPECTOR MIN_PUBLISHERS "systemd = false;\n");
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, "web", NULL), 0);
	ck_assert_int_eq(st.systemd, 0);
	settings_free(&st);
	/* --systemd turns it on whatever the file says. */
	ck_assert_int_eq(load(&st, &error, "-c", path, "--systemd", "web", NULL), 0);
	ck_assert_int_eq(st.systemd, 1);
	settings_free(&st);
}
END_TEST

START_TEST(test_plugin_path_environment)
{
	/* $BEACHHEAD_PLUGIN_PATH is used when neither --plugin-dir nor
	 * plugin_dir is given; both of those win over it. */
	ck_assert_int_eq(setenv("BEACHHEAD_PLUGIN_PATH", "/env/a:/env/b", 1), 0);
	const char *plain = write_config(minimal_config);
	const char *with_dir = write_config(MIN_INSPECTOR MIN_PUBLISHERS "plugin_dir = \"/file\";\n");
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", plain, "web", NULL), 0);
	ck_assert_str_eq(st.plugin_path, "/env/a:/env/b");
	settings_free(&st);
	ck_assert_int_eq(load(&st, &error, "-c", with_dir, "web", NULL), 0);
	ck_assert_str_eq(st.plugin_path, "/file");
	settings_free(&st);
	ck_assert_int_eq(load(&st, &error, "-c", plain, "--plugin-dir=/cli", "web", NULL), 0);
	ck_assert_str_eq(st.plugin_path, "/cli");
	settings_free(&st);
	ck_assert_int_eq(unsetenv("BEACHHEAD_PLUGIN_PATH"), 0);
	ck_assert_int_eq(load(&st, &error, "-c", plain, "web", NULL), 0);
	ck_assert_ptr_null(st.plugin_path);
	settings_free(&st);
}
END_TEST

START_TEST(test_file_containers_kept_without_cli_names)
{
	const char *path = write_config(MIN_INSPECTOR MIN_PUBLISHERS "containers = [\"a\", \"b\"];\n");
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, NULL), 0);
	ck_assert_str_eq(st.containers[0], "a");
	ck_assert_str_eq(st.containers[1], "b");
	ck_assert_ptr_null(st.containers[2]);
	settings_free(&st);
}
END_TEST

START_TEST(test_redis_options_into_redis_publishers)
{
	const char *path = write_config(
		MIN_INSPECTOR
		"publishers = (\n"
		"  { plugin = \"publisher-redis\"; host = \"old\"; port = \"6379\"; },\n"
		"  { plugin = \"publisher-stdout\"; },\n"
		"  { plugin = \"/usr/lib/beachhead/publisher-redis.so\"; db = 2; },\n"
		"  { plugin = \"publisher-redis-cluster\"; }\n"
		");\n");
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "--redis-host", "redis.example", "--redis-port", "7000",
		      "web", NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_uint_eq(st.n_publishers, 4);
	int port = 0;
	/* Replaced (even where the file had the wrong type). */
	ck_assert_str_eq(group_string(st.publishers[0].group, "host"), "redis.example");
	ck_assert(group_int(st.publishers[0].group, "port", &port));
	ck_assert_int_eq(port, 7000);
	/* Added, other keys kept. */
	ck_assert_str_eq(group_string(st.publishers[2].group, "host"), "redis.example");
	ck_assert(group_int(st.publishers[2].group, "port", &port));
	ck_assert_int_eq(port, 7000);
	ck_assert(group_int(st.publishers[2].group, "db", &port));
	ck_assert_int_eq(port, 2);
	/* Other publishers are left alone. */
	ck_assert_ptr_null(config_setting_get_member(st.publishers[1].group, "host"));
	ck_assert_ptr_null(config_setting_get_member(st.publishers[1].group, "port"));
	ck_assert_ptr_null(config_setting_get_member(st.publishers[3].group, "host"));
	ck_assert_ptr_null(config_setting_get_member(st.publishers[3].group, "port"));
	/* The inspector too. */
	ck_assert_ptr_null(config_setting_get_member(st.inspector.group, "host"));
	settings_free(&st);
}
END_TEST

START_TEST(test_redis_options_with_builtin_defaults)
{
	ck_assert_msg(access(DEFAULT_CONFIG_FILE, F_OK) != 0, "%s exists", DEFAULT_CONFIG_FILE);
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "--redis-host=r", "--redis-port=1", "web", NULL), 0);
	ck_assert_str_eq(group_string(st.publishers[0].group, "host"), "r");
	int port = 0;
	ck_assert(group_int(st.publishers[0].group, "port", &port));
	ck_assert_int_eq(port, 1);
	settings_free(&st);
}
END_TEST

START_TEST(test_docker_options_into_inspector)
{
	const char *path = write_config(
		"inspector = { plugin = \"inspector-docker\"; url = \"unix:///old\"; address = 3; };\n"
		MIN_PUBLISHERS);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "--docker-url", "tcp://docker:2375", "--docker-network",
		      "--envvar", "MY_DOMAINS", "web", NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_str_eq(group_string(st.inspector.group, "url"), "tcp://docker:2375");
	ck_assert_str_eq(group_string(st.inspector.group, "address"), "name");
	ck_assert_str_eq(group_string(st.inspector.group, "envvar"), "MY_DOMAINS");
	/* Not written into publishers. */
	ck_assert_ptr_null(config_setting_get_member(st.publishers[0].group, "url"));
	ck_assert_ptr_null(config_setting_get_member(st.publishers[0].group, "envvar"));
	settings_free(&st);
}
END_TEST

/* Only the flags given name the command line as a setting's origin: the
 * file's url stays the file's when only --envvar is given (it read
 * "command line (--docker-url)" in messages and --verbose before). */
START_TEST(test_docker_option_origins_only_for_flags_given)
{
	const char *path = write_config(
		"inspector = { plugin = \"inspector-docker\"; url = \"unix:///old\"; };\n" MIN_PUBLISHERS);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "--envvar", "MY_DOMAINS", "web", NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	const config_setting_t *url = config_setting_get_member(st.inspector.group, "url");
	const config_setting_t *envvar = config_setting_get_member(st.inspector.group, "envvar");
	ck_assert_ptr_nonnull(url);
	ck_assert_ptr_nonnull(envvar);
	ck_assert_uint_eq(config_setting_source_line(url), 1);
	ck_assert_str_eq(config_setting_source_file(url), path);
	ck_assert_str_eq(config_setting_source_file(envvar), "command line (--envvar)");
	ck_assert_ptr_null(settings_flag_origin(&st.inspector, url));
	ck_assert_str_eq(settings_flag_origin(&st.inspector, envvar), "command line (--envvar)");
	settings_free(&st);
}
END_TEST

START_TEST(test_docker_options_by_path)
{
	const char *path = write_config(
		"inspector = { plugin = \"/usr/lib/beachhead/inspector-docker.so\"; };\n" MIN_PUBLISHERS);
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, "--envvar", "E", "web", NULL), 0);
	ck_assert_str_eq(group_string(st.inspector.group, "envvar"), "E");
	settings_free(&st);
}
END_TEST

struct docker_option_case {
	const char *args[3];
};

static const struct docker_option_case docker_option_cases[] = {
	{{"--docker-url", "tcp://x:1", NULL}},
	{{"--docker-network", NULL, NULL}},
	{{"--envvar", "X", NULL}},
};

START_TEST(test_docker_options_need_docker_inspector)
{
	const char *path = write_config("inspector = { plugin = \"inspector-scripted\"; };\n" MIN_PUBLISHERS);
	const struct docker_option_case *c = &docker_option_cases[_i];
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, "web", c->args[0], c->args[1], c->args[2], NULL),
			 -1);
	ck_assert_ptr_nonnull(error);
	assert_contains(error, path);
	assert_contains(error, "inspector-docker");
	assert_contains(error, "'inspector-scripted'");
	settings_free(&st);
}
END_TEST

START_TEST(test_dry_run_replaces_publishers)
{
	const char *path = write_config(MIN_INSPECTOR
					"publishers = (\n  { plugin = \"publisher-redis\"; },\n"
					"  { plugin = \"publisher-other\"; x = 1; }\n);\n");
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "--dry-run", "--redis-host", "h", "web", NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert(st.dry_run);
	ck_assert_uint_eq(st.n_publishers, 1);
	ck_assert_str_eq(st.publishers[0].plugin, "publisher-stdout");
	ck_assert_str_eq(st.publishers[0].instance, "publishers[0]");
	ck_assert_ptr_nonnull(st.publishers[0].group);
	ck_assert_str_eq(group_string(st.publishers[0].group, "plugin"), "publisher-stdout");
	ck_assert_ptr_null(config_setting_get_member(st.publishers[0].group, "host"));
	/* The tree holds exactly the one replacement list. */
	config_setting_t *list = config_lookup(&st.cfg, "publishers");
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(config_setting_length(list), 1);
	/* The inspector is untouched. */
	ck_assert_str_eq(st.inspector.plugin, "inspector-docker");
	settings_free(&st);
}
END_TEST

START_TEST(test_dry_run_with_builtin_defaults)
{
	ck_assert_msg(access(DEFAULT_CONFIG_FILE, F_OK) != 0, "%s exists", DEFAULT_CONFIG_FILE);
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-n", "web", NULL), 0);
	ck_assert_uint_eq(st.n_publishers, 1);
	ck_assert_str_eq(st.publishers[0].plugin, "publisher-stdout");
	settings_free(&st);
}
END_TEST

struct envvar_case {
	const char *file_value; /* NULL: not in the file */
	const char *flags[3];
	enum missing_envvar_mode expected;
};

static const struct envvar_case envvar_cases[] = {
	{NULL, {NULL}, MISSING_ENVVAR_AUTO},
	{NULL, {"--error-missing-envvar", NULL}, MISSING_ENVVAR_ERROR},
	{NULL, {"--ignore-missing-envvar", NULL}, MISSING_ENVVAR_IGNORE},
	{NULL, {"--error-missing-envvar", "--ignore-missing-envvar", NULL}, MISSING_ENVVAR_AUTO},
	{"auto", {NULL}, MISSING_ENVVAR_AUTO},
	{"error", {NULL}, MISSING_ENVVAR_ERROR},
	{"ignore", {NULL}, MISSING_ENVVAR_IGNORE},
	{"ignore", {"--error-missing-envvar", NULL}, MISSING_ENVVAR_ERROR},
	{"error", {"--ignore-missing-envvar", NULL}, MISSING_ENVVAR_IGNORE},
};

START_TEST(test_missing_envvar_mode)
{
	const struct envvar_case *c = &envvar_cases[_i];
	char text[512];
	snprintf(text, sizeof text, "%s%s%s%s", MIN_INSPECTOR MIN_PUBLISHERS,
		 c->file_value ? "missing_envvar = \"" : "", c->file_value ? c->file_value : "",
		 c->file_value ? "\";\n" : "");
	const char *path = write_config(text);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "web", c->flags[0], c->flags[1], c->flags[2], NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_int_eq(st.missing_envvar, c->expected);
	settings_free(&st);
}
END_TEST

struct level_case {
	const char *file_level;
	const char *flags[3];
	enum bh_log_level expected;
};

static const struct level_case level_cases[] = {
	{NULL, {NULL}, BH_LOG_INFO},
	{NULL, {"--quiet", NULL}, BH_LOG_WARNING},
	{NULL, {"--verbose", NULL}, BH_LOG_DEBUG},
	{NULL, {"--quiet", "--verbose", NULL}, BH_LOG_INFO},
	{NULL, {"--quiet", "--dry-run", NULL}, BH_LOG_INFO},
	{"error", {NULL}, BH_LOG_ERROR},
	{"warning", {NULL}, BH_LOG_WARNING},
	{"info", {NULL}, BH_LOG_INFO},
	{"debug", {NULL}, BH_LOG_DEBUG},
	{"error", {"--verbose", NULL}, BH_LOG_DEBUG},
	{"debug", {"--quiet", NULL}, BH_LOG_WARNING},
	{"error", {"--verbose", "--quiet", NULL}, BH_LOG_ERROR},
};

START_TEST(test_log_level)
{
	const struct level_case *c = &level_cases[_i];
	char text[512];
	snprintf(text, sizeof text, "%s%s%s%s", MIN_INSPECTOR MIN_PUBLISHERS,
		 c->file_level ? "log_level = \"" : "", c->file_level ? c->file_level : "",
		 c->file_level ? "\";\n" : "");
	const char *path = write_config(text);
	static struct settings st;
	const char *error = NULL;
	int rc = load(&st, &error, "-c", path, "web", c->flags[0], c->flags[1], c->flags[2], NULL);
	ck_assert_msg(rc == 0, "settings_load: %s", error);
	ck_assert_int_eq(st.log_level, c->expected);
	settings_free(&st);
}
END_TEST

START_TEST(test_nothing_to_inspect)
{
	const char *path = write_config(minimal_config);
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, NULL), -1);
	ck_assert_ptr_nonnull(error);
	assert_contains(error, path);
	assert_contains(error, "nothing to inspect");
	settings_free(&st);

	/* An empty containers list in the file is no better. */
	path = write_config(MIN_INSPECTOR MIN_PUBLISHERS "containers = [];\nenumerate = false;\n");
	ck_assert_int_eq(load(&st, &error, "-c", path, NULL), -1);
	assert_contains(error, "nothing to inspect");
	settings_free(&st);

	/* Either one is enough. */
	ck_assert_int_eq(load(&st, &error, "-c", path, "--enumerate", NULL), 0);
	settings_free(&st);
	ck_assert_int_eq(load(&st, &error, "-c", path, "one", NULL), 0);
	settings_free(&st);
}
END_TEST

START_TEST(test_free_after_failure_and_twice)
{
	/* The caller frees after a failed load; freeing twice is harmless. */
	const char *path = write_config(MIN_INSPECTOR MIN_PUBLISHERS
					"containers = (\"a\", \"b\", 3);\n");
	static struct settings st;
	const char *error = NULL;
	ck_assert_int_eq(load(&st, &error, "-c", path, NULL), -1);
	settings_free(&st);
	ck_assert_ptr_null(st.containers);
	ck_assert_ptr_null(st.publishers);
	settings_free(&st);
}
END_TEST

/* domains.sharing: "any" unless said otherwise, with or without a group. */
static const struct {
	const char *group;
	enum ownership_sharing want;
} sharing_cases[] = {
	{"", SHARING_ANY},
	{"domains = { allow = [ \".example.org\" ]; };\n", SHARING_ANY},
	{"domains = { sharing = \"any\"; };\n", SHARING_ANY},
	{"domains = { sharing = \"same-rule\"; };\n", SHARING_SAME_RULE},
	{"domains = { sharing = \"exclusive\"; };\n", SHARING_EXCLUSIVE},
};

START_TEST(test_domains_sharing)
{
	char *text = NULL;
	ck_assert_int_ge(asprintf(&text, "%s%s", minimal_config, sharing_cases[_i].group), 0);
	const char *path = write_config(text);
	free(text);
	static struct settings st;
	const char *error = NULL;
	ck_assert_msg(load(&st, &error, "-c", path, "web", NULL) == 0, "refused: %s", error ? error : "");
	ck_assert_int_eq(st.ownership.sharing, sharing_cases[_i].want);
}
END_TEST

static Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("cli_parse");
	tcase_add_test(tc, test_cli_defaults);
	tcase_add_test(tc, test_cli_all_options);
	tcase_add_test(tc, test_cli_short_options_and_permutation);
	tcase_add_test(tc, test_cli_double_dash);
	tcase_add_test(tc, test_cli_quiet_verbose_cancel);
	tcase_add_test(tc, test_cli_number_bounds);
	tcase_add_loop_test(tc, test_cli_errors, 0,
			    (int)(sizeof cli_error_cases / sizeof cli_error_cases[0]));
	tcase_add_test(tc, test_cli_reparse_after_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, NULL, files_teardown);
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_builtin_defaults);
	tcase_add_test(tc, test_minimal_file_defaults);
	tcase_add_loop_test(tc, test_refresh_default, 0,
			    (int)(sizeof refresh_cases / sizeof refresh_cases[0]));
	tcase_add_loop_test(tc, test_refresh_default_never_zero, 0, 3);
	tcase_add_loop_test(tc, test_bad_file, 0, (int)(sizeof bad_files / sizeof bad_files[0]));
	tcase_add_test(tc, test_missing_config_file);
	tcase_add_loop_test(tc, test_partial_file_defaults, 0,
			    (int)(sizeof partial_files / sizeof partial_files[0]));
	tcase_add_test(tc, test_bad_file_all_errors);
	tcase_add_test(tc, test_cli_empty_key_prefix);
	tcase_add_test(tc, test_free_after_failure_and_twice);
	tcase_add_loop_test(tc, test_domains_sharing, 0,
			    (int)(sizeof sharing_cases / sizeof sharing_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("overrides");
	tcase_add_checked_fixture(tc, NULL, files_teardown);
	tcase_add_test(tc, test_cli_overrides_globals);
	tcase_add_test(tc, test_file_containers_kept_without_cli_names);
	tcase_add_test(tc, test_systemd_setting);
	tcase_add_test(tc, test_plugin_path_environment);
	tcase_add_test(tc, test_redis_options_into_redis_publishers);
	tcase_add_test(tc, test_redis_options_with_builtin_defaults);
	tcase_add_test(tc, test_docker_options_into_inspector);
	tcase_add_test(tc, test_docker_option_origins_only_for_flags_given);
	tcase_add_test(tc, test_docker_options_by_path);
	tcase_add_loop_test(tc, test_docker_options_need_docker_inspector, 0,
			    (int)(sizeof docker_option_cases / sizeof docker_option_cases[0]));
	tcase_add_test(tc, test_dry_run_replaces_publishers);
	tcase_add_test(tc, test_dry_run_with_builtin_defaults);
	tcase_add_loop_test(tc, test_missing_envvar_mode, 0,
			    (int)(sizeof envvar_cases / sizeof envvar_cases[0]));
	tcase_add_loop_test(tc, test_log_level, 0, (int)(sizeof level_cases / sizeof level_cases[0]));
	tcase_add_test(tc, test_nothing_to_inspect);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* make check exports BEACHHEAD_PLUGIN_PATH; the expectations here
	 * are about the file and the command line. */
	unsetenv("BEACHHEAD_PLUGIN_PATH");
	strcpy(tmpdir, "/tmp/bh-unit-settings-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(settings_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pool_free();
	remove_tmpdir();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
