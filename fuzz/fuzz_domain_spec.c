/*
 * Fuzz target: the domain-spec parser and the JSON built from what it
 * accepts.  Invariants checked: the parser never crashes; an accepted spec
 * list gives JSON that json-c parses back into an array of one object per
 * domain; every id is made of [A-Za-z0-9_] only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "domain_spec.h"
#include "fuzz.h"
#include "registration_json.h"

static void ignore_warning(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* an environment value cannot hold NUL: stop there */

	struct domain_spec_list specs;
	char *error = NULL;
	if (domain_spec_parse(text, &specs, &error, ignore_warning, NULL) == 0) {
		char *json = registration_json(&specs, "172.30.0.2");
		if (json) {
			struct json_object *parsed = json_tokener_parse(json);
			if (!parsed || !json_object_is_type(parsed, json_type_array) ||
			    json_object_array_length(parsed) != specs.count)
				abort();
			json_object_put(parsed);
		}
		for (size_t i = 0; i < specs.count; i++) {
			char *id = domain_spec_id(specs.items[i].domain);
			if (id && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
					  strlen(id))
				abort();
			free(id);
		}
		free(json);
		domain_spec_list_free(&specs);
	} else if (!error) {
		abort(); /* a refusal always says why */
	}
	free(error);
	free(text);
	return 0;
}
