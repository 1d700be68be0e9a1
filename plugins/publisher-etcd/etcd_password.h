/*
 * Which password publisher-etcd authenticates with (etcd_password.c).
 */
#ifndef BH_ETCD_PASSWORD_H
#define BH_ETCD_PASSWORD_H

#include <stdbool.h>

#include <beachhead/plugin.h>

#include "etcd_config.h"

/* Which password an authentication sends (etcd_password.c): password_file
 * as it is now, unless etcd refused exactly that and accepted another one
 * earlier (before a SIGHUP, in this process): then that one, with one error
 * saying so.  A password etcd refuses never replaces one it accepts. */
struct etcd_password;
struct etcd_password *etcd_password_new(const struct bh_host_api *api, struct bh_host *host,
					const struct etcd_settings *settings);
/* Reads password_file again; NULL only when out of memory. */
const char *etcd_password_choose(struct etcd_password *pw);
/* etcd's answer to the chosen password.  True: another password is worth
 * trying at once (the one accepted before). */
bool etcd_password_verdict(struct etcd_password *pw, bool accepted, const char *error);
void etcd_password_free(struct etcd_password *pw);

#endif
