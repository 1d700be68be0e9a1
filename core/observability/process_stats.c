#include "config.h"

#include "process_stats.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* utime, stime, starttime (ticks) and rss (pages) from /proc/self/stat,
 * whose second field (the command, in parentheses) may hold spaces. */
static int read_stat(double *cpu_ticks, double *start_ticks, double *rss_pages)
{
	char line[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return -1;
	char *ok = fgets(line, sizeof line, f);
	fclose(f);
	char *after = ok ? strrchr(line, ')') : NULL;
	unsigned long utime, stime;
	unsigned long long start;
	long rss;
	/* Fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime vsize rss */
	if (!after || sscanf(after + 1,
			     " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
			     "%*d %*d %llu %*u %ld",
			     &utime, &stime, &start, &rss) != 4)
		return -1;
	*cpu_ticks = (double)utime + (double)stime;
	*start_ticks = (double)start;
	*rss_pages = (double)rss;
	return 0;
}

static double boot_time(void)
{
	char line[256];
	double btime = 0;
	FILE *f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "btime %lf", &btime) == 1)
			break;
	if (f)
		fclose(f);
	return btime;
}

static double count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	double n = 0;
	for (struct dirent *e; (e = readdir(dir));)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own fd */
}

int process_stats_read(struct process_stats *out)
{
	memset(out, 0, sizeof *out);
	long ticks = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
		out->max_fds = limit.rlim_cur == RLIM_INFINITY ? -1 : (double)limit.rlim_cur;
	out->open_fds = count_fds();
	double cpu, start, rss;
	if (ticks <= 0 || page <= 0 || read_stat(&cpu, &start, &rss) < 0)
		return -1;
	out->cpu_seconds = cpu / (double)ticks;
	out->resident_bytes = rss * (double)page;
	out->start_time_seconds = boot_time() + start / (double)ticks;
	return out->open_fds < 0 ? -1 : 0;
}
