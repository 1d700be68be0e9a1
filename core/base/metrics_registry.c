#include "config.h"

#include "metrics_registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"

/* A few dozen families of a few series each: lists, in registration order
 * (which is also the order of the exposition). */
struct series {
	struct series *next;
	struct family *family;
	char *labels; /* rendered: a="x",b="y" (empty: none) */
	size_t refs;  /* handles on it */
	double value; /* counter, gauge; histogram: sum */
	uint64_t count;    /* histogram observations */
	uint64_t *buckets; /* histogram: per bound, not cumulative; [n_bounds] = +Inf */
	uint64_t changed_ms;
};

struct family {
	struct family *next;
	char *name;
	char *help;
	enum metric_type type;
	char *label_names; /* "a,b": the same for every series */
	double *bounds;
	size_t n_bounds;
	struct series *series;
};

struct metric_handle {
	struct metric_handle *next;
	struct series *series;
	const void *owner;
};

struct metrics_registry {
	struct family *families;
	struct metric_handle *handles;
};

const double metrics_default_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
					  0.25,  0.5,    1,     2.5,  5,     10};
const size_t metrics_default_n_buckets = sizeof metrics_default_buckets / sizeof(double);

struct metrics_registry *metrics_registry_new(void)
{
	return calloc(1, sizeof(struct metrics_registry));
}

static void free_series(struct series *s)
{
	free(s->labels);
	free(s->buckets);
	free(s);
}

static void free_family(struct family *f)
{
	while (f->series) {
		struct series *next = f->series->next;
		free_series(f->series);
		f->series = next;
	}
	free(f->name);
	free(f->help);
	free(f->label_names);
	free(f->bounds);
	free(f);
}

void metrics_registry_free(struct metrics_registry *reg)
{
	if (!reg)
		return;
	while (reg->handles) {
		struct metric_handle *next = reg->handles->next;
		free(reg->handles);
		reg->handles = next;
	}
	while (reg->families) {
		struct family *next = reg->families->next;
		free_family(reg->families);
		reg->families = next;
	}
	free(reg);
}

/* --- the format's rules --- */

bool metrics_valid_name(const char *name)
{
	if (!name || !name[0] || (name[0] >= '0' && name[0] <= '9'))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:") ==
	       strlen(name);
}

bool metrics_valid_label_name(const char *name)
{
	/* Names starting with __ are reserved for Prometheus itself. */
	return metrics_valid_name(name) && !strchr(name, ':') && strncmp(name, "__", 2) != 0;
}

void metrics_format_number(char *buf, size_t size, double v)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
	} else {
		/* The shortest of %.15g and %.17g that reads back the same:
		 * 0.1 stays "0.1", no value loses a bit. */
		snprintf(buf, size, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, size, "%.17g", v);
	}
}

/* Label values escape backslash, double quote and newline; help texts
 * backslash and newline (exposition format 0.0.4). */
static void write_escaped(FILE *out, const char *text, bool quote)
{
	for (const char *c = text; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (quote && *c == '"')
			fputs("\\\"", out);
		else
			fputc(*c, out);
	}
}

/* a="x",b="y" for the given labels, or NULL (bad name, no memory). */
static char *render_labels(const struct metric_label *labels, size_t n, bool histogram,
			   char **names, const char **error)
{
	char *text = NULL, *name_list = NULL;
	size_t len = 0, names_len = 0;
	FILE *out = open_memstream(&text, &len);
	FILE *names_out = open_memstream(&name_list, &names_len);
	bool ok = out && names_out;
	for (size_t i = 0; ok && i < n; i++) {
		if (!metrics_valid_label_name(labels[i].name) || !labels[i].value ||
		    (histogram && strcmp(labels[i].name, "le") == 0)) {
			*error = "invalid label name (or no value)";
			ok = false;
			break;
		}
		fprintf(out, "%s%s=\"", i ? "," : "", labels[i].name);
		write_escaped(out, labels[i].value, true);
		fputc('"', out);
		fprintf(names_out, "%s%s", i ? "," : "", labels[i].name);
	}
	if (out && fclose(out) != 0)
		ok = false;
	if (names_out && fclose(names_out) != 0)
		ok = false;
	if (!ok) {
		if (!*error)
			*error = "out of memory";
		free(text);
		free(name_list);
		return NULL;
	}
	*names = name_list;
	return text;
}

/* --- families and series --- */

static struct family *find_family(const struct metrics_registry *reg, const char *name)
{
	for (struct family *f = reg->families; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static bool same_bounds(const struct family *f, const double *bounds, size_t n)
{
	return f->n_bounds == n && (n == 0 || memcmp(f->bounds, bounds, n * sizeof(double)) == 0);
}

static bool valid_bounds(const double *bounds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
			return false;
	return true;
}

static struct family *new_family(struct metrics_registry *reg, enum metric_type type,
				 const char *name, const char *help, const char *label_names,
				 const double *bounds, size_t n_bounds)
{
	struct family *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->label_names = strdup(label_names);
	f->n_bounds = n_bounds;
	f->bounds = n_bounds ? malloc(n_bounds * sizeof(double)) : NULL;
	if (!f->name || !f->help || !f->label_names || (n_bounds && !f->bounds)) {
		free_family(f);
		return NULL;
	}
	if (n_bounds)
		memcpy(f->bounds, bounds, n_bounds * sizeof(double));
	struct family **tail = &reg->families;
	while (*tail)
		tail = &(*tail)->next;
	*tail = f;
	return f;
}

static void unlink_family(struct metrics_registry *reg, struct family *f)
{
	for (struct family **p = &reg->families; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			free_family(f);
			return;
		}
}

/* The family name must have for these arguments: found, created, or NULL. */
static struct family *family_for(struct metrics_registry *reg, enum metric_type type,
				 const char *name, const char *help, const char *label_names,
				 const double *bounds, size_t n_bounds, const char **error)
{
	struct family *f = find_family(reg, name);
	if (!f)
		return new_family(reg, type, name, help, label_names, bounds, n_bounds);
	if (f->type != type)
		*error = "a metric of that name has another type";
	else if (strcmp(f->label_names, label_names) != 0)
		*error = "a metric of that name has other label names";
	else if (!same_bounds(f, bounds, n_bounds))
		*error = "a histogram of that name has other buckets";
	else
		return f;
	return NULL;
}

static struct series *series_for(struct family *f, char *labels)
{
	struct series **tail = &f->series;
	for (; *tail; tail = &(*tail)->next)
		if (strcmp((*tail)->labels, labels) == 0) {
			free(labels);
			return *tail;
		}
	struct series *s = calloc(1, sizeof *s);
	if (s && f->type == METRIC_HISTOGRAM)
		s->buckets = calloc(f->n_bounds + 1, sizeof(uint64_t));
	if (!s || (f->type == METRIC_HISTOGRAM && !s->buckets)) {
		free(s);
		free(labels);
		return NULL;
	}
	s->family = f;
	s->labels = labels;
	s->changed_ms = loop_now_ms();
	*tail = s;
	return s;
}

struct metric_handle *metrics_register(struct metrics_registry *reg, const void *owner,
				       enum metric_type type, const char *name, const char *help,
				       const struct metric_label *labels, size_t n_labels,
				       const double *buckets, size_t n_buckets, const char **error)
{
	const char *why = NULL;
	if (type == METRIC_HISTOGRAM && n_buckets == 0) {
		buckets = metrics_default_buckets;
		n_buckets = metrics_default_n_buckets;
	}
	if (type != METRIC_HISTOGRAM)
		n_buckets = 0;
	char *label_names = NULL;
	char *rendered = NULL;
	struct family *f = NULL;
	struct metric_handle *h = NULL;
	if (type != METRIC_COUNTER && type != METRIC_GAUGE && type != METRIC_HISTOGRAM)
		why = "unknown metric type";
	else if (!metrics_valid_name(name))
		why = "invalid metric name";
	else if (!valid_bounds(buckets, n_buckets))
		why = "histogram buckets must be finite and strictly increasing";
	else if ((rendered = render_labels(labels, n_labels, type == METRIC_HISTOGRAM, &label_names,
					   &why)))
		f = family_for(reg, type, name, help, label_names, buckets, n_buckets, &why);
	free(label_names);
	struct series *s = f ? series_for(f, rendered) : (free(rendered), NULL);
	if (s && (h = calloc(1, sizeof *h))) {
		h->series = s;
		h->owner = owner;
		h->next = reg->handles;
		reg->handles = h;
		s->refs++;
	}
	if (!h) {
		if (f && !f->series)
			unlink_family(reg, f);
		if (error)
			*error = why ? why : "out of memory";
	}
	return h;
}

/* A series nobody holds is kept (not rendered) until metrics_sweep: a
 * reload releases the old instances' handles before the new ones take
 * them again, and their counters must carry on. */
static void release_series(struct series *s)
{
	s->refs--;
}

static void free_unheld_series(struct metrics_registry *reg, struct series *s)
{
	struct family *f = s->family;
	for (struct series **p = &f->series; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free_series(s);
	if (!f->series)
		unlink_family(reg, f);
}

void metrics_release_owner(struct metrics_registry *reg, const void *owner)
{
	if (!reg)
		return;
	for (struct metric_handle **p = &reg->handles; *p;) {
		struct metric_handle *h = *p;
		if (h->owner != owner) {
			p = &h->next;
			continue;
		}
		*p = h->next;
		release_series(h->series);
		free(h);
	}
}

void metrics_sweep(struct metrics_registry *reg)
{
	for (struct family *f = reg ? reg->families : NULL, *next; f; f = next) {
		next = f->next; /* the family goes with its last series */
		for (struct series *s = f->series, *after; s; s = after) {
			after = s->next;
			if (s->refs == 0)
				free_unheld_series(reg, s);
		}
	}
}

/* --- values --- */

enum metric_type metric_type(const struct metric_handle *h)
{
	return h->series->family->type;
}

void metric_add(struct metric_handle *h, double v)
{
	if (!h || isnan(v))
		return;
	struct series *s = h->series;
	if (s->family->type == METRIC_COUNTER && v >= 0)
		s->value += v;
	else if (s->family->type == METRIC_GAUGE)
		metric_set(h, s->value + v);
}

void metric_set(struct metric_handle *h, double v)
{
	if (!h || h->series->family->type != METRIC_GAUGE)
		return;
	struct series *s = h->series;
	if (s->value != v)
		s->changed_ms = loop_now_ms();
	s->value = v;
}

void metric_observe(struct metric_handle *h, double v)
{
	if (!h || h->series->family->type != METRIC_HISTOGRAM || isnan(v))
		return;
	struct series *s = h->series;
	const struct family *f = s->family;
	size_t i = 0;
	while (i < f->n_bounds && v > f->bounds[i])
		i++;
	s->buckets[i]++; /* i == n_bounds: only in +Inf */
	s->count++;
	s->value += v;
}

double metric_value(const struct metric_handle *h)
{
	const struct series *s = h->series;
	return s->family->type == METRIC_HISTOGRAM ? (double)s->count : s->value;
}

uint64_t metric_changed_ms(const struct metric_handle *h)
{
	return h->series->changed_ms;
}

struct metric_handle *metrics_find_owned(const struct metrics_registry *reg, const void *owner,
					 const char *name)
{
	struct metric_handle *found = NULL;
	/* Handles are pushed in front: the last match is the first registered. */
	for (struct metric_handle *h = reg->handles; h; h = h->next)
		if (h->owner == owner && strcmp(h->series->family->name, name) == 0)
			found = h;
	return found;
}

/* --- the exposition --- */

/* name{labels[,extra]} value */
static void write_sample(FILE *out, const char *name, const char *suffix, const char *labels,
			 const char *extra, double value)
{
	char number[40];
	metrics_format_number(number, sizeof number, value);
	fprintf(out, "%s%s", name, suffix);
	if (labels[0] || extra)
		fprintf(out, "{%s%s%s}", labels, labels[0] && extra ? "," : "", extra ? extra : "");
	fprintf(out, " %s\n", number);
}

static void write_histogram(FILE *out, const struct family *f, const struct series *s)
{
	uint64_t cumulative = 0;
	char le[64], bound[40];
	for (size_t i = 0; i <= f->n_bounds; i++) {
		cumulative += s->buckets[i];
		if (i < f->n_bounds)
			metrics_format_number(bound, sizeof bound, f->bounds[i]);
		snprintf(le, sizeof le, "le=\"%s\"", i < f->n_bounds ? bound : "+Inf");
		write_sample(out, f->name, "_bucket", s->labels, le, (double)cumulative);
	}
	write_sample(out, f->name, "_sum", s->labels, NULL, s->value);
	write_sample(out, f->name, "_count", s->labels, NULL, (double)s->count);
}

static bool held(const struct family *f)
{
	for (const struct series *s = f->series; s; s = s->next)
		if (s->refs > 0)
			return true;
	return false;
}

int metrics_render(const struct metrics_registry *reg, FILE *out)
{
	static const char *const type_names[] = {"counter", "gauge", "histogram"};
	for (const struct family *f = reg->families; f; f = f->next) {
		if (!held(f))
			continue;
		fprintf(out, "# HELP %s ", f->name);
		write_escaped(out, f->help, false);
		fprintf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		for (const struct series *s = f->series; s; s = s->next) {
			if (s->refs == 0)
				continue;
			if (f->type == METRIC_HISTOGRAM)
				write_histogram(out, f, s);
			else
				write_sample(out, f->name, "", s->labels, NULL, s->value);
		}
	}
	return ferror(out) ? -1 : 0;
}
