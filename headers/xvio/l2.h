/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * L2 table key (map xvio_l2, value struct xvio_action): destination MAC and
 * the outer VLAN ID (0 = untagged). Types only.
 */
#ifndef XVIO_L2_H
#define XVIO_L2_H

#include <linux/types.h>

struct xvio_l2_key {
	__u8 mac[6];
	__u16 vlan;	/* outer VLAN ID, host order, 0 = untagged */
};
_Static_assert(sizeof(struct xvio_l2_key) == 8, "xvio_l2_key layout");

#endif
