/*
 * What Prometheus' client libraries call the process metrics, read from
 * /proc (Linux): resident memory, CPU time, open and allowed fds, start time.
 */
#ifndef BH_PROCESS_STATS_H
#define BH_PROCESS_STATS_H

struct process_stats {
	double resident_bytes;
	double cpu_seconds; /* user + system */
	double open_fds;
	double max_fds;            /* the soft RLIMIT_NOFILE */
	double start_time_seconds; /* since the epoch */
};

/* 0, or -1 when /proc could not be read (the fields read stay set). */
int process_stats_read(struct process_stats *out);

#endif
