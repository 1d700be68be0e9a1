#include "config.h"

#include "ownership.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <beachhead/sdk.h>

/* "FILE:LINE" of a rule, kept for the messages that name what allowed a
 * domain. */
static char *where(struct bh_config *cfg, const config_setting_t *s)
{
	return bh_strfmt("%s:%u", bh_config_file(cfg, s), config_setting_source_line(s));
}

/* "example.org", "*.example.org" or ".example.org" with DNS characters. */
static bool valid_pattern(const char *p)
{
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	else if (p[0] == '.')
		p++;
	if (!*p)
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

bool ownership_pattern_matches(const char *pattern, const char *domain)
{
	size_t dlen = strlen(domain);
	if (strncmp(pattern, "*.", 2) == 0 || pattern[0] == '.') {
		bool include_self = pattern[0] == '.';
		const char *suffix = pattern[0] == '.' ? pattern : pattern + 1; /* ".example.org" */
		size_t slen = strlen(suffix);
		if (include_self && strcasecmp(domain, suffix + 1) == 0)
			return true;
		return dlen > slen && strcasecmp(domain + dlen - slen, suffix) == 0;
	}
	return strcasecmp(pattern, domain) == 0;
}

/* The first mistake ends the parse: reported through cfg, -1. */
static int fail_at(struct bh_config *cfg, const config_setting_t *s, const char *what)
{
	bh_config_error(cfg, s, "%s", what);
	return -1;
}

static int read_patterns(const config_setting_t *list, struct bh_config *cfg, char ***out)
{
	int type = config_setting_type(list);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return fail_at(cfg, list, "'allow' must be an array of domain patterns: [ \"*.example.org\" ]");
	int n = config_setting_length(list);
	char **patterns = calloc((size_t)n + 1, sizeof *patterns);
	if (!patterns)
		return fail_at(cfg, list, "out of memory");
	*out = patterns;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *p = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
		if (!p || !valid_pattern(p)) {
			bh_config_error(cfg, e, "'allow': '%s' is not a domain pattern (example.org, "
					"*.example.org or .example.org)", p ? p : "(not a string)");
			return -1;
		}
		if (!(patterns[i] = strdup(p)))
			return fail_at(cfg, e, "out of memory");
	}
	return 0;
}

static int read_rule(const config_setting_t *g, struct bh_config *cfg, struct ownership_rule *rule)
{
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail_at(cfg, g, "each rule must be a group: { label = \"k=v\"; allow = [...]; }");
	rule->where = where(cfg, g);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		char **target = strcmp(name, "label") == 0 ? &rule->label
				: strcmp(name, "network") == 0 ? &rule->network
								: NULL;
		if (strcmp(name, "allow") == 0) {
			if (read_patterns(s, cfg, &rule->allow) < 0)
				return -1;
		} else if (!target) {
			bh_config_error(cfg, s, "unknown rule setting '%s' (label, network, allow)", name);
			return -1;
		} else if (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0]) {
			return fail_at(cfg, s, "'label' and 'network' must be non-empty strings");
		} else if (!(*target = strdup(config_setting_get_string(s)))) {
			return fail_at(cfg, s, "out of memory");
		}
	}
	if (!rule->allow)
		return fail_at(cfg, g, "a rule needs 'allow'");
	if (!rule->label == !rule->network)
		return fail_at(cfg, g, "a rule needs exactly one of 'label' and 'network'");
	return 0;
}

int ownership_parse(const config_setting_t *group, struct bh_config *cfg, struct ownership_policy *out)
{
	memset(out, 0, sizeof *out);
	if (config_setting_type(group) != CONFIG_TYPE_GROUP)
		return fail_at(cfg, group, "'domains' must be a group");
	out->configured = true;
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		if (strcmp(name, "allow") == 0) {
			if (read_patterns(s, cfg, &out->allow) < 0)
				return -1;
		} else if (strcmp(name, "sharing") == 0) {
			const char *v =
				config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : "";
			if (strcmp(v, "any") == 0)
				out->sharing = SHARING_ANY;
			else if (strcmp(v, "same-rule") == 0)
				out->sharing = SHARING_SAME_RULE;
			else if (strcmp(v, "exclusive") == 0)
				out->sharing = SHARING_EXCLUSIVE;
			else
				return fail_at(cfg, s, "'sharing' must be \"any\", \"same-rule\" or \"exclusive\"");
		} else if (strcmp(name, "rules") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_LIST)
				return fail_at(cfg, s, "'rules' must be a list of groups");
			int n = config_setting_length(s);
			out->rules = calloc((size_t)n + 1, sizeof *out->rules);
			if (!out->rules)
				return fail_at(cfg, s, "out of memory");
			for (int r = 0; r < n; r++) {
				out->n_rules++;
				if (read_rule(config_setting_get_elem(s, (unsigned)r), cfg, &out->rules[r]) < 0)
					return -1;
			}
		} else {
			bh_config_error(cfg, s, "unknown setting 'domains.%s' (allow, rules, sharing)", name);
			return -1;
		}
	}
	return 0;
}

static void free_patterns(char **patterns)
{
	for (char **p = patterns; p && *p; p++)
		free(*p);
	free(patterns);
}

void ownership_free(struct ownership_policy *policy)
{
	free_patterns(policy->allow);
	for (size_t i = 0; i < policy->n_rules; i++) {
		free(policy->rules[i].label);
		free(policy->rules[i].network);
		free_patterns(policy->rules[i].allow);
		free(policy->rules[i].where);
	}
	free(policy->rules);
	memset(policy, 0, sizeof *policy);
}

/* "key=value" matches the label exactly; "key" matches any value. */
static bool has_label(const struct bh_container *c, const char *wanted)
{
	size_t len = strlen(wanted);
	bool any_value = !strchr(wanted, '=');
	for (const char *const *l = c->labels; l && *l; l++)
		if (any_value ? strncmp(*l, wanted, len) == 0 && (*l)[len] == '=' : strcmp(*l, wanted) == 0)
			return true;
	return false;
}

static bool on_network(const struct bh_container *c, const char *wanted)
{
	for (const char *const *n = c->networks; n && *n; n++)
		if (strcmp(*n, wanted) == 0)
			return true;
	return false;
}

static bool any_matches(char *const *patterns, const char *domain)
{
	for (char *const *p = patterns; p && *p; p++)
		if (ownership_pattern_matches(*p, domain))
			return true;
	return false;
}

char *ownership_check(const struct ownership_policy *policy, const struct bh_container *c,
		      const char *domain, const char **granted_by)
{
	const char *unused;
	if (!granted_by)
		granted_by = &unused;
	*granted_by = "";
	if (!policy->configured)
		return NULL;
	const struct ownership_rule *first = NULL;
	for (size_t i = 0; i < policy->n_rules; i++) {
		const struct ownership_rule *r = &policy->rules[i];
		if (r->label ? !has_label(c, r->label) : !on_network(c, r->network))
			continue;
		if (!first)
			first = r;
		if (any_matches(r->allow, domain)) {
			*granted_by = r->where ? r->where : "?";
			return NULL;
		}
	}
	if (first)
		return bh_strfmt("domain '%s' is not allowed for %s %s (domains rule at %s)", domain,
				 first->label ? "label" : "network", first->label ? first->label : first->network,
				 first->where ? first->where : "?");
	if (!policy->allow || any_matches(policy->allow, domain)) {
		*granted_by = "domains.allow";
		return NULL;
	}
	return bh_strfmt("domain '%s' is not in the allow-list (domains.allow)", domain);
}
