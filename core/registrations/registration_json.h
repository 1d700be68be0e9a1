/*
 * The value stored per container (the consumer contract, byte for byte):
 *   [{"id":"example_org","domain":"example.org",
 *     "http":{"host":"172.30.0.2","port":80},"https":{"host":"172.30.0.2","port":443}}]
 * Field order id, domain, http, https; http/https only when mapped; no spaces.
 */
#ifndef BH_REGISTRATION_JSON_H
#define BH_REGISTRATION_JSON_H

#include "domain_spec.h"

/* Returns a malloc'd JSON text, or NULL when out of memory. */
char *registration_json(const struct domain_spec_list *specs, const char *address);

#endif
