/*
 * The daemon's single-threaded event loop: epoll for fd readiness, one
 * timerfd per timer, signalfd for signals.  Nothing here blocks except
 * epoll_wait itself.
 */
#ifndef BH_LOOP_H
#define BH_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

struct loop;

typedef void (*loop_signal_cb)(void *arg, int signo);

struct loop *loop_new(void);
/* Frees the loop and every timer and watch still registered. */
void loop_free(struct loop *loop);

/* Runs until loop_quit(); returns 0, or -1 when epoll itself fails. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop);

uint64_t loop_now_ms(void);

struct bh_timer *loop_timer_new(struct loop *loop, bh_timer_cb cb, void *arg);
int loop_timer_arm(struct bh_timer *timer, uint64_t delay_ms);
void loop_timer_disarm(struct bh_timer *timer);
bool loop_timer_armed(const struct bh_timer *timer);
void loop_timer_free(struct bh_timer *timer);

struct bh_watch *loop_watch_add(struct loop *loop, int fd, unsigned events, bh_watch_cb cb,
				  void *arg);
int loop_watch_set(struct bh_watch *watch, unsigned events);
void loop_watch_remove(struct bh_watch *watch);

/* Blocks the signals and delivers them through the loop. */
int loop_signals(struct loop *loop, const int *signals, int count, loop_signal_cb cb, void *arg);

#endif
