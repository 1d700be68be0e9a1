/*
 * Pieces of the gateway's JSON that every request builds or reads: keys and
 * values in base64, int64 numbers as strings, a prefix's range end.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "etcd_json.h"

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

/* --- base64 (RFC 4648, with padding), as the gateway encodes bytes --- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64_encode(const char *data, size_t len)
{
	const unsigned char *in = (const unsigned char *)data;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = b64_alphabet[(v >> 18) & 63];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char ch)
{
	const char *p = ch ? strchr(b64_alphabet, ch) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

char *etcd_b64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	if (n % 4 != 0)
		return NULL;
	char *out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++)
			v[k] = text[i + k] == '=' && i + 4 == n && k >= 2 ? 0 : b64_value(text[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 ||
		    (text[i + 2] == '=' && text[i + 3] != '=')) {
			free(out);
			return NULL;
		}
		unsigned bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		out[o++] = (char)(bits >> 16);
		if (text[i + 2] != '=')
			out[o++] = (char)(bits >> 8 & 0xff);
		if (text[i + 3] != '=')
			out[o++] = (char)(bits & 0xff);
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}
