/*
 * publisher-etcd's settings: its libconfig group, read at init()
 * (etcd_config.c), and the password file they name.
 */
#ifndef BH_ETCD_CONFIG_H
#define BH_ETCD_CONFIG_H

#include <stddef.h>

#include <beachhead/plugin.h>

struct etcd_settings {
	char **endpoints; /* "http(s)://host:port", NULL-terminated, >= 1 */
	size_t n_endpoints;
	char *user;       /* NULL = no auth */
	char *password;   /* read from password_file at init */
	char *password_file; /* read again at each authentication */
	char *instance;   /* "publishers[1]": names the state file, keys remembered passwords */
	char *ca_file, *cert_file, *key_file;
	long timeout_ms;         /* one request, whole */
	long connect_timeout_ms; /* one connection attempt */
};

int etcd_settings_parse(const struct bh_init *args, struct etcd_settings *out);
void etcd_settings_free(struct etcd_settings *s);
/* password_file's first line (malloc'd), or NULL and *why (malloc'd). */
char *etcd_read_password_file(const char *path, char **why);

#endif
