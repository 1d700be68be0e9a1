#include "config.h"
#include "redis_publisher.h"
int redis_sentinel_start(struct redis_publisher *p) { (void)p; return BH_ERR; }
void redis_sentinel_discover(struct redis_publisher *p) { (void)p; }
void redis_sentinel_master_ready(struct redis_publisher *p) { (void)p; }
void redis_sentinel_master_lost(struct redis_publisher *p) { (void)p; }
void redis_sentinel_destroy(struct redis_publisher *p) { (void)p; }
