/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Poller threads: the one module that moves frames. Each runs to completion
 * over a fixed list of receive queues (port, queue), forwards what arrives
 * through the port interface (port.h) and sleeps when there is none,
 * according to the polling mode.
 */
#ifndef XVIO_POLLER_H
#define XVIO_POLLER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "offload.h"
#include "port.h"

struct daemon;

enum poll_mode { POLL_BUSY, POLL_ADAPTIVE, POLL_INTERRUPT };

/* How long a guest's transmit ring may wait for a full destination before
 * its frames are forwarded (and dropped for lack of room) again: a few
 * scheduler ticks, so a receiver that lost its CPU for a tick or two loses
 * nothing, and a stuck one holds its senders back no longer than this. */
#define POLL_BLOCK_NS (12 * 1000 * 1000ull)

#define POLLER_MAX_QUEUES (XVIOD_MAX_PORTS * VHU_MAX_QUEUE_PAIRS + 64)

/* A receive queue a poller serves. */
struct poller_queue {
	struct port *port;
	unsigned int q;
	unsigned int last_dst;		/* the port id most of its last burst went to; 0: none */
	uint64_t blocked_since;		/* CLOCK_MONOTONIC_COARSE ns; 0: not held back */
};

/* A poller's queues. Never changed in place: the control thread builds a
 * new list and swaps the pointer (ports added and removed at runtime); the
 * old one is freed once the poller passed a quiescent point, after which it
 * reads only the new one. */
struct poller_qlist {
	unsigned int nq;
	unsigned int cap;		/* entries allocated */
	struct poller_queue q[];
};

struct poller {
	struct daemon *d;
	unsigned int id;
	int cpu;			/* -1: not pinned */
	pthread_t thread;
	bool running;
	int epfd;
	int wake_fd;			/* eventfd to wake it for shutdown */
	struct poller_qlist *_Atomic ql; /* read once a round, at the quiescent point */
	_Atomic uint64_t epoch;		/* +1 at every quiescent point */
	_Atomic bool sleeping;		/* in epoll_wait: holds no queue */
	uint64_t wd_epoch;		/* the watchdog's last look (control thread) */
	struct port_stats stats[XVIOD_MAX_PORTS];
	uint64_t loops;
	uint64_t sleeps;
	uint64_t wakeups;
	unsigned int spin_score;	/* adaptive: 0..256, how often spins found work */
	unsigned int spin_probe;	/* idle periods while the score is low */
	/* scratch for one burst, allocated once */
	struct vhu_pkt *pkts;
	struct vhu_seg *segs;
	struct vhu_pkt *out;
	uint16_t *dest;
	bool burst_off;			/* a frame of this burst asks for an offload */
	struct off_buf *ob;		/* software offloads for a receiver without them */
};

const char *poll_mode_name(enum poll_mode m);
/* Add receive queue @q of @port to @p's list (before poller_start, or
 * running: it serves the queue from its next round on). */
int poller_add_queue(struct poller *p, struct port *port, unsigned int q);
/* Receive queues 0..@nq-1 of @port, to the pollers in turn (round robin
 * over every guest queue ever added). */
int pollers_add_port(struct daemon *d, struct port *port, unsigned int nq);
/* Room for the lists pollers_del_port swaps in, taken before anything is
 * changed (a removal that runs out of memory half-way could not be undone):
 * 0 or -ENOMEM. */
int pollers_del_prepare(struct daemon *d, const struct port *port,
			struct poller_qlist **nl);
/* No poller serves @port's queues or holds it (its id is already free in
 * d->ports): returns once every poller passed a quiescent point. Its
 * counters are zeroed for the id's next port. @nl from pollers_del_prepare,
 * with no list changed in between (both on the control thread). */
void pollers_del_port(struct daemon *d, struct port *port, struct poller_qlist **nl);
/* The epoll set of the poller that serves receive queue @q of @port; -1. */
int pollers_epfd(struct daemon *d, const struct port *port, unsigned int q);
int poller_start(struct daemon *d, struct poller *p);
void poller_stop(struct poller *p);
/* The signal that interrupts a poller stuck in a system call (a frontend
 * made a call eventfd blocking again and filled it): a no-op handler
 * without SA_RESTART, so the call returns EINTR. */
#define POLLER_WATCHDOG_SIG SIGUSR1
int pollers_watchdog_init(void);
/* Once a second: a poller that neither slept nor passed a quiescent point
 * since the last look is interrupted. */
void pollers_watchdog(struct daemon *d);
/* Return once no poller is inside a burst that could touch any device. */
void pollers_quiesce(struct daemon *d);
/* Kick fd @fd of receive queue @q of @port comes (@add: into the epoll set
 * of the poller that serves the queue, which is woken to re-arm) or goes
 * (out of that set, before the caller closes it). */
void pollers_watch_fd(struct daemon *d, struct port *port, unsigned int q, int fd, bool add);
/* Sum of every poller's counters of @port. */
void pollers_port_stats(struct daemon *d, const struct port *port, struct port_stats *out);

#endif
