/*
 * Which host goes into a registration (address.c).
 */
#ifndef DOCKER_ADDRESS_H
#define DOCKER_ADDRESS_H

#include "docker_config.h"
#include "docker_json.h"

/* The host for the registration, malloc'd; *warning (malloc'd) is set when a
 * fallback was taken.  NULL only when out of memory or nothing fits. */
char *address_for_registration(const struct docker_config *s, const struct dk_container *c, char **warning);

#endif
