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
void report_macs(struct daemon *d, FILE *out, bool json);

#endif
