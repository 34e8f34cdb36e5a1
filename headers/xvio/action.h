/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * What the XDP program does with a frame: the value of both lookup tables
 * (xvio_flows, xvio_l2). Types only.
 */
#ifndef XVIO_ACTION_H
#define XVIO_ACTION_H

#include <linux/types.h>

/* struct xvio_action.kind */
enum xvio_action_kind {
	XVIO_ACT_NONE = 0,	/* never stored; an entry with it counts as bad_action */
	XVIO_ACT_XSK = 1,	/* redirect to the AF_XDP socket of guest port .port */
	XVIO_ACT_DROP = 2,	/* XDP_DROP */
	XVIO_ACT_PASS = 3,	/* XDP_PASS: hand to the host stack */
	XVIO_ACT_DEV = 4,	/* redirect out of interface .port (an ifindex) via xvio_devs */
	XVIO_ACT_FLOOD = 5,	/* redirect to the flood port's socket (port 0) */
	XVIO_ACT_MAX,
};

/* Value of xvio_flows and xvio_l2. */
struct xvio_action {
	__u32 kind;	/* enum xvio_action_kind */
	__u32 port;	/* guest port (XSK) or target ifindex (DEV); 0 otherwise */
};
_Static_assert(sizeof(struct xvio_action) == 8, "xvio_action layout");

#endif
