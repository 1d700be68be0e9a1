/*
 * inspector-scripted: a TEST-ONLY stand-in for a container engine.  It drives
 * the real core loop from a script file so that tests can make containers
 * appear, change and disappear deterministically, without Docker.
 *
 * Settings:  script = "/path/to/file";   (required)
 *            report_in_init = true;     misbehaves: reports a container
 *                                       "early" (early.example) and a pass
 *                                       from init(), which the core must ignore
 *            await_poll_ms = 1000;      how often `await` looks for its file
 *                                       (default 50; a benchmark that measures
 *                                       idle daemons wants them nearly idle)
 *
 * The script runs from start(), one line at a time; `wait` pauses on a core
 * timer.  The plugin keeps a "world" of running containers; every full pass
 * the core asks for (resync) reports that world, like a real engine would.
 *
 *   up NAME ADDRESS [SPECS...]      container runs (enumerated); SPECS = rest of line;
 *                                   NAME@ID also reports an engine id
 *   labeled NAME ADDRESS K=V [SPECS...]  same, with one label
 *   exists NAME ADDRESS [SPECS...]  runs since before the daemon: no event, only
 *                                   passes report it
 *   named NAME ADDRESS [SPECS...]   same, but named explicitly
 *   novar NAME ADDRESS              runs without the variable (enumerated)
 *   novar-named NAME ADDRESS        same, named explicitly
 *   down NAME                       stops (event reported)
 *   vanish NAME                     stops, event lost (only a pass notices)
 *   missing NAME                    explicitly named container not found
 *   gone NAME ID                    container ID went away (container_gone, ABI 1.2)
 *   unreadable NAME                 passes cannot read it: container_keep, not up
 *   resync                          a full pass now
 *   error TEXT                      report_error(TEXT)
 *   wait MS                         pause
 *   await PATH                      pause until the file PATH exists (the test's cue)
 *   # comment, blank lines ignored
 *
 * Built a third time with SCRIPTED_ABI_1_2 as inspector-scripted-abi12: an
 * inspector of ABI 1.2, from before the metrics functions of 1.3 (it calls
 * none; the core must serve its metrics without it).
 *
 * Built a second time with SCRIPTED_ABI_1_1 as inspector-scripted-abi11: an
 * inspector of ABI 1.1 (shorter container reports; its scripts must not use
 * the 1.2 commands gone and unreadable).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <beachhead/plugin.h>

struct world_container {
	char *name;
	char *address;
	char *specs; /* NULL = no variable */
	char *label; /* "key=value" or NULL */
	char *id;    /* NULL = not given */
	bool unreadable;
	bool named;
	struct world_container *next;
};

struct scripted {
	const struct bh_host_api *api;
	struct bh_host *host;
	char *script_path;
	FILE *script;
	unsigned line_no;
	struct bh_timer *wait_timer;
	struct world_container *world;
	unsigned await_poll_ms;
};

static void world_remove(struct scripted *s, const char *name)
{
	for (struct world_container **link = &s->world; *link; link = &(*link)->next) {
		if (strcmp((*link)->name, name) == 0) {
			struct world_container *c = *link;
			*link = c->next;
			free(c->name);
			free(c->address);
			free(c->specs);
			free(c->label);
			free(c->id);
			free(c);
			return;
		}
	}
}

static void report_container(struct scripted *s, const struct world_container *c)
{
	const char *labels[] = {c->label, NULL};
	struct bh_container info = {
		.size = sizeof info,
		.name = c->name,
		.id = c->id,
		.address = c->address,
		.specs = c->specs,
		.spec_source = "env BEACHHEAD_DOMAINS",
		.explicitly_named = c->named,
		.labels = labels,
	};
#ifdef SCRIPTED_ABI_1_1
	/* Built as an ABI 1.1 inspector reports: the struct ends at created_ns,
	 * in a block of exactly that size, so that a core reading a 1.2 field
	 * (the port bindings) reads past it (AddressSanitizer catches that). */
	struct bh_container *old = malloc(BH_CONTAINER_SIZE_1_1);
	if (!old)
		return;
	info.size = BH_CONTAINER_SIZE_1_1;
	memcpy(old, &info, BH_CONTAINER_SIZE_1_1);
	s->api->container_up(s->host, old);
	free(old);
#else
	s->api->container_up(s->host, &info);
#endif
}

static int world_up(struct scripted *s, const char *name, const char *address, const char *specs,
		    const char *label, bool named, bool event)
{
	char *at = strchr(name, '@');
	if (at)
		*at = '\0';
	world_remove(s, name);
	struct world_container *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->name = strdup(name);
	c->address = strdup(address);
	c->specs = specs ? strdup(specs) : NULL;
	c->label = label ? strdup(label) : NULL;
	c->id = at ? strdup(at + 1) : NULL;
	c->named = named;
	if (!c->name || !c->address || (specs && !c->specs) || (label && !c->label) ||
	    (at && !c->id)) {
		free(c->label);
		free(c->id);
		free(c->name);
		free(c->address);
		free(c->specs);
		free(c);
		return -1;
	}
	c->next = s->world;
	s->world = c;
	if (event)
		report_container(s, c);
	return 0;
}

static int scripted_resync(void *self)
{
	struct scripted *s = self;
	s->api->pass_begin(s->host);
	for (struct world_container *c = s->world; c; c = c->next) {
		if (c->unreadable)
			s->api->container_keep(s->host, c->id, c->name);
		else
			report_container(s, c);
	}
	s->api->pass_end(s->host, 1);
	return BH_OK;
}

/* Splits off the next space-separated word; returns NULL at the end. */
static char *next_word(char **cursor)
{
	char *p = *cursor + strspn(*cursor, " \t");
	if (*p == '\0')
		return NULL;
	char *end = p + strcspn(p, " \t");
	if (*end) {
		*end = '\0';
		end++;
	}
	*cursor = end;
	return p;
}

/* Polling interval of `await`. */
#define AWAIT_POLL_MS 50
#define AGAIN (-2)

/* Executes one line; returns a wait in ms (>0), 0 to go on, -1 on error,
 * AGAIN to run the same line again after the await poll interval. */
static long run_line(struct scripted *s, char *line)
{
	line[strcspn(line, "\r\n")] = '\0';
	char *cursor = line;
	char *verb = next_word(&cursor);
	if (!verb || verb[0] == '#')
		return 0;
	char *rest = cursor + strspn(cursor, " \t");
	if (strcmp(verb, "wait") == 0)
		return strtol(rest, NULL, 10) > 0 ? strtol(rest, NULL, 10) : 0;
	if (strcmp(verb, "await") == 0)
		return access(rest, F_OK) == 0 ? 0 : AGAIN;
	if (strcmp(verb, "resync") == 0)
		return scripted_resync(s) == BH_OK ? 0 : -1;
	if (strcmp(verb, "error") == 0) {
		s->api->report_error(s->host, NULL, "%s", rest);
		return 0;
	}
	char *name = next_word(&cursor);
	if (!name)
		return -1;
	if (strcmp(verb, "down") == 0 || strcmp(verb, "vanish") == 0 || strcmp(verb, "missing") == 0) {
		world_remove(s, name);
		if (verb[0] == 'd')
			s->api->container_down(s->host, name, "script: down");
		else if (verb[0] == 'm')
			s->api->container_missing(s->host, name, "script: missing");
		return 0;
	}
	if (strcmp(verb, "unreadable") == 0) {
		for (struct world_container *c = s->world; c; c = c->next)
			if (strcmp(c->name, name) == 0)
				c->unreadable = true;
		return 0;
	}
	char *address = next_word(&cursor);
	if (!address)
		return -1;
	if (strcmp(verb, "gone") == 0) {
		/* address is the id here */
		for (struct world_container *c = s->world; c; c = c->next)
			if (strcmp(c->name, name) == 0 && c->id && strcmp(c->id, address) == 0) {
				world_remove(s, name);
				break;
			}
		s->api->container_gone(s->host, address, name, "script: gone");
		return 0;
	}
	char *label = strcmp(verb, "labeled") == 0 ? next_word(&cursor) : NULL;
	char *specs = cursor + strspn(cursor, " \t");
	if (strcmp(verb, "up") == 0 || strcmp(verb, "named") == 0 || strcmp(verb, "exists") == 0 ||
	    (label && strcmp(verb, "labeled") == 0))
		return world_up(s, name, address, specs, label, verb[0] == 'n', verb[0] != 'e');
	if (strcmp(verb, "novar") == 0 || strcmp(verb, "novar-named") == 0)
		return world_up(s, name, address, NULL, NULL, strcmp(verb, "novar-named") == 0, true);
	return -1;
}

static void run_script(void *arg)
{
	struct scripted *s = arg;
	char *line = NULL;
	size_t cap = 0;
	long at = s->script ? ftell(s->script) : -1;
	while (s->script && getline(&line, &cap, s->script) >= 0) {
		s->line_no++;
		long wait_ms = run_line(s, line);
		if (wait_ms == AGAIN && at >= 0 && fseek(s->script, at, SEEK_SET) == 0) {
			s->line_no--;
			wait_ms = s->await_poll_ms;
		}
		at = ftell(s->script);
		if (wait_ms < 0) {
			s->api->report_error(s->host, NULL, "%s:%u: bad script line", s->script_path,
					     s->line_no);
			continue;
		}
		if (wait_ms > 0) {
			if (s->api->timer_arm(s->host, s->wait_timer, (uint64_t)wait_ms) != BH_OK)
				s->api->report_error(s->host, NULL, "cannot arm the wait timer");
			free(line);
			return;
		}
	}
	free(line);
	if (s->script) {
		fclose(s->script);
		s->script = NULL;
		s->api->log(s->host, BH_LOG_DEBUG, "script %s finished", s->script_path);
	}
}

static int scripted_init(const struct bh_init *args, void **self)
{
	const char *path = NULL;
	int report_in_init = 0;
	int await_poll_ms = AWAIT_POLL_MS;
	config_setting_t *group = (config_setting_t *)args->config;
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(st);
		if (strcmp(name, "script") == 0 && config_setting_type(st) == CONFIG_TYPE_STRING) {
			path = config_setting_get_string(st);
		} else if (strcmp(name, "report_in_init") == 0 && config_setting_type(st) == CONFIG_TYPE_BOOL) {
			report_in_init = config_setting_get_bool(st);
		} else if (strcmp(name, "await_poll_ms") == 0 && config_setting_type(st) == CONFIG_TYPE_INT &&
			   config_setting_get_int(st) > 0) {
			await_poll_ms = config_setting_get_int(st);
		} else if (strcmp(name, "plugin") != 0) {
			const char *file = config_setting_source_file(st);
			args->api->log(args->host, BH_LOG_ERROR, "%s:%u: %s: unknown or bad setting '%s'",
				       file ? file : args->config_file, config_setting_source_line(st),
				       args->instance, name);
			return BH_ERR;
		}
	}
	if (!path) {
		args->api->log(args->host, BH_LOG_ERROR, "%s: %s: 'script' is required",
			       args->config_file, args->instance);
		return BH_ERR;
	}
	struct scripted *s = calloc(1, sizeof *s);
	if (!s || !(s->script_path = strdup(path))) {
		free(s);
		return BH_ERR;
	}
	s->api = args->api;
	s->host = args->host;
	s->await_poll_ms = (unsigned)await_poll_ms;
	*self = s;
	if (report_in_init) {
		char name[] = "early", address[] = "10.0.0.9", specs[] = "early.example";
		struct world_container early = {.name = name, .address = address, .specs = specs};
		s->api->pass_begin(s->host);
		report_container(s, &early);
		s->api->pass_end(s->host, 1);
	}
	return BH_OK;
}

static int scripted_start(void *self)
{
	struct scripted *s = self;
	s->script = fopen(s->script_path, "r");
	if (!s->script) {
		s->api->log(s->host, BH_LOG_ERROR, "cannot open script %s: %s", s->script_path,
			    strerror(errno));
		return BH_ERR;
	}
	s->wait_timer = s->api->timer_new(s->host, run_script, s);
	if (!s->wait_timer)
		return BH_ERR;
	run_script(s);
	return BH_OK;
}

static void scripted_stop(void *self)
{
	struct scripted *s = self;
	if (s->wait_timer)
		s->api->timer_disarm(s->host, s->wait_timer);
}

static void scripted_destroy(void *self)
{
	struct scripted *s = self;
	if (s->wait_timer)
		s->api->timer_free(s->host, s->wait_timer);
	if (s->script)
		fclose(s->script);
	while (s->world)
		world_remove(s, s->world->name);
	free(s->script_path);
	free(s);
}

BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
#if defined(SCRIPTED_ABI_1_1)
	.abi_minor = 1,
	.struct_size = BH_PLUGIN_SIZE_1_1,
#elif defined(SCRIPTED_ABI_1_2)
	.abi_minor = 2,
	.struct_size = BH_PLUGIN_SIZE_1_2,
#else
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
#endif
	.kind = BH_PLUGIN_INSPECTOR,
	.name = "inspector-scripted",
	.version = PACKAGE_VERSION,
	.description = "test-only scripted container source",
	.init = scripted_init,
	.start = scripted_start,
	.stop = scripted_stop,
	.destroy = scripted_destroy,
	.resync = scripted_resync,
};
