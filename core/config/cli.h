/*
 * Command line.  Every option of the original beachhead-companion keeps its
 * name and meaning; values given here override the configuration file.
 */
#ifndef BH_CLI_H
#define BH_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct cli_options {
	const char *config_file; /* -c; NULL = default path if present */
	const char *plugin_path; /* --plugin-dir */

	const char *redis_host;
	int redis_port; /* -1 = not given */
	long expire;    /* -1 = not given */
	long refresh;   /* -1 = not given */
	const char *key_prefix;
	const char *host_id; /* --host-id; validated with the settings */
	const char *state_dir; /* --state-dir */
	const char *metrics_listen; /* --metrics-listen; validated with the settings */
	const char *docker_url;
	bool docker_network;
	const char *envvar;
	bool enumerate;
	bool systemd;
	bool error_missing_envvar;
	bool ignore_missing_envvar;
	bool error_missing_container;
	bool dry_run;
	bool quiet;
	bool verbose;
	bool no_timestamp;
	bool check_config;
	bool health_check; /* GET /readyz from the running daemon, then exit */
	bool help;
	bool version;

	/* Container names (argv tail), NULL-terminated; borrowed from argv. */
	char **containers;
	int n_containers;
};

/* Returns 0, or -1 after printing a usage error to err. */
int cli_parse(int argc, char **argv, struct cli_options *opts, FILE *err);
void cli_usage(FILE *out);

#endif
