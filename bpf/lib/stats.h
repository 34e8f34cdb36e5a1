/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-CPU counters of the XDP program: no atomics, readers sum the CPUs. */
#ifndef XVIO_BPF_STATS_H
#define XVIO_BPF_STATS_H

#include "maps.h"

static __always_inline void stat_add(struct xdp_md *ctx, __u32 idx)
{
	struct xvio_stat_val *v = bpf_map_lookup_elem(&xvio_stats, &idx);

	if (v) {
		v->packets++;
		/* the whole frame: a jumbo one's fragments too (xdp.frags) */
		v->bytes += bpf_xdp_get_buff_len(ctx);
	}
}

#endif
