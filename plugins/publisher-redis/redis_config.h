/*
 * publisher-redis settings: parsed from the plugin's libconfig group at
 * init(), and listed for --check-config --verbose.  The only I/O here is
 * reading password_file.
 */
#ifndef BH_REDIS_CONFIG_H
#define BH_REDIS_CONFIG_H

#include <beachhead/plugin.h>

#include "common/backoff.h"

/* Every retry of this plugin (reconnects, refused writes, the Sentinel
 * subscription) backs off between these bounds. */
#define REDIS_BACKOFF_MIN_MS 100u
#define REDIS_BACKOFF_MAX_MS 5000u
/* +-20 %: many daemons that lost the same server at the same moment must not
 * knock on it again in lockstep. */
#define REDIS_BACKOFF_JITTER_PERCENT 20u

struct redis_config {
	char *host;   /* default "localhost" */
	int port;     /* default 6379 */
	char *socket; /* unix socket path; wins over host/port */
	char *user;   /* ACL user (AUTH user password), may be NULL */
	char *password; /* from `password` or `password_file`, may be NULL */
	char *password_file; /* its path when the password came from a file */
	int database;   /* SELECT n when > 0 */
	unsigned connect_timeout_ms;
	unsigned command_timeout_ms;
	char *notify_channel; /* PUBLISH target after changes, may be NULL */
	char *server;         /* "host:port" or "unix:/path", for messages */
	/* Sentinel: host:port strings (NULL-terminated); with them host,
	 * port and socket are not used. */
	char **sentinels;
	size_t n_sentinels;
	char *master_name;
	char *sentinel_user;
	char *sentinel_password;
};

/* Returns BH_OK, or logs "FILE:LINE: instance: problem" and returns BH_ERR.
 * On error *cfg holds nothing that needs freeing. */
int redis_config_parse(const struct bh_init *args, struct redis_config *cfg);
void redis_config_free(struct redis_config *cfg);
/* Wipes a secret (password) before freeing it; NULL is fine. */
void redis_free_secret(char *secret);
/* Reads password_file again (a secret manager may have rotated it): 1 when
 * it holds another password now (cfg->password replaced), 0 when it holds
 * the same or there is no file, -1 when it cannot be read (*problem,
 * allocated, says why; the password stays). */
int redis_config_reread_password(struct redis_config *cfg, char **problem);
/* "host:port" or "[v6]:port" -> *host (allocated) and *port; BH_ERR when
 * malformed. */
int redis_config_split_address(const char *text, char **host, int *port);
/* Lists the settings in effect for --check-config --verbose (the
 * passwords hidden). */
void redis_config_describe(const struct bh_init *args, const struct redis_config *cfg);
/* The capped, jittered backoff every retry of this plugin uses. */
void redis_config_backoff_init(struct bh_backoff *b);

#endif
