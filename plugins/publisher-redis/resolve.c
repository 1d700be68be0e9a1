/*
 * See resolve.h.  Who owns what:
 *
 *   - the thread writes rc / result / saved_errno, then publishes them
 *     (finished, release) and only then signals the eventfd;
 *   - the loop reads them only after the eventfd said so (and finished,
 *     acquire, confirms it);
 *   - the eventfd, the strings and an answer nobody took are released with
 *     the job by whichever of the two drops the last reference, so the
 *     thread never writes to a closed (perhaps reused) descriptor.
 */
#include "config.h"

#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <beachhead/sdk.h>

struct resolve_job {
	atomic_uint refs; /* the thread's and the owner's */
	int fd;           /* eventfd: the thread is done */
	char *name;
	char *service;

	/* The thread's answer (see above). */
	atomic_bool finished;
	int rc;
	int saved_errno;
	struct addrinfo *result;

	/* The owner's side: touched on the loop only. */
	const struct bh_host_api *api;
	struct bh_host *host;
	struct bh_watch *watch;
	resolve_done_fn done;
	void *arg;
};

/* Threads waiting for the resolver, in the whole process. */
static atomic_uint in_flight;

static void job_free(struct resolve_job *job)
{
	if (job->result)
		freeaddrinfo(job->result);
	if (job->fd >= 0)
		(void)close(job->fd);
	free(job->name);
	free(job->service);
	free(job);
}

static void job_unref(struct resolve_job *job)
{
	if (atomic_fetch_sub_explicit(&job->refs, 1, memory_order_acq_rel) == 1)
		job_free(job);
}

static void *lookup_thread(void *arg)
{
	struct resolve_job *job = arg;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	job->rc = getaddrinfo(job->name, job->service, &hints, &job->result);
	job->saved_errno = errno;
	if (job->rc != 0)
		job->result = NULL;
	atomic_store_explicit(&job->finished, true, memory_order_release);
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(job->fd, &one, sizeof one);
	while (n < 0 && errno == EINTR);
	/* An eventfd write fails only when its counter would overflow, which
	 * one write per job cannot do: nothing to handle. */
	(void)n;
	atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
	job_unref(job);
	return NULL;
}

static char *describe_failure(const struct resolve_job *job)
{
	const char *reason = job->rc == EAI_SYSTEM ? strerror(job->saved_errno)
						   : gai_strerror(job->rc);
	return bh_strfmt("cannot resolve %s: %s", job->name, reason);
}

static void on_answer(void *arg, int fd, unsigned events)
{
	struct resolve_job *job = arg;
	(void)events;
	uint64_t count;
	ssize_t n;
	do
		n = read(fd, &count, sizeof count);
	while (n < 0 && errno == EINTR);
	if (n < 0 || !atomic_load_explicit(&job->finished, memory_order_acquire))
		return; /* woken early (EAGAIN): the answer is still to come */
	struct addrinfo *addresses = job->result;
	job->result = NULL;
	char *error = addresses ? NULL : describe_failure(job);
	resolve_done_fn done = job->done;
	void *done_arg = job->arg;
	job->api->watch_remove(job->host, job->watch);
	job->watch = NULL;
	job_unref(job);
	if (addresses)
		done(done_arg, addresses, NULL);
	else
		done(done_arg, NULL, error ? error : "cannot resolve a host name: out of memory");
	free(error);
}

/* Starts the thread with every signal blocked: the core takes its signals
 * through a signalfd on the loop thread, none may land here. */
static int start_thread(struct resolve_job *job)
{
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return ENOMEM;
	int rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, saved;
	sigfillset(&all);
	if (rc == 0)
		rc = pthread_sigmask(SIG_SETMASK, &all, &saved);
	if (rc == 0) {
		pthread_t thread;
		rc = pthread_create(&thread, &attr, lookup_thread, job);
		/* Restoring a mask read just above cannot fail. */
		(void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
	}
	(void)pthread_attr_destroy(&attr);
	return rc;
}

struct resolve_job *resolve_start(const struct bh_host_api *api, struct bh_host *host,
				  const char *name, const char *service, resolve_done_fn done,
				  void *arg, char **error)
{
	*error = NULL;
	if (atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed) >=
	    RESOLVE_MAX_IN_FLIGHT) {
		atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
		*error = bh_strfmt("cannot resolve %s: %u lookups are still waiting for the "
				   "resolver",
				   name, RESOLVE_MAX_IN_FLIGHT);
		return NULL;
	}
	struct resolve_job *job = calloc(1, sizeof *job);
	if (!job)
		goto fail;
	job->fd = -1;
	job->api = api;
	job->host = host;
	job->done = done;
	job->arg = arg;
	job->name = strdup(name);
	job->service = strdup(service);
	if (!job->name || !job->service)
		goto fail;
	job->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (job->fd < 0) {
		*error = bh_strfmt("cannot resolve %s: eventfd: %s", name, strerror(errno));
		goto fail;
	}
	job->watch = api->watch_add(host, job->fd, BH_EV_READ, on_answer, job);
	if (!job->watch)
		goto fail;
	atomic_init(&job->refs, 2);
	int rc = start_thread(job);
	if (rc != 0) {
		api->watch_remove(host, job->watch);
		*error = bh_strfmt("cannot resolve %s: no thread for the lookup: %s", name,
				   strerror(rc));
		goto fail;
	}
	return job;
fail:
	atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
	if (job)
		job_free(job);
	return NULL;
}

void resolve_cancel(struct resolve_job *job)
{
	if (job->watch)
		job->api->watch_remove(job->host, job->watch);
	job->watch = NULL;
	job_unref(job);
}
