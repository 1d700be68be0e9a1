/*
 * Pieces of the gateway's JSON that every request builds or reads: keys and
 * values in base64, int64 numbers as strings, a prefix's range end.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "etcd_publisher.h"

bool etcd_json_add_string(json_object *o, const char *name, char *value /* consumed */)
{
	json_object *v = value ? json_object_new_string(value) : NULL;
	free(value);
	if (!v || json_object_object_add(o, name, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

bool etcd_json_add_b64(json_object *o, const char *name, const char *text)
{
	return etcd_json_add_string(o, name, etcd_b64_encode(text, strlen(text)));
}

bool etcd_json_add_lease(json_object *o, const char *name, int64_t lease)
{
	return etcd_json_add_string(o, name, bh_strfmt("%" PRId64, lease));
}

json_object *etcd_key_body(const char *key)
{
	json_object *body = json_object_new_object();
	if (body && !etcd_json_add_b64(body, "key", key)) {
		json_object_put(body);
		return NULL;
	}
	return body;
}

int64_t etcd_json_int64(json_object *o, const char *name)
{
	json_object *v = NULL;
	/* The gateway writes int64 as JSON strings; json-c parses either. */
	return o && json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

int64_t etcd_reply_revision(const struct etcd_reply *reply)
{
	json_object *header = NULL;
	if (!reply->json || !json_object_object_get_ex(reply->json, "header", &header))
		return 0;
	return etcd_json_int64(header, "revision");
}

char *etcd_prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = end ? strlen(end) : 0;
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		end[--n] = '\0';
	if (n == 0) {
		free(end);
		return NULL;
	}
	end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
	return end;
}
