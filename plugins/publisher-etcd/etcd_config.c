/*
 * The plugin's libconfig group:
 *
 *   { plugin = "publisher-etcd";
 *     endpoints = [ "http://10.0.0.1:2379", "http://10.0.0.2:2379" ];  (required)
 *     user = "beachhead"; password_file = "/etc/beachhead/etcd.password";
 *     ca_file = "..."; cert_file = "..."; key_file = "...";   (https endpoints)
 *     timeout_ms = 2000; connect_timeout_ms = 1000; }
 *
 * Every bad setting is reported (file:line) in one run.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "etcd_config.h"

#define DEFAULT_TIMEOUT_MS 2000L
#define DEFAULT_CONNECT_TIMEOUT_MS 1000L
#define MAX_TIMEOUT_MS 600000ull
/* A password file holds one line; anything bigger is the wrong file. */
#define MAX_PASSWORD_BYTES 4096u

static void read_endpoints(struct bh_config *cfg, const config_setting_t *s, struct etcd_settings *out)
{
	int n = config_setting_length(s);
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		bh_config_error(cfg, s, "'endpoints' must be a list of URLs: [ \"http://127.0.0.1:2379\" ]");
		return;
	}
	if (n == 0) {
		bh_config_error(cfg, s, "'endpoints' is empty");
		return;
	}
	out->endpoints = calloc((size_t)n + 1, sizeof *out->endpoints);
	if (!out->endpoints) {
		bh_config_error(cfg, s, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *url = config_setting_get_string(e);
		if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
		    !url[strncmp(url, "http://", 7) == 0 ? 7 : 8]) {
			bh_config_error(cfg, e, "endpoints[%d] must be an http:// or https:// URL", i);
			continue;
		}
		char *copy = strdup(url);
		if (!copy) {
			bh_config_error(cfg, e, "out of memory");
			continue;
		}
		/* Paths are appended: no trailing '/'. */
		for (size_t len = strlen(copy); len > 0 && copy[len - 1] == '/'; len--)
			copy[len - 1] = '\0';
		out->endpoints[out->n_endpoints++] = copy;
	}
}

/* The first line of the file, without its newline; NULL with *why set
 * (malloc'd) when it cannot be read. */
char *etcd_read_password_file(const char *path, char **why)
{
	*why = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		*why = bh_strfmt("cannot read password_file %s: %s", path, strerror(errno));
		return NULL;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0 || (size_t)n > MAX_PASSWORD_BYTES) {
		if (line)
			memset(line, 0, cap);
		free(line);
		*why = bh_strfmt("password_file %s: %s", path,
				 n < 0 ? "empty" : "longer than one line of 4096 bytes");
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static void read_password(struct bh_config *cfg, const config_setting_t *s, const char *path,
			  struct etcd_settings *out)
{
	char *why = NULL;
	char *line = etcd_read_password_file(path, &why);
	if (!line) {
		bh_config_error(cfg, s, "%s", why ? why : "out of memory");
		free(why);
		return;
	}
	free(out->password);
	out->password = line;
}

static void read_timeout(struct bh_config *cfg, const config_setting_t *s, long *out)
{
	unsigned long long v = 0;
	if (bh_config_uint(cfg, s, 1, MAX_TIMEOUT_MS, &v) == 0)
		*out = (long)v;
}

int etcd_settings_parse(const struct bh_init *args, struct etcd_settings *out)
{
	struct bh_config cfg = bh_config_begin(args);
	const config_setting_t *password_at = NULL, *user_at = NULL;
	char *password_file = NULL;
	memset(out, 0, sizeof *out);
	out->timeout_ms = DEFAULT_TIMEOUT_MS;
	out->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	for (int i = 0; i < config_setting_length(args->config); i++) {
		const config_setting_t *s = config_setting_get_elem(args->config, (unsigned)i);
		if (bh_config_is(s, "plugin"))
			continue;
		else if (bh_config_is(s, "endpoints"))
			read_endpoints(&cfg, s, out);
		else if (bh_config_is(s, "user")) {
			user_at = s;
			(void)bh_config_string(&cfg, s, &out->user);
		} else if (bh_config_is(s, "password_file")) {
			password_at = s;
			(void)bh_config_string(&cfg, s, &password_file);
		} else if (bh_config_is(s, "ca_file"))
			(void)bh_config_string(&cfg, s, &out->ca_file);
		else if (bh_config_is(s, "cert_file"))
			(void)bh_config_string(&cfg, s, &out->cert_file);
		else if (bh_config_is(s, "key_file"))
			(void)bh_config_string(&cfg, s, &out->key_file);
		else if (bh_config_is(s, "timeout_ms"))
			read_timeout(&cfg, s, &out->timeout_ms);
		else if (bh_config_is(s, "connect_timeout_ms"))
			read_timeout(&cfg, s, &out->connect_timeout_ms);
		else
			bh_config_unknown(&cfg, s);
	}
	if (!out->endpoints && !config_setting_get_member(args->config, "endpoints"))
		bh_config_missing(&cfg, "endpoints", "the etcd cluster: [ \"http://127.0.0.1:2379\" ]");
	if (out->user && !out->user[0])
		bh_config_error(&cfg, user_at, "'user' must not be empty");
	if (out->user && !password_file)
		bh_config_error(&cfg, user_at, "'user' needs 'password_file'");
	if (password_file && !out->user)
		bh_config_error(&cfg, password_at, "'password_file' needs 'user'");
	if (password_file && out->user)
		read_password(&cfg, password_at, password_file, out);
	out->password_file = password_file;
	password_file = NULL;
	if (!(out->instance = strdup(args->instance ? args->instance : "publisher-etcd")))
		bh_config_error(&cfg, NULL, "out of memory");
	if ((out->cert_file != NULL) != (out->key_file != NULL))
		bh_config_error(&cfg, NULL, "'cert_file' and 'key_file' go together");
	free(password_file);
	if (bh_config_end(&cfg) != BH_OK) {
		etcd_settings_free(out);
		return BH_ERR;
	}
	return BH_OK;
}

void etcd_settings_free(struct etcd_settings *s)
{
	for (size_t i = 0; i < s->n_endpoints; i++)
		free(s->endpoints[i]);
	free(s->endpoints);
	free(s->user);
	if (s->password)
		memset(s->password, 0, strlen(s->password));
	free(s->password);
	free(s->password_file);
	free(s->instance);
	free(s->ca_file);
	free(s->cert_file);
	free(s->key_file);
	memset(s, 0, sizeof *s);
}
