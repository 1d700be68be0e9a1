#include "config.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
		long number = 0;
		switch (c) {
		case 'c':
			opts->config_file = optarg;
			break;
		case OPT_PLUGIN_DIR:
			opts->plugin_path = optarg;
			break;
		case OPT_REDIS_HOST:
			opts->redis_host = optarg;
			break;
		case OPT_REDIS_PORT:
			if (parse_number(optarg, 65535, &number) < 0 || number == 0) {
				fprintf(err, "beachhead-companion: --redis-port: '%s' is not a port (1-65535)\n",
					optarg);
				return -1;
			}
			opts->redis_port = (int)number;
			break;
		case OPT_EXPIRE:
		case OPT_REFRESH:
			if (parse_number(optarg, INT_MAX, &number) < 0) {
				fprintf(err, "beachhead-companion: --%s: '%s' is not a number of seconds\n",
					c == OPT_EXPIRE ? "expire" : "refresh", optarg);
				return -1;
			}
			if (c == OPT_EXPIRE)
				opts->expire = number;
			else
				opts->refresh = number;
			break;
		case OPT_KEY_PREFIX:
			opts->key_prefix = optarg;
			break;
		case OPT_HOST_ID:
			opts->host_id = optarg;
			break;
		case OPT_STATE_DIR:
			opts->state_dir = optarg;
			break;
		case OPT_METRICS_LISTEN:
			opts->metrics_listen = optarg;
			break;
		case OPT_HEALTH_CHECK:
			opts->health_check = true;
			break;
		case OPT_DOCKER_URL:
			opts->docker_url = optarg;
			break;
		case OPT_DOCKER_NETWORK:
			opts->docker_network = true;
			break;
		case OPT_ENVVAR:
			opts->envvar = optarg;
			break;
		case OPT_ENUMERATE:
			opts->enumerate = true;
			break;
		case OPT_SYSTEMD:
			opts->systemd = true;
			break;
		case OPT_ERROR_MISSING_ENVVAR:
			opts->error_missing_envvar = true;
			break;
		case OPT_IGNORE_MISSING_ENVVAR:
			opts->ignore_missing_envvar = true;
			break;
		case OPT_ERROR_MISSING_CONTAINER:
			opts->error_missing_container = true;
			break;
		case 'n':
			opts->dry_run = true;
			break;
		case OPT_QUIET:
			opts->quiet = true;
			break;
		case OPT_VERBOSE:
			opts->verbose = true;
			break;
		case OPT_NO_TIMESTAMP:
			opts->no_timestamp = true;
			break;
		case OPT_CHECK_CONFIG:
			opts->check_config = true;
			break;
		case 'h':
			opts->help = true;
			break;
		case OPT_VERSION:
			opts->version = true;
			break;
		case ':':
			fprintf(err, "beachhead-companion: option '%s' needs a value\n", argv[optind - 1]);
			return -1;
		default:
			/* Inside a cluster like -xn, optind has not moved on yet. */
			if (optopt > 0 && optopt < 256 && strncmp(argv[optind - 1], "--", 2) != 0)
				fprintf(err, "beachhead-companion: unknown option '-%c' (see --help)\n",
					optopt);
			else
				fprintf(err, "beachhead-companion: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
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
