/* See accepted_credentials.h. */
#include "config.h"

#include "accepted_credentials.h"

#include <stdlib.h>
#include <string.h>

struct accepted {
	char *id, *user, *password;
	struct accepted *next;
};

static struct accepted *accepted_list;
static unsigned holders;

void bh_secret_free(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

static void entry_free(struct accepted *a)
{
	free(a->id);
	free(a->user);
	bh_secret_free(a->password);
	free(a);
}

void bh_accepted_credentials_hold(void)
{
	holders++;
}

void bh_accepted_credentials_release(void)
{
	if (holders > 0 && --holders > 0)
		return;
	while (accepted_list) {
		struct accepted *a = accepted_list;
		accepted_list = a->next;
		entry_free(a);
	}
}

static struct accepted *find(const char *id)
{
	for (struct accepted *a = accepted_list; a; a = a->next)
		if (strcmp(a->id, id) == 0)
			return a;
	return NULL;
}

void bh_accepted_credentials_remember(const char *id, const char *user, const char *password)
{
	struct accepted *a = calloc(1, sizeof *a);
	if (!a)
		return;
	a->id = strdup(id);
	a->user = user ? strdup(user) : NULL;
	a->password = strdup(password);
	if (!a->id || (user && !a->user) || !a->password) {
		entry_free(a);
		return;
	}
	struct accepted *old = find(id);
	if (old) {
		/* Replace in place: the list keeps its order. */
		struct accepted *next = old->next;
		free(old->id);
		free(old->user);
		bh_secret_free(old->password);
		*old = *a;
		old->next = next;
		free(a);
		return;
	}
	a->next = accepted_list;
	accepted_list = a;
}

const char *bh_accepted_credentials_find(const char *id, const char **user)
{
	struct accepted *a = find(id);
	if (user)
		*user = a ? a->user : NULL;
	return a ? a->password : NULL;
}
