#include "config.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_REDIS_HOST = 256,
	OPT_REDIS_PORT,
	OPT_EXPIRE,
	OPT_REFRESH,
	OPT_KEY_PREFIX,
	OPT_DOCKER_URL,
	OPT_DOCKER_NETWORK,
	OPT_ENVVAR,
	OPT_ENUMERATE,
	OPT_SYSTEMD,
	OPT_ERROR_MISSING_ENVVAR,
	OPT_IGNORE_MISSING_ENVVAR,
	OPT_ERROR_MISSING_CONTAINER,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_NO_TIMESTAMP,
	OPT_VERSION,
	OPT_PLUGIN_DIR,
	OPT_CHECK_CONFIG,
	OPT_HOST_ID,
	OPT_STATE_DIR,
	OPT_METRICS_LISTEN,
	OPT_HEALTH_CHECK,
};

static const struct option long_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
	{"redis-host", required_argument, NULL, OPT_REDIS_HOST},
	{"redis-port", required_argument, NULL, OPT_REDIS_PORT},
	{"expire", required_argument, NULL, OPT_EXPIRE},
	{"refresh", required_argument, NULL, OPT_REFRESH},
	{"key-prefix", required_argument, NULL, OPT_KEY_PREFIX},
	{"host-id", required_argument, NULL, OPT_HOST_ID},
	{"state-dir", required_argument, NULL, OPT_STATE_DIR},
	{"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
	{"health-check", no_argument, NULL, OPT_HEALTH_CHECK},
	{"docker-url", required_argument, NULL, OPT_DOCKER_URL},
	{"docker-network", no_argument, NULL, OPT_DOCKER_NETWORK},
	{"envvar", required_argument, NULL, OPT_ENVVAR},
	{"enumerate", no_argument, NULL, OPT_ENUMERATE},
	{"systemd", no_argument, NULL, OPT_SYSTEMD},
	{"error-missing-envvar", no_argument, NULL, OPT_ERROR_MISSING_ENVVAR},
	{"ignore-missing-envvar", no_argument, NULL, OPT_IGNORE_MISSING_ENVVAR},
	{"error-missing-container", no_argument, NULL, OPT_ERROR_MISSING_CONTAINER},
	{"dry-run", no_argument, NULL, 'n'},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"verbose", no_argument, NULL, OPT_VERBOSE},
	{"no-timestamp", no_argument, NULL, OPT_NO_TIMESTAMP},
	{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

void cli_usage(FILE *out)
{
	fputs("Usage: beachhead-companion [options] [--ignore-missing-envvar] [--error-missing-container] [--] <containers>...\n"
	      "       beachhead-companion [options] [--error-missing-envvar] --enumerate\n"
	      "       beachhead-companion --help | --version\n"
	      "\n"
	      "Publishes the domains that containers ask for (BEACHHEAD_DOMAINS) into Redis,\n"
	      "with an expiry, for confd to render reverse-proxy configurations.\n"
	      "\n"
	      "Options (they override the configuration file):\n"
	      "  -c, --config=FILE       Configuration file [default: " BH_SYSCONFDIR "/beachhead.conf,\n"
	      "                          built-in defaults when it does not exist]\n"
	      "      --plugin-dir=DIRS   Colon-separated directories searched for plugins first\n"
	      "                          (also $BEACHHEAD_PLUGIN_PATH) [default: " BH_PKGLIBDIR "]\n"
	      "      --redis-host=HOST   Redis server [default: localhost]\n"
	      "      --redis-port=PORT   Redis port [default: 6379]\n"
	      "      --expire=SECONDS    Expiry of registrations; 0 = none [default: 60]\n"
	      "      --refresh=SECONDS   Refresh interval [default: 45% of expire];\n"
	      "                          0 = one pass, then exit\n"
	      "      --key-prefix=KEY    Key prefix, followed by the container name [default: /beachhead/]\n"
	      "      --host-id=ID        Keys become KEY + ID + \"/\" + container; this daemon owns\n"
	      "                          that namespace (e.g. --host-id \"$(hostname -s)\")\n"
	      "      --state-dir=DIR     What survives a restart: owner token, etcd lease id\n"
	      "                          (also $BEACHHEAD_STATE_DIR) [default: /var/lib/beachhead-companion]\n"
	      "      --metrics-listen=ADDR:PORT  Serve /metrics, /healthz and /readyz there,\n"
	      "                          e.g. 127.0.0.1:9477 or [::1]:9477 [default: off]\n"
	      "      --docker-url=URL    Docker Engine [default: url in the file, else $DOCKER_HOST,\n"
	      "                          else unix:///var/run/docker.sock]\n"
	      "      --docker-network    Use the container name as host instead of its IP\n"
	      "      --envvar=VAR        Variable holding the domain specs [default: BEACHHEAD_DOMAINS]\n"
	      "      --enumerate         Inspect all running containers (repeated on every refresh)\n"
	      "      --systemd           Talk to systemd (sd_notify READY/STATUS/WATCHDOG)\n"
	      "                          [default: when $NOTIFY_SOCKET is set]\n"
	      "      --error-missing-envvar    A container without the variable is an error\n"
	      "                          (default for named containers)\n"
	      "      --ignore-missing-envvar   A container without the variable is skipped quietly\n"
	      "                          (default for enumerated containers)\n"
	      "      --error-missing-container A named container that is missing is an error\n"
	      "  -n, --dry-run           Print registrations to stdout instead of publishing them\n"
	      "      --quiet             Only warnings and errors\n"
	      "      --verbose           Debug output\n"
	      "      --no-timestamp      No timestamps in log lines (journald adds its own)\n"
	      "      --check-config      Check the configuration and plugins, report every error,\n"
	      "                          then exit; with --verbose print the effective settings\n"
	      "      --health-check      Ask the running daemon's /readyz (metrics_listen of the\n"
	      "                          configuration), print the answer; exit 0 when ready\n"
	      "  -h, --help              This message\n"
	      "      --version           Version\n"
	      "\n"
	      "Domain specs: whitespace-separated DOMAIN[:http[=PORT]][:https[=PORT]]; neither\n"
	      "scheme means both; default ports 80 and 443.\n"
	      "Example: BEACHHEAD_DOMAINS='example.org admin.example.org:https app.example.org:http=8080:https=8043'\n"
	      "\n"
	      "Exit status: 0 success, 1 errors during a one-pass run or a fatal runtime error,\n"
	      "2 usage, configuration or plugin loading error.\n",
	      out);
}

/* Strict unsigned decimal within [0, max]. */
static int parse_number(const char *text, long max, long *value)
{
	if (!text || *text < '0' || *text > '9')
		return -1;
	char *end = NULL;
	errno = 0;
	long n = strtol(text, &end, 10);
	if (errno || *end != '\0' || n < 0 || n > max)
		return -1;
	*value = n;
	return 0;
}

/* Options stored as they come: a text kept as given (checked with the
 * settings), or a switch turned on. */
enum stored_as { STORED_TEXT, STORED_SWITCH };

static const struct {
	int option;
	enum stored_as as;
	size_t field; /* a const char * (text) or a bool (switch) of struct cli_options */
} plain_options[] = {
	{'c', STORED_TEXT, offsetof(struct cli_options, config_file)},
	{OPT_PLUGIN_DIR, STORED_TEXT, offsetof(struct cli_options, plugin_path)},
	{OPT_REDIS_HOST, STORED_TEXT, offsetof(struct cli_options, redis_host)},
	{OPT_KEY_PREFIX, STORED_TEXT, offsetof(struct cli_options, key_prefix)},
	{OPT_HOST_ID, STORED_TEXT, offsetof(struct cli_options, host_id)},
	{OPT_STATE_DIR, STORED_TEXT, offsetof(struct cli_options, state_dir)},
	{OPT_METRICS_LISTEN, STORED_TEXT, offsetof(struct cli_options, metrics_listen)},
	{OPT_DOCKER_URL, STORED_TEXT, offsetof(struct cli_options, docker_url)},
	{OPT_ENVVAR, STORED_TEXT, offsetof(struct cli_options, envvar)},
	{OPT_HEALTH_CHECK, STORED_SWITCH, offsetof(struct cli_options, health_check)},
	{OPT_DOCKER_NETWORK, STORED_SWITCH, offsetof(struct cli_options, docker_network)},
	{OPT_ENUMERATE, STORED_SWITCH, offsetof(struct cli_options, enumerate)},
	{OPT_SYSTEMD, STORED_SWITCH, offsetof(struct cli_options, systemd)},
	{OPT_ERROR_MISSING_ENVVAR, STORED_SWITCH, offsetof(struct cli_options, error_missing_envvar)},
	{OPT_IGNORE_MISSING_ENVVAR, STORED_SWITCH, offsetof(struct cli_options, ignore_missing_envvar)},
	{OPT_ERROR_MISSING_CONTAINER, STORED_SWITCH, offsetof(struct cli_options, error_missing_container)},
	{'n', STORED_SWITCH, offsetof(struct cli_options, dry_run)},
	{OPT_QUIET, STORED_SWITCH, offsetof(struct cli_options, quiet)},
	{OPT_VERBOSE, STORED_SWITCH, offsetof(struct cli_options, verbose)},
	{OPT_NO_TIMESTAMP, STORED_SWITCH, offsetof(struct cli_options, no_timestamp)},
	{OPT_CHECK_CONFIG, STORED_SWITCH, offsetof(struct cli_options, check_config)},
	{'h', STORED_SWITCH, offsetof(struct cli_options, help)},
	{OPT_VERSION, STORED_SWITCH, offsetof(struct cli_options, version)},
};

/* True when c is one of plain_options (now stored). */
static bool store_plain_option(int c, const char *arg, struct cli_options *opts)
{
	for (size_t i = 0; i < sizeof plain_options / sizeof plain_options[0]; i++) {
		if (plain_options[i].option != c)
			continue;
		void *field = (char *)opts + plain_options[i].field;
		if (plain_options[i].as == STORED_TEXT)
			*(const char **)field = arg;
		else
			*(bool *)field = true;
		return true;
	}
	return false;
}

/* --redis-port, --expire, --refresh: 1 (stored), 0 (not one of them), or
 * -1 after printing why the value is wrong. */
static int store_number_option(int c, const char *arg, struct cli_options *opts, FILE *err)
{
	long number = 0;
	if (c == OPT_REDIS_PORT) {
		if (parse_number(arg, 65535, &number) < 0 || number == 0) {
			fprintf(err, "beachhead-companion: --redis-port: '%s' is not a port (1-65535)\n", arg);
			return -1;
		}
		opts->redis_port = (int)number;
		return 1;
	}
	if (c != OPT_EXPIRE && c != OPT_REFRESH)
		return 0;
	if (parse_number(arg, INT_MAX, &number) < 0) {
		fprintf(err, "beachhead-companion: --%s: '%s' is not a number of seconds\n",
			c == OPT_EXPIRE ? "expire" : "refresh", arg);
		return -1;
	}
	if (c == OPT_EXPIRE)
		opts->expire = number;
	else
		opts->refresh = number;
	return 1;
}

/* getopt_long's ':' (a value missing) or '?' (unknown option). */
static void report_bad_option(int c, char **argv, FILE *err)
{
	if (c == ':') {
		fprintf(err, "beachhead-companion: option '%s' needs a value\n", argv[optind - 1]);
		return;
	}
	/* Inside a cluster like -xn, optind has not moved on yet. */
	if (optopt > 0 && optopt < 256 && strncmp(argv[optind - 1], "--", 2) != 0)
		fprintf(err, "beachhead-companion: unknown option '-%c' (see --help)\n", optopt);
	else
		fprintf(err, "beachhead-companion: unknown option '%s' (see --help)\n", argv[optind - 1]);
}

int cli_parse(int argc, char **argv, struct cli_options *opts, FILE *err)
{
	memset(opts, 0, sizeof *opts);
	opts->redis_port = -1;
	opts->expire = -1;
	opts->refresh = -1;
	/* 0, not 1: glibc then also resets its position inside a cluster of
	 * short options left over from an earlier call. */
	optind = 0;
	opterr = 0;
	for (;;) {
		int index = 0;
		int c = getopt_long(argc, argv, ":c:nh", long_options, &index);
		if (c == -1)
			break;
		if (store_plain_option(c, optarg, opts))
			continue;
		int stored = store_number_option(c, optarg, opts, err);
		if (stored < 0)
			return -1;
		if (stored == 0) {
			report_bad_option(c, argv, err);
			return -1;
		}
	}
	opts->containers = argv + optind;
	opts->n_containers = argc - optind;
	/* As in the original: the two cancel each other out, and a dry run
	 * is never quiet (its output is the point). */
	if (opts->quiet && opts->verbose)
		opts->quiet = opts->verbose = false;
	if (opts->dry_run)
		opts->quiet = false;
	return 0;
}
