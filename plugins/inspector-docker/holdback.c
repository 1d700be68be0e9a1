/*
 * Containers that run but are held back from registration:
 *
 * Draining.  `docker stop` sends the container's stop signal (its
 * Config.StopSignal, SIGTERM by default), waits up to the stop timeout, then
 * sends SIGKILL; the engine reports each as a `kill` event with the signal
 * number, and `die` only when the process is gone.  Withdrawing at `die`
 * lets the proxy send requests to a container that is shutting down for
 * the whole grace period, so the registration is withdrawn at the `kill`
 * event that carries the stop signal or SIGKILL.  Other signals (`docker
 * kill -s HUP` to reload) withdraw nothing.  While the grace period runs
 * (Config.StopTimeout, default 10 s) inspections of that container do not
 * register it again; a container that survives its stop signal is
 * registered by the first complete pass after that.
 *
 * Unhealthy.  With skip_unhealthy a container whose health is not
 * "healthy" is not registered; that is logged once per change of its
 * health state, not once per pass.
 *
 * Only containers with a non-default stop signal or timeout, draining
 * containers and held-back unhealthy ones are remembered: a host of
 * ordinary containers keeps these tables empty.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <beachhead/sdk.h>

#include "docker_metrics.h"
#include "holdback.h"

/* The engine's default grace period between the stop signal and SIGKILL. */
#define DEFAULT_STOP_TIMEOUT_S 10
/* Entries kept per table; beyond that (events lost under churn) the table
 * is forgotten rather than grown: at worst a drain or a note repeats. */
#define MAX_ENTRIES 4096

struct stop_entry {
	char *id;
	int stop_signo;          /* 0 = SIGTERM, the default */
	long stop_timeout_s;     /* <= 0: the default */
	uint64_t draining_until; /* loop ms; 0 = not draining */
};

struct health_entry {
	char *name;
	char *health;
};

static const struct {
	const char *name;
	int signo;
} signal_names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGABRT},    {"BUS", SIGBUS},
	{"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
	{"STKFLT", 16},    {"CHLD", SIGCHLD},     {"CONT", SIGCONT},   {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
	{"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
	{"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGIO},     {"PWR", SIGPWR},
	{"SYS", SIGSYS},
};

/* The engine's numbering of the real-time signals (moby's signal map). */
#define ENGINE_SIGRTMIN 34
#define ENGINE_SIGRTMAX 64

/* "SIGTERM", "term", "15", "SIGRTMIN+3" -> number; 0 when unknown. */
int holdback_parse_signal(const char *text)
{
	if (!text || !*text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (*end == '\0')
		return n > 0 && n <= ENGINE_SIGRTMAX ? (int)n : 0;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (strcasecmp(text, signal_names[i].name) == 0)
			return signal_names[i].signo;
	int base = strncasecmp(text, "RTMIN", 5) == 0 ? ENGINE_SIGRTMIN
		   : strncasecmp(text, "RTMAX", 5) == 0 ? ENGINE_SIGRTMAX
							: 0;
	if (!base)
		return 0;
	text += 5;
	if (!*text)
		return base;
	n = strtol(text, &end, 10);
	if (*end || n == 0)
		return 0;
	n = base + n;
	return n >= ENGINE_SIGRTMIN && n <= ENGINE_SIGRTMAX ? (int)n : 0;
}

static struct stop_entry *find_stop(struct holdback *h, const char *id)
{
	for (size_t i = 0; id && i < h->n_stops; i++)
		if (strcmp(h->stops[i].id, id) == 0)
			return &h->stops[i];
	return NULL;
}

static void drop_stop(struct holdback *h, struct stop_entry *e)
{
	free(e->id);
	*e = h->stops[--h->n_stops];
}

static void clear_stops(struct holdback *h)
{
	for (size_t i = 0; i < h->n_stops; i++)
		free(h->stops[i].id);
	h->n_stops = 0;
}

static struct stop_entry *add_stop(struct holdback *h, const char *id)
{
	if (h->n_stops >= MAX_ENTRIES)
		clear_stops(h);
	struct stop_entry *grown = realloc(h->stops, (h->n_stops + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	h->stops = grown;
	struct stop_entry *e = &grown[h->n_stops];
	*e = (struct stop_entry){.id = strdup(id), .stop_timeout_s = -1};
	if (!e->id)
		return NULL;
	h->n_stops++;
	return e;
}

void holdback_note_inspect(struct holdback *h, const struct dk_container *c)
{
	if (!c->id)
		return;
	int signo = holdback_parse_signal(c->stop_signal);
	if (signo == SIGTERM)
		signo = 0;
	struct stop_entry *e = find_stop(h, c->id);
	if (!e) {
		if (!signo && c->stop_timeout_s <= 0)
			return; /* the defaults: nothing to remember */
		if (!(e = add_stop(h, c->id)))
			return;
	}
	e->stop_signo = signo;
	e->stop_timeout_s = c->stop_timeout_s;
}

bool holdback_draining(struct holdback *h, const char *id)
{
	struct stop_entry *e = find_stop(h, id);
	if (!e || !e->draining_until)
		return false;
	if (h->api->now_ms(h->host) < e->draining_until)
		return true;
	e->draining_until = 0; /* it survived its grace period */
	return false;
}

int holdback_on_kill(struct holdback *h, const struct dk_event *ev)
{
	if (!h->drain || !ev->id)
		return 0;
	int signo = holdback_parse_signal(ev->signal);
	struct stop_entry *e = find_stop(h, ev->id);
	int stop_signo = e && e->stop_signo ? e->stop_signo : SIGTERM;
	if (signo != stop_signo && signo != SIGKILL)
		return 0; /* a reload or a user signal: the container goes on */
	long timeout_s = e && e->stop_timeout_s > 0 ? e->stop_timeout_s : DEFAULT_STOP_TIMEOUT_S;
	if (!e)
		e = add_stop(h, ev->id);
	if (e)
		/* One second more: SIGKILL and the die event follow the timeout. */
		e->draining_until = h->api->now_ms(h->host) + (uint64_t)(timeout_s + 1) * 1000u;
	return signo;
}

static struct health_entry *find_health(struct holdback *h, const char *name)
{
	for (size_t i = 0; i < h->n_healths; i++)
		if (strcmp(h->healths[i].name, name) == 0)
			return &h->healths[i];
	return NULL;
}

static void drop_health(struct holdback *h, struct health_entry *e)
{
	free(e->name);
	free(e->health);
	*e = h->healths[--h->n_healths];
}

static bool unhealthy_is_news(struct holdback *h, const char *name, const char *health)
{
	struct health_entry *e = find_health(h, name);
	if (e && strcmp(e->health, health) == 0)
		return false;
	char *copy = strdup(health);
	if (!copy)
		return true;
	if (e) {
		free(e->health);
		e->health = copy;
		return true;
	}
	if (h->n_healths >= MAX_ENTRIES)
		while (h->n_healths)
			drop_health(h, &h->healths[0]);
	struct health_entry *grown = realloc(h->healths, (h->n_healths + 1) * sizeof *grown);
	char *name_copy = strdup(name);
	if (!grown || !name_copy) {
		free(copy);
		free(name_copy);
		if (grown)
			h->healths = grown;
		return true;
	}
	h->healths = grown;
	grown[h->n_healths++] = (struct health_entry){name_copy, copy};
	return true;
}

void holdback_unhealthy(struct holdback *h, const struct dk_container *c)
{
	bool news = unhealthy_is_news(h, c->name, c->health);
	docker_metrics_unhealthy(h->metrics, h->n_healths);
	h->api->log(h->host, news ? BH_LOG_INFO : BH_LOG_DEBUG,
		     "container %s: not registered while its health is '%s' (skip_unhealthy)", c->name,
		     c->health);
	char *why = bh_strfmt("health is '%s' (skip_unhealthy)", c->health);
	/* By id: the name may already belong to another container. */
	if (c->id)
		h->api->container_gone(h->host, c->id, c->name, why ? why : "not healthy");
	else
		h->api->container_down(h->host, c->name, why ? why : "not healthy");
	free(why);
}

void holdback_process_ended(struct holdback *h, const char *id)
{
	struct stop_entry *e = find_stop(h, id);
	if (!e)
		return;
	e->draining_until = 0; /* a restart registers at once */
	if (!e->stop_signo && e->stop_timeout_s <= 0)
		drop_stop(h, e); /* only there for the drain */
}

void holdback_healthy(struct holdback *h, const char *name)
{
	struct health_entry *e = find_health(h, name);
	if (e)
		drop_health(h, e);
	docker_metrics_unhealthy(h->metrics, h->n_healths);
}

void holdback_forget(struct holdback *h, const char *id, const char *name)
{
	struct stop_entry *s = find_stop(h, id);
	if (s)
		drop_stop(h, s);
	struct health_entry *e = name ? find_health(h, name) : NULL;
	if (e)
		drop_health(h, e);
	docker_metrics_unhealthy(h->metrics, h->n_healths);
}

void holdback_init(struct holdback *h, const struct bh_host_api *api, struct bh_host *host,
		   struct docker_metrics *metrics, bool drain)
{
	*h = (struct holdback){.api = api, .host = host, .metrics = metrics, .drain = drain};
}

void holdback_free(struct holdback *h)
{
	clear_stops(h);
	free(h->stops);
	h->stops = NULL;
	while (h->n_healths)
		drop_health(h, &h->healths[0]);
	free(h->healths);
	h->healths = NULL;
}
