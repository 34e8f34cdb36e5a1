/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `xvioctl ports|stats|macs` prints: the daemon's state as text for
 * people or JSON for scripts. Each port renders its own part (port_ops).
 */
#ifndef XVIO_REPORT_H
#define XVIO_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct daemon;

void report_ports(struct daemon *d, FILE *out, bool json);
void report_stats(struct daemon *d, FILE *out, bool json);
/* The document `xvioctl --json stats` prints, into any writer (the metrics
 * endpoint renders it through a jsonw visitor). */
struct jsonw;
void report_stats_doc(struct daemon *d, struct jsonw *w);
void report_macs(struct daemon *d, FILE *out, bool json);

#endif
