#include "config.h"

#include "config_preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <beachhead/sdk.h>

/* libconfig's own limit; deeper nesting is its error to report. */
#define MAX_INCLUDE_DEPTH 10

struct preflight {
	size_t max;    /* bytes allowed in all files together */
	size_t budget; /* bytes still allowed */
	char **error;
};

/* Sets the error, taking msg (which may be NULL when out of memory). */
static int refuse(struct preflight *pf, const char *where, unsigned line, char *msg)
{
	*pf->error = line ? bh_strfmt("%s:%u: %s", where, line, msg ? msg : "out of memory")
			  : bh_strfmt("%s: %s", where, msg ? msg : "out of memory");
	free(msg);
	return -1;
}

static bool is_dev_null(const struct stat *st)
{
	struct stat null;
	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	       null.st_rdev == st->st_rdev;
}

/* Reads a regular file of at most pf->budget bytes; opening never blocks (a
 * FIFO opened O_NONBLOCK returns at once and is then refused by fstat). */
static char *read_regular(struct preflight *pf, const char *path, const char *from,
			  unsigned from_line)
{
	const char *where = from ? from : path;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		refuse(pf, where, from_line, from ? bh_strfmt("cannot open %s: %s", path, strerror(errno))
						  : bh_strfmt("cannot open: %s", strerror(errno)));
		return NULL;
	}
	struct stat st;
	char *text = NULL;
	if (fstat(fd, &st) < 0) {
		refuse(pf, where, from_line, bh_strfmt("cannot stat %s: %s", path, strerror(errno)));
	} else if (is_dev_null(&st)) {
		/* "-c /dev/null": no settings, every default. */
		text = strdup("");
		if (!text)
			refuse(pf, where, from_line, NULL);
	} else if (!S_ISREG(st.st_mode)) {
		const char *kind = S_ISDIR(st.st_mode)	  ? "a directory"
				   : S_ISFIFO(st.st_mode) ? "a FIFO"
							  : "a device or socket";
		refuse(pf, where, from_line,
		       bh_strfmt("%s is %s, not a regular file; the configuration and its @include "
				 "files must be regular files",
				 path, kind));
	} else if ((size_t)st.st_size > pf->budget) {
		refuse(pf, where, from_line,
		       bh_strfmt("%s makes the configuration larger than %zu bytes (all its files "
				 "together), the most this daemon reads",
				 path, pf->max));
	} else if (!(text = malloc((size_t)st.st_size + 1))) {
		refuse(pf, where, from_line, NULL);
	} else {
		size_t len = 0;
		while (len < (size_t)st.st_size) {
			ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		text[len] = '\0';
		pf->budget -= len;
	}
	close(fd);
	return text;
}

/* The quoted name of an "@include" line (libconfig only honours it at the
 * start of a line), with libconfig's escapes undone; NULL when line is no
 * include.  *bad is set when it is one but cannot be decoded. */
static char *include_target(const char *line, bool *bad)
{
	*bad = false;
	line += strspn(line, " \t");
	if (strncmp(line, "@include", 8) != 0 || (line[8] != ' ' && line[8] != '\t'))
		return NULL;
	line += 8;
	line += strspn(line, " \t");
	if (*line != '"') {
		*bad = true;
		return NULL;
	}
	line++;
	size_t end = 0;
	while (line[end] && line[end] != '"' && line[end] != '\n')
		end += line[end] == '\\' && line[end + 1] ? 2 : 1;
	char *name = malloc(end + 1);
	if (!name || line[end] != '"') {
		free(name);
		*bad = true;
		return NULL;
	}
	size_t n = 0;
	for (size_t i = 0; i < end; i++) {
		if (line[i] == '\\') {
			i++;
			name[n++] = line[i] == 'n' ? '\n' : line[i] == 't' ? '\t' : line[i];
		} else {
			name[n++] = line[i];
		}
	}
	name[n] = '\0';
	return name;
}

static int check_file(struct preflight *pf, const char *path, const char *from, unsigned from_line,
		      int depth);

/* Walks the lines of text, skipping block comments, and checks every include. */
static int check_includes(struct preflight *pf, const char *path, const char *text, int depth)
{
	bool in_comment = false;
	unsigned line_no = 0;
	for (const char *line = text; *line;) {
		const char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);
		line_no++;
		bool bad = false;
		char *target = in_comment ? NULL : include_target(line, &bad);
		if (bad)
			return refuse(pf, path, line_no, bh_strfmt("cannot read the file name of this @include"));
		if (target) {
			int rc = depth >= MAX_INCLUDE_DEPTH ? 0 : check_file(pf, target, path, line_no, depth + 1);
			free(target);
			if (rc < 0)
				return -1;
		}
		/* Block comments may span lines; an @include inside one is text. */
		for (size_t i = 0; i + 1 < len; i++) {
			if (!in_comment && line[i] == '/' && line[i + 1] == '*')
				in_comment = true, i++;
			else if (in_comment && line[i] == '*' && line[i + 1] == '/')
				in_comment = false, i++;
		}
		line = next ? next + 1 : line + len;
	}
	return 0;
}

static int check_file(struct preflight *pf, const char *path, const char *from, unsigned from_line,
		      int depth)
{
	char *text = read_regular(pf, path, from, from_line);
	if (!text)
		return -1;
	int rc = check_includes(pf, path, text, depth);
	free(text);
	return rc;
}

int config_preflight(const char *path, size_t max_total, char **error)
{
	struct preflight pf = {max_total, max_total, error};
	*error = NULL;
	int rc = check_file(&pf, path, NULL, 0, 0);
	if (rc < 0 && !*error)
		*error = bh_strfmt("%s: out of memory", path);
	return rc;
}
