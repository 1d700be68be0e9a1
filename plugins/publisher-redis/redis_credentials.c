/* See redis_credentials.h. */
#include "config.h"

#include "redis_config.h"
#include "redis_credentials.h"

#include <stdlib.h>
#include <string.h>

struct accepted {
	char *instance, *user, *password;
	struct accepted *next;
};

/* The daemon is single-threaded: plain statics. */
static struct accepted *accepted_list;
static unsigned holders;

static void free_entry(struct accepted *a)
{
	free(a->instance);
	free(a->user);
	redis_free_secret(a->password);
	free(a);
}

void redis_credentials_hold(void)
{
	holders++;
}

void redis_credentials_release(void)
{
	if (holders > 0 && --holders > 0)
		return;
	while (accepted_list) {
		struct accepted *a = accepted_list;
		accepted_list = a->next;
		free_entry(a);
	}
}

static struct accepted *find(const char *instance)
{
	for (struct accepted *a = accepted_list; a; a = a->next)
		if (strcmp(a->instance, instance) == 0)
			return a;
	return NULL;
}

void redis_credentials_accepted(const char *instance, const char *user, const char *password)
{
	struct accepted *a = calloc(1, sizeof *a);
	if (!a)
		return; /* only the fallback is lost */
	a->instance = strdup(instance);
	a->user = user ? strdup(user) : NULL;
	a->password = strdup(password);
	if (!a->instance || (user && !a->user) || !a->password) {
		free_entry(a);
		return;
	}
	struct accepted *old = find(instance);
	if (old) {
		/* Replace in place: the list keeps its order. */
		struct accepted *next = old->next;
		free(old->instance);
		free(old->user);
		redis_free_secret(old->password);
		*old = *a;
		old->next = next;
		free(a);
		return;
	}
	a->next = accepted_list;
	accepted_list = a;
}

const char *redis_credentials_previous(const char *instance, const char **user)
{
	struct accepted *a = find(instance);
	*user = a ? a->user : NULL;
	return a ? a->password : NULL;
}
