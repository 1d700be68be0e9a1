#include "config.h"

#include "observability.h"

#include <string.h>

#include "log.h"
#include "mhd_library.h"
#include "readiness.h"

int observability_init(struct observability *o, const struct settings *st,
		       const struct registrations *r, struct plugin_set *const *set)
{
	memset(o, 0, sizeof *o);
	o->registrations = r;
	o->set = set;
	if (!st->metrics_listen)
		return 0;
	if (!(o->reg = metrics_registry_new())) {
		log_error("metrics: out of memory");
		return -1;
	}
	return core_metrics_init(&o->core, o->reg);
}

static char *on_metrics(void *arg, size_t *len)
{
	struct observability *o = arg;
	return core_metrics_render(&o->core, o->registrations, len);
}

static char *on_readiness(void *arg, size_t *len, bool *ready)
{
	struct observability *o = arg;
	return readiness_report(*o->set, o->registrations, o->reg, loop_now_ms(), len, ready);
}

int observability_listen(struct observability *o, struct loop *loop, const struct settings *st)
{
	if (!o->reg)
		return 0;
	const struct http_routes routes = {on_metrics, on_readiness, o};
	if (!(o->http = http_endpoint_start(loop, &st->metrics_address, &routes)))
		return -1;
	char where[80];
	listen_address_format(&st->metrics_address, http_endpoint_port(o->http), where, sizeof where);
	log_info("metrics: serving /metrics, /healthz and /readyz on http://%s", where);
	if (!listen_address_is_loopback(&st->metrics_address))
		log_info("metrics: %s is not a loopback address: anyone who can reach this host on "
			 "port %u can read the metrics and readiness (container names are not in "
			 "them; restrict it with a firewall, or use 127.0.0.1)",
			 where, http_endpoint_port(o->http));
	return 0;
}

void observability_set_started(struct observability *o, struct plugin_set *set)
{
	if (!o->reg)
		return;
	core_metrics_add_publishers(&o->core, set);
	/* What the previous set held and this one did not take again. */
	metrics_sweep(o->reg);
}

void observability_pass_finished(struct observability *o)
{
	if (o->reg)
		core_metrics_pass_finished(&o->core, o->registrations);
}

void observability_stop(struct observability *o)
{
	http_endpoint_stop(o->http);
	o->http = NULL;
}

void observability_free(struct observability *o)
{
	observability_stop(o);
	metrics_registry_free(o->reg);
	o->reg = NULL;
	mhd_library_unload();
}
