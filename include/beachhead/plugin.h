/*
 * beachhead-companion plugin ABI.
 *
 * Every plugin is a shared object that exports exactly one data symbol,
 * BH_PLUGIN_SYMBOL, of type `const struct bh_plugin`.  The core dlopen()s the
 * file, looks the symbol up and validates the leading frozen fields before it
 * touches anything else:
 *
 *   - abi_major must equal the core's BH_ABI_MAJOR,
 *   - abi_minor must be <= the core's BH_ABI_MINOR,
 *   - struct_size must cover every field the core reads,
 *   - kind must be the kind the configuration slot asks for,
 *   - the lifecycle and kind-specific function pointers must be non-NULL.
 *
 * Evolution is append-only: adding a field at the end of a struct (or a
 * function at the end of struct bh_host_api) bumps BH_ABI_MINOR; changing or
 * removing anything bumps BH_ABI_MAJOR.  See docs/PLUGINS.md.
 *
 * The core copies what a plugin hands it (its symbol table, each
 * struct bh_container) into a full-size struct of its own, zero-filled beyond
 * the plugin's size, once, where it crosses into the core: a field appended
 * after the plugin's minor reads as 0 / NULL there, which every appended
 * field below defines as "unknown" or "not supported".
 *
 * ABI changelog (one entry per minor, with the date it was fixed):
 *
 *   1.0  2026-11-24  The first ABI: struct bh_plugin up to pending(),
 *                    struct bh_host_api up to request_replay(),
 *                    struct bh_container up to explicitly_named,
 *                    struct bh_registration, struct bh_init.
 *   1.1  2026-11-24  struct bh_container: labels, networks, created_ns
 *                    (domain ownership by label / network, the oldest
 *                    container holds a contested domain).
 *   1.2  2026-11-27  struct bh_host_api: describe_setting (listing of every
 *                    setting by --check-config --verbose), container_gone
 *                    and container_keep (withdrawals by engine id, keeping a
 *                    registration whose container could not be read);
 *                    struct bh_plugin: sweep (delete keys no container backs
 *                    in the daemon's namespace) and hand_over_withdrawals
 *                    (a retiring publisher passes on what it still owes);
 *                    typedef bh_withdrawal_cb;
 *                    struct bh_container: ports_published, bindings,
 *                    n_bindings with struct bh_port_binding (published-port
 *                    mode: the inspector reports the engine's port bindings,
 *                    the core applies them after parsing the specs).
 *   1.3  2026-12-06  struct bh_init: host_id, state_dir, owner_token,
 *                    owner_record (a publisher claims the daemon's
 *                    namespace for one owner, and keeps what must survive
 *                    a restart, such as an etcd lease id, in state_dir);
 *                    struct bh_host_api: metric_register, metric_add,
 *                    metric_set, metric_observe with enum bh_metric_type
 *                    and struct bh_metric_label (a plugin's counters,
 *                    gauges and histograms, which the core serves on
 *                    /metrics; sdk.h wraps them);
 *                    struct bh_init: one_pass (the one-pass mode said
 *                    explicitly; refresh stays the interval).
 *
 * To change at the next major (each needs a break of the layout):
 *
 *   - struct bh_init.key_prefix is read by no plugin (keys arrive complete
 *     in struct bh_registration.key): drop it.
 *   - struct bh_init.expire duplicates bh_registration.ttl; it stays only
 *     because publisher-etcd must know the lease TTL before the first
 *     registration.  Name it for what it is (a lease / expiry hint).
 *   - container_down (by name) is superseded by container_gone (by id and
 *     name): keep one function, id optional.
 *   - struct bh_plugin.struct_size is uint32_t, every other size is size_t:
 *     one type.
 *   - struct bh_host_api.size is checked by no in-tree plugin: a plugin of
 *     minor N only runs under a core of minor >= N (the loader refuses it
 *     otherwise), so the field only serves plugins that want to run under
 *     older cores with fewer features.  Document that or drop it.
 *   - struct bh_host is one plugin instance (the plugin as one slot of
 *     the configuration names it), not a host: name it for that (e.g.
 *     struct bh_instance).  Noted 2026-12-06; the tag is in every
 *     plugin's source, so it waits for the break.
 *   - A value the original's flags (--docker-url, --redis-host, ...) put
 *     into a plugin's group is named by config_setting_source_file() and
 *     _line() (the SDK's "FILE:LINE:" messages): for the plugin to say
 *     "command line (--docker-url)", the core labels those libconfig
 *     fields.  Give the plugins the origin through the ABI instead (a
 *     host service origin_of(setting), used by sdk.h), so that the core
 *     no longer writes into libconfig's settings.  Noted 2026-12-06.
 *
 * Plugins never call core symbols directly: everything they need (logging,
 * timers, fd watches, emitting registrations) comes through the
 * struct bh_host_api table handed to init().  The daemon is therefore linked
 * without -export-dynamic and a plugin links only against the libraries it
 * uses itself.
 *
 * Threading: the core is single-threaded.  Every plugin function and every
 * callback runs on the core loop's thread and must never block.
 */
#ifndef BEACHHEAD_PLUGIN_H
#define BEACHHEAD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <libconfig.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BH_ABI_MAJOR 1
#define BH_ABI_MINOR 3

/* Name of the one data symbol every plugin exports. */
#define BH_PLUGIN_SYMBOL "beachhead_plugin"

/* Use on the definition of the exported symbol so that it stays visible when
 * the plugin is compiled with -fvisibility=hidden. */
#define BH_PLUGIN_EXPORT __attribute__((visibility("default")))

#if defined(__GNUC__)
#define BH_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define BH_PRINTF(fmt_index, first_arg)
#endif

enum bh_plugin_kind {
	BH_PLUGIN_INSPECTOR = 1, /* finds containers and their domain specs */
	BH_PLUGIN_PUBLISHER = 2  /* stores registrations (Redis, stdout, ...) */
};

enum bh_log_level {
	BH_LOG_ERROR = 0,
	BH_LOG_WARNING = 1,
	BH_LOG_INFO = 2,
	BH_LOG_DEBUG = 3
};

/* Flags for fd watches (bit set). */
#define BH_EV_READ 0x1u
#define BH_EV_WRITE 0x2u
#define BH_EV_ERROR 0x4u /* delivered only: hang-up or error on the fd */

/* Opaque handles owned by the core. */
struct bh_host;  /* one per plugin instance; identifies the caller */
struct bh_timer; /* a re-armable one-shot timer */
struct bh_watch; /* an fd registered with the core loop */

struct bh_metric; /* one metric series (ABI 1.3) */

typedef void (*bh_timer_cb)(void *arg);
typedef void (*bh_watch_cb)(void *arg, int fd, unsigned events);
/* One withdrawal a retiring publisher still owes its store (ABI 1.2). */
typedef void (*bh_withdrawal_cb)(void *arg, const char *key, const char *container);

/*
 * One published port of a container as the engine reports it (ABI 1.2): the
 * facts, which the core applies to the parsed domain specs.  Frozen: a new
 * fact needs a new array in struct bh_container.
 */
struct bh_port_binding {
	unsigned container_port; /* e.g. 80 */
	const char *proto;       /* "tcp", "udp", "sctp" */
	const char *host_ip;     /* "0.0.0.0", "::", "" or NULL: every address;
				  * "127.0.0.1" / "::1": loopback; else that address */
	unsigned host_port;      /* e.g. 8080 */
};

/* Kinds of metric a plugin registers (ABI 1.3), as Prometheus knows them. */
enum bh_metric_type {
	BH_METRIC_COUNTER = 0,  /* only grows: name it ..._total */
	BH_METRIC_GAUGE = 1,    /* goes up and down */
	BH_METRIC_HISTOGRAM = 2 /* observations counted into buckets */
};

/* One label of a metric series (ABI 1.3).  Frozen. */
struct bh_metric_label {
	const char *name;
	const char *value;
};

/*
 * What an inspector reports about one running container.  All strings are
 * borrowed for the duration of the call only; the core copies what it keeps.
 */
struct bh_container {
	size_t size;             /* sizeof(struct bh_container) of the caller */
	const char *name;        /* container name, no leading '/' */
	const char *id;          /* engine id, may be NULL */
	const char *address;     /* host to put into the registration */
	const char *specs;       /* raw domain specs; NULL = variable/label absent */
	const char *spec_source; /* for messages, e.g. "env BEACHHEAD_DOMAINS" */
	int explicitly_named;    /* named on the command line / in config */
	/* --- ABI 1.1 (NULL / 0 for the core when a 1.0 inspector reports) --- */
	const char *const *labels;   /* "key=value" strings, NULL-terminated; may be NULL */
	const char *const *networks; /* names of its networks, NULL-terminated; may be NULL */
	int64_t created_ns;          /* creation time, ns since the epoch; 0 = unknown */
	/* --- ABI 1.2 (0 / NULL for the core when an older inspector reports) --- */
	/* Published-port mode: a proxy reaches the container through the host
	 * ports it publishes, not at its own address.  The core maps each
	 * domain's container ports through `bindings`: a port published on
	 * every address is reached at `address` (the host's advertised
	 * address), one published on a specific address at that address; one
	 * published only on loopback, or not at all, is left out with a
	 * warning.  0: `address` reaches the container ports themselves. */
	int ports_published;
	const struct bh_port_binding *bindings; /* n_bindings entries */
	size_t n_bindings;
};

/* Size of struct bh_container in ABI 1.0 (before labels): the minimum. */
#define BH_CONTAINER_SIZE_1_0 offsetof(struct bh_container, labels)
/* Size of struct bh_container in ABI 1.1 (up to created_ns). */
#define BH_CONTAINER_SIZE_1_1 (offsetof(struct bh_container, created_ns) + sizeof(int64_t))

/*
 * One registration as handed to publishers.  The key and the JSON value are
 * the consumer contract (see README): publishers store them unchanged.
 */
struct bh_registration {
	size_t size;
	const char *key;       /* key prefix + container name */
	const char *container; /* container name, for messages */
	const char *value;     /* JSON array, NUL-terminated */
	size_t value_len;      /* strlen(value) */
	unsigned ttl;          /* seconds; 0 = no expiry */
};

/*
 * Services the core offers to plugins.  Every function takes the caller's own
 * struct bh_host handle (from struct bh_init).  Append-only.
 */
struct bh_host_api {
	uint32_t abi_major;
	uint32_t abi_minor;
	size_t size; /* sizeof(struct bh_host_api) of the core */

	/* Logging: one line, the core adds timestamp, level and plugin name. */
	void (*log)(struct bh_host *host, enum bh_log_level level, const char *fmt, ...)
		BH_PRINTF(3, 4);

	/* Timers: persistent handles, one-shot when armed; arming an armed
	 * timer re-arms it.  A timer may be disarmed or freed from any
	 * callback, including its own. */
	struct bh_timer *(*timer_new)(struct bh_host *host, bh_timer_cb cb, void *arg);
	int (*timer_arm)(struct bh_host *host, struct bh_timer *timer, uint64_t delay_ms);
	void (*timer_disarm)(struct bh_host *host, struct bh_timer *timer);
	void (*timer_free)(struct bh_host *host, struct bh_timer *timer);

	/* Fd watches: events is a BH_EV_READ|BH_EV_WRITE mask (0 = paused).
	 * A watch may be changed or removed from any callback. */
	struct bh_watch *(*watch_add)(struct bh_host *host, int fd, unsigned events,
				       bh_watch_cb cb, void *arg);
	int (*watch_set)(struct bh_host *host, struct bh_watch *watch, unsigned events);
	void (*watch_remove)(struct bh_host *host, struct bh_watch *watch);

	/* Monotonic milliseconds. */
	uint64_t (*now_ms)(struct bh_host *host);

	/* --- inspector -> core --- */
	/* A container runs (or changed): the core parses its specs and
	 * publishes or withdraws its registration. */
	void (*container_up)(struct bh_host *host, const struct bh_container *container);
	/* A container stopped, died, was removed or renamed away: withdraw. */
	void (*container_down)(struct bh_host *host, const char *name, const char *reason);
	/* An explicitly named container does not exist or does not run. */
	void (*container_missing)(struct bh_host *host, const char *name, const char *reason);
	/* A full resync pass begins / ends.  A complete pass lets the core
	 * withdraw registrations of containers the pass did not see (healing
	 * missed events); complete = 0 (engine unreachable) withdraws nothing. */
	void (*pass_begin)(struct bh_host *host);
	void (*pass_end)(struct bh_host *host, int complete);

	/* --- any plugin -> core --- */
	/* An error the operator must see; counts towards a non-zero exit status
	 * in one-pass mode.  container may be NULL. */
	void (*report_error)(struct bh_host *host, const char *container, const char *fmt, ...)
		BH_PRINTF(3, 4);
	/* Short live status text (systemd STATUS=, logs). */
	void (*set_status)(struct bh_host *host, const char *text);

	/* --- publisher -> core --- */
	/* Call this publisher's publish() for every current registration (for
	 * example after a reconnect to an emptied store).  The calls happen
	 * from the loop shortly after, never from inside this call. */
	void (*request_replay)(struct bh_host *host);

	/* --- ABI 1.2 --- */
	/* One effective setting of this plugin, for `--check-config --verbose`
	 * (which lists every setting, its value and where the value came
	 * from, like `sshd -T`).  Call it from init() for each setting the
	 * plugin knows, given or not: value as text (NULL: unset); given: the
	 * setting in args->config when the configuration has it (the core
	 * names its file:line, or the command-line option that set it), else
	 * NULL and origin_if_absent says where the value came from
	 * ("default", "environment (DOCKER_HOST)").  A no-op unless the
	 * listing was asked for.  A 1.2 plugin never runs under an older core
	 * (the loader refuses its abi_minor), so it need not check api->size. */
	void (*describe_setting)(struct bh_host *host, const char *name, const char *value,
				 const config_setting_t *given, const char *origin_if_absent);

	/* Like container_down, but only when the registration under `name`
	 * belongs to container `id` (or to a container of unknown id): an
	 * answer about an old container never withdraws a new one that took
	 * over its name meanwhile. */
	void (*container_gone)(struct bh_host *host, const char *id, const char *name,
			       const char *reason);
	/* During a full pass: container `id` runs, but what it is could not be
	 * read this time (slow or failing engine, oversized document).  Its
	 * current registration, if it belongs to `id`, is kept through the
	 * pass's sweep: a registration is withdrawn on evidence, never because
	 * the engine did not answer. */
	void (*container_keep)(struct bh_host *host, const char *id, const char *name);

	/* --- ABI 1.3 --- */
	/* Metrics, served by the core on /metrics when metrics_listen is set
	 * (docs/metrics.md names the ones in-tree plugins keep).  Register
	 * each series from start() and keep the handle: metric_register
	 * returns NULL when metrics are off or the metric is refused (a bad
	 * name, a name already used with another type or labels: logged), and
	 * the other three accept NULL, so the plugin never checks.  name
	 * follows Prometheus (beachhead_..., units in the name, counters end
	 * in _total); labels (n_labels of them, may be NULL) are copied; the
	 * core adds publisher="NAME[i]" to a publisher's series.  Two
	 * registrations of the same name and labels share one series (a
	 * counter carries on across a reload).  Histograms: bucket upper
	 * bounds, strictly increasing (n_buckets 0: 1 ms .. 10 s).  Handles
	 * are the core's: they go when the plugin is destroyed. */
	struct bh_metric *(*metric_register)(struct bh_host *host, enum bh_metric_type type,
					     const char *name, const char *help,
					     const struct bh_metric_label *labels, size_t n_labels,
					     const double *buckets, size_t n_buckets);
	/* Counter: adds value (>= 0); gauge: adds value (may be negative). */
	void (*metric_add)(struct bh_host *host, struct bh_metric *metric, double value);
	/* Gauge: sets value. */
	void (*metric_set)(struct bh_host *host, struct bh_metric *metric, double value);
	/* Histogram: one observation. */
	void (*metric_observe)(struct bh_host *host, struct bh_metric *metric, double value);
};

/* Size of struct bh_host_api in ABI 1.1 (before describe_setting). */
#define BH_HOST_API_SIZE_1_1 offsetof(struct bh_host_api, describe_setting)
/* Size of struct bh_host_api in ABI 1.2 (before metric_register). */
#define BH_HOST_API_SIZE_1_2 offsetof(struct bh_host_api, metric_register)

/* Everything a plugin gets at init().  Borrowed: valid until destroy(). */
struct bh_init {
	size_t size;
	const struct bh_host_api *api;
	struct bh_host *host;
	/* The plugin's own libconfig group (never NULL; empty when the
	 * configuration gives none).  libconfig owns its strings: copy what
	 * you keep. */
	const config_setting_t *config;
	const char *config_file; /* for messages; "(built-in defaults)" if none */
	const char *instance;    /* e.g. "publishers[1]", for messages */

	/* Global settings. */
	const char *key_prefix; /* where keys live: key_prefix [+ host_id + "/"] */
	unsigned expire;  /* seconds, 0 = no expiry */
	unsigned refresh; /* seconds; 0 in one-pass mode (see one_pass) */
	/* Containers named explicitly (NULL-terminated; may be empty). */
	const char *const *containers;
	int enumerate; /* also enumerate all running containers */

	/* --- ABI 1.3 --- */
	/* The host id (NULL: none, keys are key_prefix + container).  With one,
	 * key_prefix above is the daemon's own namespace, and a publisher that
	 * can claim it (BH_OWNER_KEY below) does so before it writes or sweeps
	 * there: one daemon per host id. */
	const char *host_id;
	/* A directory the daemon may write and that survives restarts (e.g. a
	 * lease id to resume); NULL when there is none usable.  Name files
	 * after the instance so that two publishers never share one. */
	const char *state_dir;
	/* This daemon's identity: owner_token is the same across restarts when
	 * state_dir is usable; owner_record ("hostname=H machine_id=M pid=P
	 * since=T token=X") is the value of a claim.  sdk.h reads records.
	 * NULL for --check-config. */
	const char *owner_token;
	const char *owner_record;
	/* The daemon runs one pass and exits (--refresh 0 or a one-pass run):
	 * publish, withdraw nothing, keep no watch.  Say so by this flag, not
	 * by refresh == 0. */
	int one_pass;
};

/* The key of a namespace's claim is key_prefix (the namespace) + this: '@'
 * is in no container name, so it never collides with a registration, and
 * consumers (the shipped confd recipes) skip it. */
#define BH_OWNER_KEY "@owner"

/* Return codes of plugin functions. */
#define BH_OK 0
#define BH_ERR (-1)

/*
 * The exported symbol table.  The first four fields are frozen forever.
 */
struct bh_plugin {
	/* --- frozen --- */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size; /* sizeof(struct bh_plugin) the plugin was built with */
	uint32_t kind;        /* enum bh_plugin_kind */

	const char *name;    /* e.g. "publisher-redis" */
	const char *version; /* the plugin's own version */
	const char *description;

	/* Lifecycle (all required).
	 * init: parse own config, allocate; no I/O.  Report bad settings with
	 *       file:line through api->log and return BH_ERR.
	 * start: open connections, register fds/timers.  Failing to reach a
	 *       server is not an error here: retry from the loop.
	 * stop: stop producing work; publishers keep flushing what is pending.
	 *       The core may call an inspector's stop() from inside its own
	 *       pass_end() (a one-pass run ends there).  An inspector stopped
	 *       mid-pass need not end the pass.  After stop(), the core
	 *       ignores an inspector's container_* and pass_* calls.
	 * destroy: release everything; no callbacks after it returns. */
	int (*init)(const struct bh_init *args, void **self);
	int (*start)(void *self);
	void (*stop)(void *self);
	void (*destroy)(void *self);

	/* Inspector (required for BH_PLUGIN_INSPECTOR): start a full pass over
	 * the configured containers; report each through container_up /
	 * container_missing between pass_begin and pass_end.  Asynchronous. */
	int (*resync)(void *self);

	/* Publisher (required for BH_PLUGIN_PUBLISHER). Asynchronous: queue
	 * and return; failures are reported through report_error. */
	int (*publish)(void *self, const struct bh_registration *registration);
	int (*withdraw)(void *self, const char *key, const char *container);
	/* Operations queued but not yet acknowledged by the store.  The core
	 * waits (bounded, 5 s) for 0 before exiting, and before a reload
	 * replaces this publisher, so that its withdrawals land first. */
	size_t (*pending)(void *self);

	/* --- ABI 1.2 (NULL for the core when a 1.0 / 1.1 plugin is loaded) --- */
	/* Optional (NULL = this store cannot list its keys).  The daemon owns
	 * every key that starts with `namespace` (key_prefix + host_id + "/"):
	 * delete those this publisher does not hold as a current registration
	 * (published and not withdrawn since), e.g. left by a crash or by a
	 * withdrawal lost while the store was down.  Never touch a key outside
	 * the namespace.  Called after every complete pass when a host id is
	 * set.  Asynchronous, like publish(). */
	int (*sweep)(void *self, const char *namespace_prefix);

	/* Optional (may be NULL).  A reload retires this publisher (after its
	 * flush period): call cb once for every withdrawal it still owes the
	 * store (a DEL that could not be delivered), then forget them.  The
	 * core hands each to the publisher that replaces this one (same
	 * plugin) through its withdraw(), unless the key is registered again.
	 * container may be NULL.  Without it, such withdrawals are lost. */
	void (*hand_over_withdrawals)(void *self, bh_withdrawal_cb cb, void *arg);
};

/* Size of struct bh_plugin in ABI 1.0: the minimum the core accepts. */
#define BH_PLUGIN_SIZE_1_0 (offsetof(struct bh_plugin, pending) + sizeof(size_t (*)(void *)))
/* Size of struct bh_plugin in ABI 1.1 (the same as 1.0). */
#define BH_PLUGIN_SIZE_1_1 BH_PLUGIN_SIZE_1_0
/* Size of struct bh_plugin in ABI 1.2 (up to hand_over_withdrawals). */
#define BH_PLUGIN_SIZE_1_2                                                                         \
	(offsetof(struct bh_plugin, hand_over_withdrawals) +                                       \
	 sizeof(void (*)(void *, bh_withdrawal_cb, void *)))

#ifdef __cplusplus
}
#endif

#endif /* BEACHHEAD_PLUGIN_H */
