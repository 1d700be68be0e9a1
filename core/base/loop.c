#include "config.h"

#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * Timers and watches are both "sources": an fd in the epoll set plus a
 * callback.  Callbacks may free any source, including ones whose events are
 * still pending in the current epoll batch, so freeing only marks a source
 * dead and unlinks its fd; the memory is released after the batch.
 */
enum source_type { SOURCE_WATCH, SOURCE_TIMER, SOURCE_SIGNAL };

struct source {
	enum source_type type;
	struct loop *loop;
	int fd;
	bool in_epoll;
	bool dead;
	struct source *next; /* all sources, for loop_free and reaping */
};

struct bh_watch {
	struct source source;
	unsigned events;
	bh_watch_cb cb;
	void *arg;
};

struct bh_timer {
	struct source source;
	bool armed;
	bh_timer_cb cb;
	void *arg;
};

struct loop_signal {
	struct source source;
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool quit;
	bool has_dead;
	struct source *sources;
};

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof *loop);
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		log_error("epoll_create1: %s", strerror(errno));
		free(loop);
		return NULL;
	}
	return loop;
}

static void source_link(struct loop *loop, struct source *source, enum source_type type, int fd)
{
	source->type = type;
	source->loop = loop;
	source->fd = fd;
	source->next = loop->sources;
	loop->sources = source;
}

static int epoll_update(struct source *source, uint32_t epoll_events)
{
	struct loop *loop = source->loop;
	struct epoll_event ev = {.events = epoll_events, .data.ptr = source};
	if (epoll_events == 0) {
		if (source->in_epoll && epoll_ctl(loop->epfd, EPOLL_CTL_DEL, source->fd, NULL) < 0 &&
		    errno != EBADF && errno != ENOENT)
			return -1;
		source->in_epoll = false;
		return 0;
	}
	int op = source->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(loop->epfd, op, source->fd, &ev) < 0) {
		log_error("epoll_ctl(fd %d): %s", source->fd, strerror(errno));
		return -1;
	}
	source->in_epoll = true;
	return 0;
}

/* Unlinks the fd at once (the owner may close it right after) and leaves the
 * memory for the reaper. */
static void source_kill(struct source *source)
{
	if (source->dead)
		return;
	(void)epoll_update(source, 0);
	source->dead = true;
	source->loop->has_dead = true;
}

/* Links a new source and adds its fd to epoll; -1 when epoll refuses it
 * (the source is then killed: the reaper frees it, and a timer's fd). */
static int source_start(struct loop *loop, struct source *source, enum source_type type, int fd,
			uint32_t epoll_events)
{
	source_link(loop, source, type, fd);
	if (epoll_update(source, epoll_events) < 0) {
		source_kill(source);
		return -1;
	}
	return 0;
}

static void source_release(struct source *source)
{
	/* Timer and signal fds are ours; watched fds belong to the plugin. */
	if (source->type != SOURCE_WATCH && source->fd >= 0)
		close(source->fd);
	free(source);
}

static void reap_dead(struct loop *loop)
{
	if (!loop->has_dead)
		return;
	struct source **link = &loop->sources;
	while (*link) {
		struct source *source = *link;
		if (source->dead) {
			*link = source->next;
			source_release(source);
		} else {
			link = &source->next;
		}
	}
	loop->has_dead = false;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	struct source *source = loop->sources;
	while (source) {
		struct source *next = source->next;
		source_release(source);
		source = next;
	}
	close(loop->epfd);
	free(loop);
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- watches --- */

static uint32_t watch_epoll_events(unsigned events)
{
	uint32_t ev = 0;
	if (events & BH_EV_READ)
		ev |= EPOLLIN;
	if (events & BH_EV_WRITE)
		ev |= EPOLLOUT;
	return ev;
}

struct bh_watch *loop_watch_add(struct loop *loop, int fd, unsigned events, bh_watch_cb cb,
				  void *arg)
{
	if (fd < 0 || !cb)
		return NULL;
	struct bh_watch *watch = calloc(1, sizeof *watch);
	if (!watch)
		return NULL;
	watch->cb = cb;
	watch->arg = arg;
	watch->events = events;
	if (source_start(loop, &watch->source, SOURCE_WATCH, fd, watch_epoll_events(events)) < 0)
		return NULL;
	return watch;
}

int loop_watch_set(struct bh_watch *watch, unsigned events)
{
	if (!watch || watch->source.dead)
		return -1;
	watch->events = events;
	return epoll_update(&watch->source, watch_epoll_events(events));
}

void loop_watch_remove(struct bh_watch *watch)
{
	if (watch)
		source_kill(&watch->source);
}

/* --- timers --- */

struct bh_timer *loop_timer_new(struct loop *loop, bh_timer_cb cb, void *arg)
{
	if (!cb)
		return NULL;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		int error = errno; /* for the caller's message (EMFILE) */
		log_error("timerfd_create: %s", strerror(error));
		errno = error;
		return NULL;
	}
	struct bh_timer *timer = calloc(1, sizeof *timer);
	if (!timer) {
		close(fd);
		return NULL;
	}
	timer->cb = cb;
	timer->arg = arg;
	if (source_start(loop, &timer->source, SOURCE_TIMER, fd, EPOLLIN) < 0)
		return NULL;
	return timer;
}

int loop_timer_arm(struct bh_timer *timer, uint64_t delay_ms)
{
	if (!timer || timer->source.dead)
		return -1;
	/* A zero it_value would disarm: "now" is the smallest positive delay. */
	struct itimerspec spec = {0};
	spec.it_value.tv_sec = (time_t)(delay_ms / 1000u);
	spec.it_value.tv_nsec = (long)(delay_ms % 1000u) * 1000000L;
	if (delay_ms == 0)
		spec.it_value.tv_nsec = 1;
	if (timerfd_settime(timer->source.fd, 0, &spec, NULL) < 0) {
		log_error("timerfd_settime: %s", strerror(errno));
		return -1;
	}
	timer->armed = true;
	return 0;
}

void loop_timer_disarm(struct bh_timer *timer)
{
	if (!timer || timer->source.dead)
		return;
	struct itimerspec spec = {0};
	(void)timerfd_settime(timer->source.fd, 0, &spec, NULL);
	/* An expiry already counted but not yet read must not fire later. */
	uint64_t expirations;
	while (read(timer->source.fd, &expirations, sizeof expirations) > 0)
		;
	timer->armed = false;
}

bool loop_timer_armed(const struct bh_timer *timer)
{
	return timer && !timer->source.dead && timer->armed;
}

void loop_timer_free(struct bh_timer *timer)
{
	if (timer)
		source_kill(&timer->source);
}

/* --- signals --- */

int loop_signals(struct loop *loop, const int *signals, int count, loop_signal_cb cb, void *arg)
{
	sigset_t mask;
	sigemptyset(&mask);
	for (int i = 0; i < count; i++)
		sigaddset(&mask, signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_error("sigprocmask: %s", strerror(errno));
		return -1;
	}
	int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return -1;
	}
	struct loop_signal *sig = calloc(1, sizeof *sig);
	if (!sig) {
		close(fd);
		return -1;
	}
	sig->cb = cb;
	sig->arg = arg;
	return source_start(loop, &sig->source, SOURCE_SIGNAL, fd, EPOLLIN);
}

/* --- dispatch --- */

static void dispatch(struct source *source, uint32_t epoll_events)
{
	switch (source->type) {
	case SOURCE_WATCH: {
		struct bh_watch *watch = (struct bh_watch *)source;
		unsigned events = 0;
		if (epoll_events & EPOLLIN)
			events |= BH_EV_READ;
		if (epoll_events & EPOLLOUT)
			events |= BH_EV_WRITE;
		if (epoll_events & (EPOLLERR | EPOLLHUP))
			events |= BH_EV_ERROR;
		/* An earlier callback of this batch may have paused or changed
		 * the watch: deliver only what is still asked for. */
		if (watch->events == 0)
			break;
		events &= watch->events | BH_EV_ERROR;
		if (events)
			watch->cb(watch->arg, source->fd, events);
		break;
	}
	case SOURCE_TIMER: {
		struct bh_timer *timer = (struct bh_timer *)source;
		uint64_t expirations;
		/* EAGAIN means the timer was re-armed or disarmed after the
		 * expiry was queued: nothing to fire. */
		if (read(source->fd, &expirations, sizeof expirations) != sizeof expirations)
			break;
		timer->armed = false;
		timer->cb(timer->arg);
		break;
	}
	case SOURCE_SIGNAL: {
		struct loop_signal *sig = (struct loop_signal *)source;
		struct signalfd_siginfo info;
		while (!source->dead && read(source->fd, &info, sizeof info) == sizeof info)
			sig->cb(sig->arg, (int)info.ssi_signo);
		break;
	}
	}
}

void loop_quit(struct loop *loop)
{
	loop->quit = true;
}

int loop_run(struct loop *loop)
{
	enum { BATCH = 64 };
	struct epoll_event events[BATCH];
	while (!loop->quit) {
		int n = epoll_wait(loop->epfd, events, BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct source *source = events[i].data.ptr;
			if (!source->dead)
				dispatch(source, events[i].events);
		}
		reap_dead(loop);
	}
	return 0;
}
