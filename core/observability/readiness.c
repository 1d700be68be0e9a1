#include "config.h"

#include "readiness.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned long seconds_since(uint64_t then_ms, uint64_t now_ms)
{
	return now_ms > then_ms ? (unsigned long)((now_ms - then_ms) / 1000u) : 0ul;
}

/* NAME: failed: STATUS (since N s[; last warning: TEXT]): the warning
 * only when the plugin logged it since the connection went down (it says
 * why, e.g. "connect: Connection refused", where the status is short). */
static void write_failure(FILE *out, const char *name, const struct plugin_instance *inst,
			  uint64_t down_since_ms, uint64_t now_ms)
{
	bool recent = inst->last_warning && inst->last_warning_ms >= down_since_ms;
	fprintf(out, "%s: failed: %s (since %lu s%s%s)\n", name ? name : "?",
		inst->status ? inst->status : "not connected", seconds_since(down_since_ms, now_ms),
		recent ? "; last warning: " : "", recent ? inst->last_warning : "");
}

/* One plugin's connection, as its gauge says. */
static bool check_connected(FILE *out, const struct plugin_instance *inst,
			    const struct metrics_registry *reg, const char *gauge, uint64_t now_ms)
{
	char *name = plugin_instance_label(inst);
	const struct metric_handle *h = metrics_find_owned(reg, inst, gauge);
	bool ok = !h || metric_value(h) >= 1;
	if (!h)
		fprintf(out, "%s: ok (does not report its connection)\n", name ? name : "?");
	else if (ok)
		fprintf(out, "%s: ok\n", name ? name : "?");
	else
		write_failure(out, name, inst, metric_changed_ms(h), now_ms);
	free(name);
	return ok;
}

static bool check_passes(FILE *out, const struct registrations *r, const struct settings *settings,
			 uint64_t now_ms)
{
	unsigned refresh = settings->refresh;
	uint64_t last = r->last_complete_pass_end_ms;
	uint64_t limit_ms = 2000u * (uint64_t)refresh;
	if (last == 0) {
		fprintf(out, "full pass: failed: none completed yet%s\n",
			r->pass_running ? " (one is running)" : "");
		return false;
	}
	if (settings->run_mode == RUN_MODE_SERVICE && now_ms - last > limit_ms) {
		fprintf(out, "full pass: failed: the last complete one ended %lu s ago, more than 2 x "
			     "refresh (%u s)\n",
			seconds_since(last, now_ms), 2u * refresh);
		return false;
	}
	fprintf(out, "full pass: ok (last complete %lu s ago)\n", seconds_since(last, now_ms));
	return true;
}

char *readiness_report(const struct plugin_set *set, const struct registrations *r,
		       const struct metrics_registry *reg, uint64_t now_ms, size_t *len,
		       bool *ready)
{
	char *text = NULL;
	*len = 0;
	FILE *out = open_memstream(&text, len);
	if (!out)
		return NULL;
	bool ok = check_connected(out, &set->inspector, reg, "beachhead_engine_connected", now_ms);
	ok = check_passes(out, r, set->settings, now_ms) && ok;
	for (size_t i = 0; i < set->n_publishers; i++)
		ok = check_connected(out, &set->publishers[i], reg, "beachhead_publisher_connected",
				     now_ms) && ok;
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	*ready = ok;
	return text;
}
