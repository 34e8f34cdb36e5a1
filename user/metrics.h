/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xviod --metrics ADDR:PORT: every counter `xvioctl --json stats` shows, as
 * Prometheus/OpenMetrics text on GET /metrics, served by libmicrohttpd on the
 * control thread (its epoll fd in the control loop's set).
 */
#ifndef XVIO_METRICS_H
#define XVIO_METRICS_H

#include <stddef.h>

struct daemon;
struct metrics;

/* Parse "ADDR:PORT" ("127.0.0.1:9500", "[::1]:9500"); 0 or -EINVAL (logged). */
int metrics_parse(const char *arg, char *addr, size_t addrlen, unsigned int *port);
/* Listen; NULL and logged on failure. */
struct metrics *metrics_start(struct daemon *d, const char *addr, unsigned int port);
/* The fd to wait on (readable: call metrics_run). */
int metrics_fd(const struct metrics *m);
/* Serve what is ready; also call about once a second (timeouts). */
void metrics_run(struct metrics *m);
void metrics_stop(struct metrics *m);
/* The exposition text of @d's counters (malloc'd, *len bytes); NULL on ENOMEM. */
char *metrics_render(struct daemon *d, size_t *len);

#endif
