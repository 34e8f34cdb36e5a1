// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection for tests, as an LD_PRELOAD library: with
 * XVIO_FAIL_XSKMAP=ERRNO in the environment, every bpf_map_update_elem()
 * on an XSKMAP fails with that errno (EPERM when not a number); other maps
 * and calls go to libbpf. Lets a test drive the error path of putting an
 * AF_XDP socket into the map, which a healthy kernel never takes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	static int (*real)(int, const void *, const void *, __u64);
	const char *fail = getenv("XVIO_FAIL_XSKMAP");
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (!real)
		real = (int (*)(int, const void *, const void *, __u64))dlsym(RTLD_NEXT,
									       "bpf_map_update_elem");
	if (fail && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_MAP_TYPE_XSKMAP) {
		errno = atoi(fail) > 0 ? atoi(fail) : EPERM;
		return -errno;
	}
	return real ? real(fd, key, value, flags) : -ENOSYS;
}
