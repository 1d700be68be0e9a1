/* See redis_credentials.h: publisher-redis's names for the shared store of
 * accepted credentials (common/accepted_credentials.c), keyed by instance. */
#include "config.h"

#include "redis_credentials.h"

#include "common/accepted_credentials.h"

void redis_credentials_hold(void)
{
	bh_accepted_credentials_hold();
}

void redis_credentials_release(void)
{
	bh_accepted_credentials_release();
}

void redis_credentials_accepted(const char *instance, const char *user, const char *password)
{
	bh_accepted_credentials_remember(instance, user, password);
}

const char *redis_credentials_previous(const char *instance, const char **user)
{
	return bh_accepted_credentials_find(instance, user);
}
