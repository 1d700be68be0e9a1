/*
 * The lease id publisher-etcd keeps in state_dir across restarts
 * (etcd_lease_file.c).
 */
#ifndef BH_ETCD_LEASE_FILE_H
#define BH_ETCD_LEASE_FILE_H

#include <stdint.h>

#include "etcd_config.h"

/* path: NULL when state_dir is NULL (or out of memory). */
char *etcd_lease_file_path(const char *state_dir, const struct etcd_settings *s, const char *namespace);
/* 0 when there is none (or it is unreadable). */
int64_t etcd_lease_file_read(const char *path);
/* -1 and *why (malloc'd) when it cannot be written; a NULL path is a no-op. */
int etcd_lease_file_write(const char *path, int64_t lease, char **why);

#endif
