/*
 * hiredis async <-> core loop.  hiredis asks for read/write interest through
 * ev.addRead/delRead/addWrite/delWrite and tells us through ev.cleanup when
 * it frees the context; we map that onto one core fd watch.
 *
 * The subtle part is lifetime: redisAsyncHandleRead() may free the context
 * (and so call our cleanup) while we are still inside our own watch
 * callback.  cleanup therefore only marks the adapter dead when a dispatch is
 * running, and the dispatcher frees it on the way out.
 */
#include "config.h"

#include "redis_loop_adapter.h"

#include <stdbool.h>
#include <stdlib.h>

struct adapter {
	redisAsyncContext *ac;
	const struct bh_host_api *api;
	struct bh_host *host;
	struct bh_watch *watch;
	unsigned events; /* what hiredis currently wants */
	redis_gone_cb gone;
	void *gone_arg;
	bool dispatching;
	bool dead;
};

/* Only touch epoll when the mask really changes: hiredis calls addWrite for
 * every queued command, and a refresh queues thousands. */
static void set_events(struct adapter *a, unsigned events)
{
	if (a->dead || events == a->events)
		return;
	a->events = events;
	if (a->api->watch_set(a->host, a->watch, events) != BH_OK)
		a->api->log(a->host, BH_LOG_ERROR, "cannot update the redis fd watch");
}

static void add_read(void *privdata)
{
	struct adapter *a = privdata;
	set_events(a, a->events | BH_EV_READ);
}

static void del_read(void *privdata)
{
	struct adapter *a = privdata;
	set_events(a, a->events & ~BH_EV_READ);
}

static void add_write(void *privdata)
{
	struct adapter *a = privdata;
	set_events(a, a->events | BH_EV_WRITE);
}

static void del_write(void *privdata)
{
	struct adapter *a = privdata;
	set_events(a, a->events & ~BH_EV_WRITE);
}

static void cleanup(void *privdata)
{
	struct adapter *a = privdata;
	a->api->watch_remove(a->host, a->watch);
	a->watch = NULL;
	a->dead = true;
	/* hiredis frees the context right after this returns. */
	a->ac->ev.data = NULL;
	if (a->gone)
		a->gone(a->gone_arg, a->ac->err, a->ac->errstr);
	if (!a->dispatching)
		free(a);
}

static void on_fd(void *arg, int fd, unsigned events)
{
	struct adapter *a = arg;
	(void)fd;
	a->dispatching = true;
	/* An error or hang-up without readiness: let hiredis find out what
	 * happened through the direction it is waiting for (a connect in
	 * progress waits for writability). */
	if ((events & BH_EV_ERROR) && !(events & (BH_EV_READ | BH_EV_WRITE)))
		events |= (a->events & BH_EV_READ) ? BH_EV_READ : BH_EV_WRITE;
	if ((events & BH_EV_READ) && !a->dead)
		redisAsyncHandleRead(a->ac);
	if ((events & BH_EV_WRITE) && !a->dead)
		redisAsyncHandleWrite(a->ac);
	a->dispatching = false;
	if (a->dead)
		free(a);
}

int redis_loop_attach(redisAsyncContext *ac, const struct bh_host_api *api, struct bh_host *host,
		      redis_gone_cb gone, void *arg)
{
	if (ac->ev.data)
		return BH_ERR;
	struct adapter *a = calloc(1, sizeof *a);
	if (!a)
		return BH_ERR;
	a->ac = ac;
	a->api = api;
	a->host = host;
	a->gone = gone;
	a->gone_arg = arg;
	/* Writability tells us that the non-blocking connect finished. */
	a->events = BH_EV_READ | BH_EV_WRITE;
	a->watch = api->watch_add(host, ac->c.fd, a->events, on_fd, a);
	if (!a->watch) {
		free(a);
		return BH_ERR;
	}
	ac->ev.data = a;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	return BH_OK;
}
