#include "config.h"

#include "registration_json.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* Plain output and no "\/": confd templates and people read these keys. */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static struct json_object *backend(const char *address, unsigned port)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *host = json_object_new_string(address);
	struct json_object *port_obj = json_object_new_int((int)port);
	if (!obj || !host || !port_obj || json_object_object_add(obj, "host", host) < 0) {
		json_object_put(obj);
		json_object_put(host);
		json_object_put(port_obj);
		return NULL;
	}
	if (json_object_object_add(obj, "port", port_obj) < 0) {
		json_object_put(obj);
		json_object_put(port_obj);
		return NULL;
	}
	return obj;
}

/* Adds value under key, taking ownership of value in every case. */
static int add_field(struct json_object *obj, const char *key, struct json_object *value)
{
	if (!value)
		return -1;
	if (json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

static struct json_object *domain_entry(const struct domain_spec *spec, const char *address)
{
	struct json_object *entry = json_object_new_object();
	if (!entry)
		return NULL;
	char *id = domain_spec_id(spec->domain);
	int rc = id ? add_field(entry, "id", json_object_new_string(id)) : -1;
	free(id);
	if (rc == 0)
		rc = add_field(entry, "domain", json_object_new_string(spec->domain));
	if (rc == 0 && spec->http_port)
		rc = add_field(entry, "http",
			       backend(spec->http_host ? spec->http_host : address, spec->http_port));
	if (rc == 0 && spec->https_port)
		rc = add_field(entry, "https",
			       backend(spec->https_host ? spec->https_host : address, spec->https_port));
	if (rc < 0) {
		json_object_put(entry);
		return NULL;
	}
	return entry;
}

char *registration_json(const struct domain_spec_list *specs, const char *address)
{
	struct json_object *array = json_object_new_array();
	if (!array)
		return NULL;
	for (size_t i = 0; i < specs->count; i++) {
		struct json_object *entry = domain_entry(&specs->items[i], address);
		if (!entry || json_object_array_add(array, entry) < 0) {
			json_object_put(entry);
			json_object_put(array);
			return NULL;
		}
	}
	const char *text = json_object_to_json_string_ext(array, JSON_FLAGS);
	char *copy = text ? strdup(text) : NULL;
	json_object_put(array);
	return copy;
}
