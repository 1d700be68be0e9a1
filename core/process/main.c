/* beachhead-companion: publishes container domain registrations. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "daemon.h"
#include "health_check.h"
#include "log.h"
#include "settings.h"

/* --health-check: the configuration says where the daemon listens. */
static int health_check(const struct cli_options *opts)
{
	log_setup(opts->verbose ? BH_LOG_DEBUG : BH_LOG_WARNING, !opts->no_timestamp);
	struct settings settings;
	char *error = NULL;
	/* Settings that would stop a daemon (no containers named) do not
	 * matter here: only metrics_listen does. */
	(void)settings_load(&settings, opts, &error);
	free(error);
	int status = EXIT_RUNTIME_ERROR;
	if (!settings.metrics_listen || settings.metrics_address.len == 0)
		fprintf(stderr, "beachhead-companion: health check: metrics_listen is not set (or "
				"invalid) in %s: the daemon serves no /readyz\n",
			settings.config_file ? settings.config_file : "the configuration");
	else
		status = health_check_run(&settings.metrics_address, stdout, stderr);
	settings_free(&settings);
	return status;
}

int main(int argc, char **argv)
{
	struct cli_options opts;
	if (cli_parse(argc, argv, &opts, stderr) < 0)
		return EXIT_CONFIG_ERROR;
	if (opts.help) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	if (opts.version) {
		printf("%s %s (plugin ABI %d.%d)\n", PACKAGE_NAME, PACKAGE_VERSION, BH_ABI_MAJOR,
		       BH_ABI_MINOR);
		return EXIT_OK;
	}
	if (opts.health_check)
		return health_check(&opts);
	/* Log before the file is read with what the command line says. */
	log_setup(opts.verbose ? BH_LOG_DEBUG : opts.quiet ? BH_LOG_WARNING : BH_LOG_INFO,
		  !opts.no_timestamp);

	struct settings *settings = calloc(1, sizeof *settings);
	char *error = NULL;
	if (!settings)
		return EXIT_RUNTIME_ERROR;
	bool refused = settings_load(settings, &opts, &error) < 0;
	if (refused) {
		log_error_lines(error ? error : "out of memory");
		free(error);
		/* --check-config goes on to check the plugins of the sound slots,
		 * so that one run lists every mistake. */
		if (!opts.check_config || !settings->config_file) {
			settings_free(settings);
			free(settings);
			return EXIT_CONFIG_ERROR;
		}
	} else {
		log_setup(settings->log_level, settings->timestamps);
	}
	return daemon_run(settings, &opts, opts.check_config, refused);
}
