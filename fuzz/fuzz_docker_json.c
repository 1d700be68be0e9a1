/*
 * Fuzz target: the Docker Engine documents inspector-docker reads.  The first
 * byte picks the parser (version, container list, inspect, event line), the
 * rest is the document.  The parsers must never crash and must either fill
 * their result or return an error message.
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "docker_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	char *error = NULL;
	int rc = 0;
	switch (data[0] % 4) {
	case 0: {
		char *version = NULL;
		rc = dk_parse_version(body, len, &version, &error);
		free(version);
		break;
	}
	case 1: {
		struct dk_container *list = NULL;
		size_t count = 0;
		rc = dk_parse_list(body, len, "beachhead.domains", 4096, &list, &count, &error);
		if (rc == 0)
			dk_list_free(list, count);
		break;
	}
	case 2: {
		struct dk_container c = {0};
		rc = dk_parse_inspect(body, len, "BEACHHEAD_DOMAINS", "beachhead.domains", &c, &error);
		if (rc == 0)
			dk_container_free(&c);
		break;
	}
	case 3: {
		struct dk_event e = {0};
		rc = dk_parse_event(body, len, &e, &error);
		if (rc == 0)
			dk_event_free(&e);
		break;
	}
	}
	if (rc != 0 && !error)
		abort(); /* every refusal explains itself */
	free(error);
	free(dk_error_message(body, len));
	return 0;
}
