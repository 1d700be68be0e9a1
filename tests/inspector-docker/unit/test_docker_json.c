/*
 * Unit tests of inspector-docker's reader of the engine's documents
 * (plugins/inspector-docker/docker_json.c): /version, /containers/json,
 * inspect and event documents shaped as Docker and Podman write them, each
 * field the plugin extracts, and malformed or hostile input (truncated,
 * mistyped, out of range), which must give an error message or leave the
 * field out, never a crash.  The fuzzer (fuzz/fuzz_docker_json.c) only
 * checks that nothing crashes; this checks what is read.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "docker_json.h"

#define LEN(s) strlen(s)

/* --- /version --- */

/* Docker Engine 24 (trimmed to what differs between engines). */
static const char docker_version[] =
	"{\"Platform\":{\"Name\":\"Docker Engine - Community\"},"
	"\"Components\":[{\"Name\":\"Engine\",\"Version\":\"24.0.7\","
	"\"Details\":{\"ApiVersion\":\"1.43\",\"MinAPIVersion\":\"1.12\"}}],"
	"\"Version\":\"24.0.7\",\"ApiVersion\":\"1.43\",\"MinAPIVersion\":\"1.12\","
	"\"GitCommit\":\"311b9ff\",\"GoVersion\":\"go1.20.10\",\"Os\":\"linux\",\"Arch\":\"amd64\"}";

/* Podman 4's compatible API: no Platform, its own name in Components. */
static const char podman_version[] =
	"{\"Platform\":{\"Name\":\"linux/amd64/debian-12\"},"
	"\"Components\":[{\"Name\":\"Podman Engine\",\"Version\":\"4.3.1\"}],"
	"\"Version\":\"4.3.1\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.24\"}";

START_TEST(test_version_docker)
{
	char *v = NULL, *error = NULL;
	ck_assert_int_eq(dk_parse_version(docker_version, LEN(docker_version), &v, &error), 0);
	ck_assert_str_eq(v, "1.43");
	ck_assert_ptr_null(error);
	free(v);
	char *min = dk_parse_min_version(docker_version, LEN(docker_version));
	ck_assert_str_eq(min, "1.12");
	free(min);
	char *engine = dk_parse_engine_version(docker_version, LEN(docker_version));
	ck_assert_str_eq(engine, "Docker Engine - Community 24.0.7");
	free(engine);
}
END_TEST

START_TEST(test_version_podman)
{
	char *v = NULL, *error = NULL;
	ck_assert_int_eq(dk_parse_version(podman_version, LEN(podman_version), &v, &error), 0);
	ck_assert_str_eq(v, "1.41");
	free(v);
	/* The Platform's name is not a product name when Components says
	 * who it is. */
	char *engine = dk_parse_engine_version(podman_version, LEN(podman_version));
	ck_assert_str_eq(engine, "Podman Engine 4.3.1");
	free(engine);
}
END_TEST

START_TEST(test_version_without_api_version)
{
	static const char doc[] = "{\"Version\":\"1.9.1\"}";
	char *v = (char *)1, *error = NULL;
	ck_assert_int_eq(dk_parse_version(doc, LEN(doc), &v, &error), 0);
	ck_assert_ptr_null(v); /* unversioned paths */
	ck_assert_ptr_null(dk_parse_min_version(doc, LEN(doc)));
	char *engine = dk_parse_engine_version(doc, LEN(doc));
	ck_assert_str_eq(engine, "engine 1.9.1");
	free(engine);
}
END_TEST

/* The API version goes into every request path: MAJOR.MINOR only. */
START_TEST(test_version_hostile)
{
	static const char *const bad[] = {
		"{\"ApiVersion\":\"1.41/../../containers\"}",
		"{\"ApiVersion\":\"1\"}",
		"{\"ApiVersion\":\"12345.1\"}",
		"{\"ApiVersion\":\"1.12345\"}",
		"{\"ApiVersion\":\"1.41 \"}",
		"{\"ApiVersion\":\".41\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *v = NULL, *error = NULL;
		ck_assert_int_eq(dk_parse_version(bad[i], strlen(bad[i]), &v, &error), -1);
		ck_assert_ptr_null(v);
		ck_assert_ptr_nonnull(strstr(error, "is not MAJOR.MINOR"));
		free(error);
	}
	/* A MinAPIVersion that is not MAJOR.MINOR is ignored, not used. */
	static const char min[] = "{\"ApiVersion\":\"1.44\",\"MinAPIVersion\":\"1.24/x\"}";
	ck_assert_ptr_null(dk_parse_min_version(min, LEN(min)));
	/* A mistyped ApiVersion counts as absent. */
	static const char typed[] = "{\"ApiVersion\":1.41}";
	char *v = (char *)1, *error = NULL;
	ck_assert_int_eq(dk_parse_version(typed, LEN(typed), &v, &error), 0);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_malformed_documents)
{
	static const char *const bad[] = {"", "{", "{\"ApiVersion\":\"1.4", "[1,2", "nul", "{\"a\":}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *v = NULL, *error = NULL;
		ck_assert_int_eq(dk_parse_version(bad[i], strlen(bad[i]), &v, &error), -1);
		ck_assert_ptr_nonnull(strstr(error, "malformed JSON from the engine"));
		free(error);
		struct dk_container c;
		error = NULL;
		ck_assert_int_eq(dk_parse_inspect(bad[i], strlen(bad[i]), "BEACHHEAD_DOMAINS", NULL, &c,
						  &error),
				 -1);
		ck_assert_ptr_nonnull(error);
		free(error);
		struct dk_event ev;
		error = NULL;
		ck_assert_int_eq(dk_parse_event(bad[i], strlen(bad[i]), &ev, &error), -1);
		ck_assert_ptr_nonnull(error);
		free(error);
	}
	/* Cut in the middle of a document: said as such. */
	char *v = NULL, *error = NULL;
	ck_assert_int_eq(dk_parse_version(docker_version, 40, &v, &error), -1);
	ck_assert_str_eq(error, "malformed JSON from the engine: document ends early");
	free(error);
}
END_TEST

/* --- /containers/json --- */

static const char listing[] =
	"[{\"Id\":\"8dfafdbc3a40\",\"Names\":[\"/web\"],\"Image\":\"nginx\",\"Created\":1795552572,"
	"\"Ports\":[{\"PrivatePort\":443,\"Type\":\"tcp\"},"
	"{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},"
	"{\"IP\":\"::\",\"PrivatePort\":53,\"PublicPort\":5353,\"Type\":\"udp\"}],"
	"\"Labels\":{\"beachhead.domains\":\"web.example.com\",\"tier\":\"front\"},"
	"\"State\":\"running\",\"Status\":\"Up 3 minutes (healthy)\","
	"\"NetworkSettings\":{\"Networks\":{\"front\":{\"IPAddress\":\"172.31.1.2\"},"
	"\"bridge\":{\"IPAddress\":\"172.17.0.2\"}}}},"
	"{\"Names\":[\"/no-id\"],\"State\":\"running\"},"
	"{\"Id\":\"9c1e\",\"Names\":[\"/sleepy\"],\"State\":\"paused\","
	"\"Status\":\"Up 1 hour (Paused)\",\"Labels\":{}},"
	"{\"Id\":\"a77b\",\"Names\":[],\"State\":\"running\",\"Status\":\"Up 2 seconds (health: starting)\"}]";

START_TEST(test_list)
{
	struct dk_container *list = NULL;
	size_t n = 0;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_list(listing, LEN(listing), "beachhead.domains", 4096, &list, &n,
				       &error),
			 0);
	ck_assert_uint_eq(n, 3); /* the entry without Id is left out */
	const struct dk_container *web = &list[0];
	ck_assert(web->from_listing);
	ck_assert(!web->too_large);
	ck_assert_str_eq(web->id, "8dfafdbc3a40");
	ck_assert_str_eq(web->name, "web");
	ck_assert(web->running && !web->paused);
	ck_assert_str_eq(web->status, "running");
	ck_assert_str_eq(web->health, "healthy");
	ck_assert_str_eq(web->label_spec, "web.example.com");
	ck_assert_ptr_null(web->env_spec); /* a listing has no environment */
	ck_assert_ptr_null(web->top_ip);
	ck_assert(web->created_ns == INT64_C(1795552572) * 1000000000);
	/* Labels as key=value, in the document's order. */
	ck_assert_str_eq(web->labels[0], "beachhead.domains=web.example.com");
	ck_assert_str_eq(web->labels[1], "tier=front");
	ck_assert_ptr_null(web->labels[2]);
	/* Networks sorted by name. */
	ck_assert_uint_eq(web->n_networks, 2);
	ck_assert_str_eq(web->networks[0].name, "bridge");
	ck_assert_str_eq(web->networks[0].ip, "172.17.0.2");
	ck_assert_str_eq(web->networks[1].name, "front");
	ck_assert_str_eq(web->networks[1].ip, "172.31.1.2");
	/* Published ports only. */
	ck_assert_uint_eq(web->n_ports, 2);
	ck_assert_uint_eq(web->ports[0].container_port, 80);
	ck_assert_str_eq(web->ports[0].proto, "tcp");
	ck_assert_uint_eq(web->ports[0].host_port, 8080);
	ck_assert_str_eq(web->ports[0].host_ip, "0.0.0.0");
	ck_assert_uint_eq(web->ports[1].container_port, 53);
	ck_assert_str_eq(web->ports[1].proto, "udp");
	ck_assert_uint_eq(web->ports[1].host_port, 5353);
	ck_assert_str_eq(web->ports[1].host_ip, "::");

	const struct dk_container *sleepy = &list[1];
	ck_assert_str_eq(sleepy->name, "sleepy");
	ck_assert(sleepy->running && sleepy->paused);
	ck_assert_ptr_null(sleepy->health);
	ck_assert_ptr_null(sleepy->label_spec);
	ck_assert_ptr_nonnull(sleepy->labels);
	ck_assert_ptr_null(sleepy->labels[0]);

	/* No name: the id names it. */
	ck_assert_str_eq(list[2].name, "a77b");
	ck_assert_str_eq(list[2].health, "starting");
	ck_assert(list[2].created_ns == 0);
	dk_list_free(list, n);
}
END_TEST

/* labels off (label NULL): no label_spec, the labels still listed. */
START_TEST(test_list_labels_off)
{
	struct dk_container *list = NULL;
	size_t n = 0;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_list(listing, LEN(listing), NULL, 4096, &list, &n, &error), 0);
	ck_assert_ptr_null(list[0].label_spec);
	ck_assert_str_eq(list[0].labels[0], "beachhead.domains=web.example.com");
	dk_list_free(list, n);
}
END_TEST

/* One entry whose labels exceed the per-container limit is kept with
 * too_large and only id, name and state; the others are read whole. */
START_TEST(test_list_too_large_entry)
{
	char huge[600];
	memset(huge, 'x', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	char *doc = NULL;
	int len = asprintf(&doc,
			   "[{\"Id\":\"b1\",\"Names\":[\"/big\"],\"State\":\"running\","
			   "\"Labels\":{\"beachhead.domains\":\"big.example.com\",\"junk\":\"%s\"}},"
			   "{\"Id\":\"s1\",\"Names\":[\"/small\"],\"State\":\"running\","
			   "\"Labels\":{\"beachhead.domains\":\"small.example.com\"}}]",
			   huge);
	ck_assert_int_gt(len, 0);
	struct dk_container *list = NULL;
	size_t n = 0;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_list(doc, (size_t)len, "beachhead.domains", 512, &list, &n, &error), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(list[0].too_large);
	ck_assert_str_eq(list[0].id, "b1");
	ck_assert_str_eq(list[0].name, "big");
	ck_assert(list[0].running);
	ck_assert_ptr_null(list[0].label_spec);
	ck_assert_ptr_null(list[0].labels);
	ck_assert(!list[1].too_large);
	ck_assert_str_eq(list[1].label_spec, "small.example.com");
	dk_list_free(list, n);
	free(doc);
}
END_TEST

START_TEST(test_list_hostile)
{
	struct dk_container *list = (struct dk_container *)1;
	size_t n = 7;
	char *error = NULL;
	static const char object[] = "{\"message\":\"not a list\"}";
	ck_assert_int_eq(dk_parse_list(object, LEN(object), NULL, 4096, &list, &n, &error), -1);
	ck_assert_str_eq(error, "container list is not a JSON array");
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	free(error);
	/* Mistyped and out-of-range fields are left out, the entry stays. */
	static const char odd[] =
		"[{\"Id\":\"c1\",\"Names\":\"/not-an-array\",\"State\":\"exited\",\"Created\":-5,"
		"\"Labels\":{\"beachhead.domains\":7,\"ok\":\"1\"},"
		"\"Ports\":[{\"PrivatePort\":70000,\"PublicPort\":80},{\"PrivatePort\":80,\"PublicPort\":0},"
		"{\"PrivatePort\":\"80\",\"PublicPort\":\"8080\"},7,null],"
		"\"NetworkSettings\":{\"Networks\":{\"n\":{\"IPAddress\":\"\"},\"m\":[]}}},"
		"42,null,\"x\"]";
	ck_assert_int_eq(dk_parse_list(odd, LEN(odd), "beachhead.domains", 4096, &list, &n, &error), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].name, "c1");
	ck_assert(!list[0].running); /* exited */
	ck_assert(list[0].created_ns == 0);
	ck_assert_ptr_null(list[0].label_spec);
	ck_assert_str_eq(list[0].labels[0], "ok=1");
	ck_assert_ptr_null(list[0].labels[1]);
	ck_assert_uint_eq(list[0].n_ports, 0);
	ck_assert_uint_eq(list[0].n_networks, 2);
	ck_assert_str_eq(list[0].networks[0].name, "m");
	ck_assert_ptr_null(list[0].networks[0].ip);
	ck_assert_ptr_null(list[0].networks[1].ip); /* empty: no address */
	dk_list_free(list, n);
	/* An empty listing. */
	ck_assert_int_eq(dk_parse_list("[]", 2, NULL, 4096, &list, &n, &error), 0);
	ck_assert_uint_eq(n, 0);
	dk_list_free(list, n);
}
END_TEST

/* --- inspect --- */

static const char docker_inspect[] =
	"{\"Id\":\"8dfafdbc3a40f1e2\",\"Created\":\"2026-11-24T20:36:12.123456789Z\","
	"\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
	"\"Pid\":4242,\"Health\":{\"Status\":\"unhealthy\",\"FailingStreak\":3}},"
	"\"Config\":{\"Hostname\":\"8dfafdbc3a40\","
	"\"Env\":[\"PATH=/usr/bin\",\"BEACHHEAD_DOMAINS=old.example.com\",42,"
	"\"BEACHHEAD_DOMAINS_X=no\",\"BEACHHEAD_DOMAINS=web.example.com:8080\"],"
	"\"Labels\":{\"beachhead.domains\":\"label.example.com\",\"empty\":\"\"},"
	"\"StopSignal\":\"SIGQUIT\",\"StopTimeout\":30},"
	"\"NetworkSettings\":{\"IPAddress\":\"172.17.0.2\","
	"\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
	"{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"443/tcp\":null,\"53/udp\":[{\"HostIp\":\"\","
	"\"HostPort\":\"5353\"}],\"99999/tcp\":[{\"HostPort\":\"1\"}],\"81\":[{\"HostPort\":\"x\"}]},"
	"\"Networks\":{\"front\":{\"IPAddress\":\"172.31.1.2\"},\"bridge\":{\"IPAddress\":\"172.17.0.2\"}}}}";

START_TEST(test_inspect_docker)
{
	struct dk_container c;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_inspect(docker_inspect, LEN(docker_inspect), "BEACHHEAD_DOMAINS",
					  "beachhead.domains", &c, &error),
			 0);
	ck_assert(!c.from_listing && !c.too_large);
	ck_assert_str_eq(c.id, "8dfafdbc3a40f1e2");
	ck_assert_str_eq(c.name, "web");
	ck_assert(c.running && !c.paused);
	ck_assert_str_eq(c.status, "running");
	ck_assert_str_eq(c.health, "unhealthy");
	/* The last entry of a duplicated variable wins; a longer name with
	 * the same prefix is another variable. */
	ck_assert_str_eq(c.env_spec, "web.example.com:8080");
	ck_assert_str_eq(c.label_spec, "label.example.com");
	ck_assert_str_eq(c.labels[0], "beachhead.domains=label.example.com");
	ck_assert_str_eq(c.labels[1], "empty=");
	ck_assert_ptr_null(c.labels[2]);
	ck_assert(c.created_ns == INT64_C(1795552572) * 1000000000 + 123456789);
	ck_assert_str_eq(c.stop_signal, "SIGQUIT");
	ck_assert_int_eq(c.stop_timeout_s, 30);
	ck_assert_str_eq(c.top_ip, "172.17.0.2");
	ck_assert_uint_eq(c.n_networks, 2);
	ck_assert_str_eq(c.networks[0].name, "bridge");
	ck_assert_str_eq(c.networks[1].name, "front");
	ck_assert_str_eq(c.networks[1].ip, "172.31.1.2");
	/* Bindings with a valid host port, one per binding. */
	ck_assert_uint_eq(c.n_ports, 3);
	unsigned tcp80 = 0, udp53 = 0;
	for (size_t i = 0; i < c.n_ports; i++) {
		if (c.ports[i].container_port == 80) {
			ck_assert_str_eq(c.ports[i].proto, "tcp");
			ck_assert_uint_eq(c.ports[i].host_port, 8080);
			tcp80++;
		} else {
			ck_assert_uint_eq(c.ports[i].container_port, 53);
			ck_assert_str_eq(c.ports[i].proto, "udp");
			ck_assert_uint_eq(c.ports[i].host_port, 5353);
			ck_assert_ptr_null(c.ports[i].host_ip); /* empty: any */
			udp53++;
		}
	}
	ck_assert_uint_eq(tcp80, 2);
	ck_assert_uint_eq(udp53, 1);
	dk_container_free(&c);
}
END_TEST

/* Podman: State.Healthcheck, a Created with an offset, no variable. */
START_TEST(test_inspect_podman)
{
	static const char doc[] =
		"{\"Id\":\"f00d\",\"Created\":\"2026-11-24T20:36:12.5+01:00\",\"Name\":\"api\","
		"\"State\":{\"Status\":\"paused\",\"Running\":true,\"Paused\":true,"
		"\"Healthcheck\":{\"Status\":\"healthy\"}},"
		"\"Config\":{\"Env\":[\"HOME=/root\"],\"StopSignal\":\"15\",\"StopTimeout\":-1},"
		"\"NetworkSettings\":{\"IPAddress\":\"\",\"Networks\":{\"podman\":{\"IPAddress\":\"10.88.0.5\"}}}}";
	struct dk_container c;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_inspect(doc, LEN(doc), "BEACHHEAD_DOMAINS", "beachhead.domains",
					  &c, &error),
			 0);
	ck_assert_str_eq(c.name, "api");
	ck_assert(c.running && c.paused);
	ck_assert_str_eq(c.health, "healthy");
	ck_assert_ptr_null(c.env_spec);
	ck_assert_ptr_null(c.label_spec);
	ck_assert_ptr_nonnull(c.labels);
	ck_assert_ptr_null(c.labels[0]);
	ck_assert(c.created_ns == INT64_C(1795548972) * 1000000000 + 500000000);
	ck_assert_str_eq(c.stop_signal, "15");
	ck_assert_int_eq(c.stop_timeout_s, -1);
	ck_assert_ptr_null(c.top_ip);
	ck_assert_uint_eq(c.n_networks, 1);
	ck_assert_str_eq(c.networks[0].ip, "10.88.0.5");
	ck_assert_uint_eq(c.n_ports, 0);
	dk_container_free(&c);
}
END_TEST

START_TEST(test_inspect_hostile)
{
	static const char *const lacking[] = {
		"{\"Name\":\"/x\",\"State\":{}}",
		"{\"Id\":\"1\",\"State\":{}}",
		"{\"Id\":\"1\",\"Name\":\"/\",\"State\":{}}",
		"{\"Id\":\"1\",\"Name\":\"/x\",\"State\":\"running\"}",
		"{\"Id\":\"\",\"Name\":\"/x\",\"State\":{}}",
	};
	for (size_t i = 0; i < sizeof lacking / sizeof lacking[0]; i++) {
		struct dk_container c;
		char *error = NULL;
		ck_assert_int_eq(dk_parse_inspect(lacking[i], strlen(lacking[i]), "V", NULL, &c, &error), -1);
		ck_assert_str_eq(error, "inspect document lacks Id, Name or State");
		free(error);
	}
	struct dk_container c;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_inspect("[]", 2, "V", NULL, &c, &error), -1);
	ck_assert_str_eq(error, "inspect document is not a JSON object");
	free(error);
	/* Mistyped or absurd details are left out; the document is read. */
	static const char odd[] =
		"{\"Id\":\"1\",\"Name\":\"/x\",\"Created\":\"99999999-01-01T00:00:00Z\","
		"\"State\":{\"Running\":\"yes\",\"Health\":[]},"
		"\"Config\":{\"Env\":\"V=a\",\"Labels\":[],\"StopTimeout\":86401,\"StopSignal\":9},"
		"\"NetworkSettings\":{\"Ports\":[],\"Networks\":7}}";
	ck_assert_int_eq(dk_parse_inspect(odd, LEN(odd), "V", "l", &c, &error), 0);
	ck_assert(!c.running);
	ck_assert_ptr_null(c.health);
	ck_assert_ptr_null(c.env_spec);
	ck_assert_ptr_null(c.label_spec);
	ck_assert(c.created_ns == 0); /* a year that would overflow: unknown */
	ck_assert_int_eq(c.stop_timeout_s, -1);
	ck_assert_ptr_null(c.stop_signal);
	ck_assert_uint_eq(c.n_networks, 0);
	ck_assert_uint_eq(c.n_ports, 0);
	dk_container_free(&c);
	/* An offset west of UTC is added, not subtracted. */
	static const char west[] =
		"{\"Id\":\"1\",\"Name\":\"x\",\"State\":{},\"Created\":\"2026-11-24T20:36:12-05:30\"}";
	ck_assert_int_eq(dk_parse_inspect(west, LEN(west), "V", NULL, &c, &error), 0);
	ck_assert(c.created_ns == (INT64_C(1795552572) + 19800) * 1000000000);
	dk_container_free(&c);
	/* Created without a zone, or garbage: unknown, not guessed. */
	static const char local[] =
		"{\"Id\":\"1\",\"Name\":\"x\",\"State\":{},\"Created\":\"2026-11-24T20:36:12\"}";
	ck_assert_int_eq(dk_parse_inspect(local, LEN(local), "V", NULL, &c, &error), 0);
	ck_assert(c.created_ns == 0);
	dk_container_free(&c);
}
END_TEST

/* --- events --- */

START_TEST(test_event_container)
{
	static const char doc[] =
		"{\"status\":\"kill\",\"id\":\"8dfa\",\"from\":\"nginx\",\"Type\":\"container\","
		"\"Action\":\"kill\",\"Actor\":{\"ID\":\"8dfafdbc3a40\",\"Attributes\":{\"image\":\"nginx\","
		"\"name\":\"web\",\"signal\":\"15\"}},\"scope\":\"local\",\"time\":1795552572,"
		"\"timeNano\":1795552572000000000}";
	struct dk_event ev;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_event(doc, LEN(doc), &ev, &error), 0);
	ck_assert_str_eq(ev.action, "kill");
	ck_assert_str_eq(ev.id, "8dfafdbc3a40"); /* Actor.ID wins over the old id */
	ck_assert_str_eq(ev.name, "web");
	ck_assert_str_eq(ev.signal, "15");
	ck_assert_ptr_null(ev.old_name);
	ck_assert(!ev.network);
	dk_event_free(&ev);
}
END_TEST

START_TEST(test_event_rename_and_health)
{
	static const char rename[] =
		"{\"Type\":\"container\",\"Action\":\"rename\",\"Actor\":{\"ID\":\"c2\","
		"\"Attributes\":{\"name\":\"new\",\"oldName\":\"/old\"}}}";
	struct dk_event ev;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_event(rename, LEN(rename), &ev, &error), 0);
	ck_assert_str_eq(ev.action, "rename");
	ck_assert_str_eq(ev.name, "new");
	ck_assert_str_eq(ev.old_name, "old");
	dk_event_free(&ev);
	static const char health[] =
		"{\"Type\":\"container\",\"Action\":\"health_status: healthy\",\"Actor\":{\"ID\":\"c3\","
		"\"Attributes\":{\"name\":\"/db\"}}}";
	ck_assert_int_eq(dk_parse_event(health, LEN(health), &ev, &error), 0);
	ck_assert_str_eq(ev.action, "health_status: healthy");
	ck_assert_str_eq(ev.name, "db");
	ck_assert_ptr_null(ev.signal);
	dk_event_free(&ev);
}
END_TEST

START_TEST(test_event_network)
{
	static const char doc[] =
		"{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"net0\","
		"\"Attributes\":{\"container\":\"8dfafdbc3a40\",\"name\":\"front\",\"type\":\"bridge\"}}}";
	struct dk_event ev;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_event(doc, LEN(doc), &ev, &error), 0);
	ck_assert(ev.network);
	ck_assert_str_eq(ev.action, "connect");
	ck_assert_str_eq(ev.id, "8dfafdbc3a40"); /* the container, not the network */
	ck_assert_ptr_null(ev.name); /* the network's name is not a container's */
	dk_event_free(&ev);
	static const char created[] =
		"{\"Type\":\"network\",\"Action\":\"create\",\"Actor\":{\"ID\":\"net1\","
		"\"Attributes\":{\"name\":\"back\"}}}";
	ck_assert_int_eq(dk_parse_event(created, LEN(created), &ev, &error), 0);
	ck_assert(ev.network);
	ck_assert_ptr_null(ev.id);
	dk_event_free(&ev);
}
END_TEST

/* Docker < 1.22 and some Podman versions: status and id only. */
START_TEST(test_event_old_format)
{
	static const char doc[] = "{\"status\":\"die\",\"id\":\"c4\",\"from\":\"busybox\",\"time\":1}";
	struct dk_event ev;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_event(doc, LEN(doc), &ev, &error), 0);
	ck_assert_str_eq(ev.action, "die");
	ck_assert_str_eq(ev.id, "c4");
	ck_assert_ptr_null(ev.name);
	ck_assert(!ev.network);
	dk_event_free(&ev);
}
END_TEST

START_TEST(test_event_refused)
{
	static const char *const bad[] = {
		"{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"nginx\"}}",
		"{\"Type\":\"container\",\"Actor\":{\"ID\":\"c5\"}}",
		"{\"Type\":\"container\",\"Action\":\"\",\"Actor\":{\"ID\":\"c5\"}}",
		"[\"start\"]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dk_event ev;
		char *error = NULL;
		ck_assert_int_eq(dk_parse_event(bad[i], strlen(bad[i]), &ev, &error), -1);
		ck_assert_str_eq(error, "not a container or network event");
		free(error);
	}
	/* Mistyped attributes count as absent. */
	static const char odd[] =
		"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":5,"
		"\"Attributes\":{\"name\":[],\"signal\":9}}}";
	struct dk_event ev;
	char *error = NULL;
	ck_assert_int_eq(dk_parse_event(odd, LEN(odd), &ev, &error), 0);
	ck_assert_ptr_null(ev.id);
	ck_assert_ptr_null(ev.name);
	ck_assert_ptr_null(ev.signal);
	dk_event_free(&ev);
}
END_TEST

/* --- the rest --- */

START_TEST(test_error_message)
{
	static const char doc[] = "{\"message\":\"No such container: web\"}";
	char *m = dk_error_message(doc, LEN(doc));
	ck_assert_str_eq(m, "No such container: web");
	free(m);
	ck_assert_ptr_null(dk_error_message("", 0));
	ck_assert_ptr_null(dk_error_message("<html>502</html>", 16));
	ck_assert_ptr_null(dk_error_message("{\"message\":42}", 14));
	ck_assert_ptr_null(dk_error_message("{\"message\":\"\"}", 14));
}
END_TEST

START_TEST(test_version_cmp)
{
	ck_assert_int_lt(dk_version_cmp("1.41", "1.43"), 0);
	ck_assert_int_gt(dk_version_cmp("1.43", "1.41"), 0);
	ck_assert_int_eq(dk_version_cmp("1.43", "1.43"), 0);
	ck_assert_int_lt(dk_version_cmp("1.9", "1.10"), 0); /* numbers, not text */
	ck_assert_int_gt(dk_version_cmp("2.0", "1.99"), 0);
	ck_assert_int_lt(dk_version_cmp("1", "1.1"), 0);
}
END_TEST

static Suite *docker_json_suite(void)
{
	Suite *s = suite_create("docker_json");
	TCase *tc = tcase_create("documents");
	tcase_add_test(tc, test_version_docker);
	tcase_add_test(tc, test_version_podman);
	tcase_add_test(tc, test_version_without_api_version);
	tcase_add_test(tc, test_version_hostile);
	tcase_add_test(tc, test_malformed_documents);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_labels_off);
	tcase_add_test(tc, test_list_too_large_entry);
	tcase_add_test(tc, test_list_hostile);
	tcase_add_test(tc, test_inspect_docker);
	tcase_add_test(tc, test_inspect_podman);
	tcase_add_test(tc, test_inspect_hostile);
	tcase_add_test(tc, test_event_container);
	tcase_add_test(tc, test_event_rename_and_health);
	tcase_add_test(tc, test_event_network);
	tcase_add_test(tc, test_event_old_format);
	tcase_add_test(tc, test_event_refused);
	tcase_add_test(tc, test_error_message);
	tcase_add_test(tc, test_version_cmp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(docker_json_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
