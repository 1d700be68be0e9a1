/*
 * Which password publisher-etcd authenticates with.
 *
 * password_file is read again before every authentication, so a password a
 * secret manager rotated takes effect at the next token (or the next
 * attempt after a refusal) without SIGHUP.
 *
 * A reload (SIGHUP) initialises the new plugin instance while the old one
 * still runs, in the same loaded module: the passwords etcd accepted are
 * remembered (common/accepted_credentials.c), per instance, user and
 * endpoints, for as long as an instance of the module lives (held from
 * init() to destroy(), so that a reload's new instance, initialised before
 * the old one goes, finds them).  When etcd refuses the file's password and
 * accepted another one before, that one is sent instead, and one error
 * says so: a rotation etcd does not know about yet, or a typo in the file,
 * never replaces a working link with a broken one.  A new password in the
 * file is tried again at every authentication and wins as soon as etcd
 * accepts it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/accepted_credentials.h"
#include "etcd_password.h"

struct etcd_password {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct etcd_settings *settings;
	char *id;        /* instance, user, endpoints */
	char *file;      /* password_file as last read */
	char *refused;   /* the file's password etcd refused last, or NULL */
	bool use_accepted;      /* the last choice was the remembered one */
	bool accepted_refused;  /* etcd refused the remembered one too */
	bool fallback_logged;
	bool unreadable_logged;
};

static char *make_id(const struct etcd_settings *s)
{
	char *id = bh_strfmt("%s\n%s", s->instance ? s->instance : "", s->user);
	for (size_t i = 0; id && i < s->n_endpoints; i++) {
		char *longer = bh_strfmt("%s\n%s", id, s->endpoints[i]);
		free(id);
		id = longer;
	}
	return id;
}

struct etcd_password *etcd_password_new(const struct bh_host_api *api, struct bh_host *host,
					const struct etcd_settings *settings)
{
	struct etcd_password *pw = calloc(1, sizeof *pw);
	if (!pw)
		return NULL;
	pw->api = api;
	pw->host = host;
	pw->settings = settings;
	pw->id = make_id(settings);
	pw->file = settings->password ? strdup(settings->password) : NULL;
	if (!pw->id || !pw->file) {
		free(pw->id);
		bh_secret_free(pw->file);
		free(pw);
		return NULL;
	}
	return pw;
}

static void reread(struct etcd_password *pw)
{
	if (!pw->settings->password_file)
		return;
	char *why = NULL;
	char *now = etcd_read_password_file(pw->settings->password_file, &why);
	if (!now) {
		/* Mid-rotation, or removed: the last one read stays. */
		if (!pw->unreadable_logged)
			pw->api->log(pw->host, BH_LOG_WARNING, "etcd: %s; using the password read before",
				     why ? why : "out of memory");
		pw->unreadable_logged = true;
		free(why);
		return;
	}
	pw->unreadable_logged = false;
	if (strcmp(now, pw->file) != 0) {
		pw->api->log(pw->host, BH_LOG_INFO, "etcd: password_file %s changed; authenticating with it",
			     pw->settings->password_file);
		pw->fallback_logged = false;
	}
	bh_secret_free(pw->file);
	pw->file = now;
}

const char *etcd_password_choose(struct etcd_password *pw)
{
	reread(pw);
	const char *accepted = bh_accepted_credentials_find(pw->id, NULL);
	pw->use_accepted = pw->refused && strcmp(pw->refused, pw->file) == 0 && accepted &&
			   strcmp(accepted, pw->file) != 0 && !pw->accepted_refused;
	return pw->use_accepted ? accepted : pw->file;
}

bool etcd_password_verdict(struct etcd_password *pw, bool accepted, const char *error)
{
	if (accepted && pw->use_accepted) {
		if (!pw->fallback_logged)
			pw->api->log(pw->host, BH_LOG_ERROR,
				     "etcd refuses the password in %s for user '%s'; still authenticating with "
				     "the previous password, which etcd accepts (set the new password in etcd "
				     "or correct the file)",
				     pw->settings->password_file, pw->settings->user);
		pw->fallback_logged = true;
		return false;
	}
	if (accepted) {
		bh_accepted_credentials_remember(pw->id, NULL, pw->file);
		bh_secret_free(pw->refused);
		pw->refused = NULL;
		pw->accepted_refused = false;
		return false;
	}
	if (pw->use_accepted) {
		pw->accepted_refused = true;
		return false;
	}
	bool first_refusal = !pw->refused || strcmp(pw->refused, pw->file) != 0;
	bh_secret_free(pw->refused);
	pw->refused = strdup(pw->file);
	const char *before = bh_accepted_credentials_find(pw->id, NULL);
	bool fallback = before && strcmp(before, pw->file) != 0 && !pw->accepted_refused;
	if (first_refusal)
		pw->api->log(pw->host, BH_LOG_DEBUG, "etcd refused the password in %s: %s%s",
			     pw->settings->password_file, error ? error : "?",
			     fallback ? "; trying the one it accepted before" : "");
	return fallback && first_refusal;
}

void etcd_password_free(struct etcd_password *pw)
{
	if (!pw)
		return;
	free(pw->id);
	bh_secret_free(pw->file);
	bh_secret_free(pw->refused);
	free(pw);
}
