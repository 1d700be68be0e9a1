/*
 * Pieces of the gateway's JSON every request builds or reads (etcd_json.c):
 * keys and values in base64, int64 numbers as strings, a prefix's range end.
 */
#ifndef BH_ETCD_JSON_H
#define BH_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* base64 of keys and values in the gateway's JSON; malloc'd or NULL. */
char *etcd_b64_encode(const char *data, size_t len);
/* NUL-terminated; NULL when not base64 or out of memory. */
char *etcd_b64_decode(const char *text, size_t *len);

/* The add functions return false when out of memory. */
bool etcd_json_add_string(json_object *o, const char *name, char *value /* consumed */);
bool etcd_json_add_b64(json_object *o, const char *name, const char *text);
bool etcd_json_add_lease(json_object *o, const char *name, int64_t lease);
/* {"key": base64(key)}; NULL when out of memory. */
json_object *etcd_key_body(const char *key);
int64_t etcd_json_int64(json_object *o, const char *name);
/* The first key after every key that starts with prefix (etcd's range_end
 * for a prefix); NULL when prefix is all 0xff bytes or out of memory. */
char *etcd_prefix_end(const char *prefix);

#endif
