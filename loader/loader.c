// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Attach, detach and inspect xvio's XDP program through libxdp.
 *
 * The skeleton is opened with pin_root_path = /sys/fs/bpf/xvio/<ifname>, so
 * the maps (all LIBBPF_PIN_BY_NAME) land where `xdp-loader --pin-path` puts
 * them too. Every attach starts from fresh tables: stale pins are removed,
 * since libbpf 1.1 cannot reuse a pinned devmap. libxdp attaches behind its
 * multiprog dispatcher when the kernel allows it and falls back to a single
 * program otherwise; we report which one happened.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "loader.h"
#include "loader_internal.h"
#include "xvio_xdp.skel.h"

static loader_print_fn print_fn;
static enum loader_level print_level = LOADER_WARN;

void loader_log(enum loader_level level, const char *fmt, ...)
{
	va_list ap;

	if (!print_fn || level > print_level)
		return;
	va_start(ap, fmt);
	print_fn(level, fmt, ap);
	va_end(ap);
}

/* libbpf and libxdp speak one level below us: their warnings are our info. */
static void forward(int lib_level, const char *fmt, va_list ap)
{
	enum loader_level level = lib_level == 0 ? LOADER_INFO : LOADER_DEBUG;

	if (!print_fn || level > print_level || lib_level > 1)
		return;
	print_fn(level, fmt, ap);
}

/* The kernel's netlink extack message of the last failed attach ("Peer MTU
 * is too large to set XDP", ...): libbpf only prints it. */
static char kernel_msg[192];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (strstr(fmt, "Kernel error message")) {
		const char *m;
		va_list cp;
		size_t n;

		va_copy(cp, ap);
		m = va_arg(cp, const char *);
		va_end(cp);
		snprintf(kernel_msg, sizeof(kernel_msg), "%s", m ? m : "");
		n = strlen(kernel_msg);
		while (n && (kernel_msg[n - 1] == '\n' || kernel_msg[n - 1] == '.'))
			kernel_msg[--n] = 0;
	}
	forward(level == LIBBPF_WARN ? 0 : level == LIBBPF_INFO ? 1 : 2, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	forward(level == LIBXDP_WARN ? 0 : level == LIBXDP_INFO ? 1 : 2, fmt, ap);
	return 0;
}

void loader_set_print(loader_print_fn fn, enum loader_level verbosity)
{
	print_fn = fn;
	print_level = verbosity;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

int loader_pin_dir(const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", XVIO_PIN_ROOT, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int loader_ifindex(const char *ifname)
{
	unsigned int idx;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
		loader_log(LOADER_ERR, "'%s' is not a valid interface name", ifname ? ifname : "");
		return -EINVAL;
	}
	idx = if_nametoindex(ifname);
	if (!idx) {
		loader_log(LOADER_ERR, "%s: no such interface (check `ip link`)", ifname);
		return -ENODEV;
	}
	return (int)idx;
}

/* bpffs must be mounted at /sys/fs/bpf for pins; the root dir is ours to make. */
static int ensure_pin_root(void)
{
	struct statfs fs;
	int err;

	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC) {
		loader_log(LOADER_ERR,
			   "bpffs is not mounted at /sys/fs/bpf; mount it with "
			   "`mount -t bpf bpf /sys/fs/bpf` (scripts/deps.sh does this)");
		return -ENOENT;
	}
	if (mkdir(XVIO_PIN_ROOT, 0700) && errno != EEXIST) {
		err = -errno;
		loader_log(LOADER_ERR, "cannot create %s: %s", XVIO_PIN_ROOT, strerror(-err));
		return err;
	}
	return 0;
}

static const char *attach_mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "none";
	}
}

/* Find xvio_rx among the programs of @mp (dispatcher or single program). */
static struct xdp_program *find_xvio(struct xdp_multiprog *mp)
{
	struct xdp_program *p;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && !strcmp(xdp_program__name(p), XVIO_PROG_NAME) ? p : NULL;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (!strcmp(xdp_program__name(p), XVIO_PROG_NAME))
			return p;
	return NULL;
}

/* Does program @prog_fd use the map pinned at @dir/xvio_flows? */
static bool prog_uses_pins(int prog_fd, const char *dir)
{
	struct bpf_prog_info pinfo = {};
	struct bpf_map_info minfo = {};
	__u32 ids[64], plen = sizeof(pinfo), mlen = sizeof(minfo), i, n;
	char path[160];
	bool found = false;
	int fd;

	if (snprintf(path, sizeof(path), "%s/xvio_flows", dir) >= (int)sizeof(path))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &minfo, &mlen))
		goto out;
	pinfo.nr_map_ids = 64;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &plen))
		goto out;
	n = pinfo.nr_map_ids < 64 ? pinfo.nr_map_ids : 64;
	for (i = 0; i < n; i++)
		found |= ids[i] == minfo.id;
out:
	close(fd);
	return found;
}

static bool pins_present(const char *dir)
{
	static const char *const names[] = { XVIO_MAP_NAMES };
	char path[160];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			return false;
		if (access(path, F_OK))
			return false;
	}
	return true;
}

int loader_status(const char *ifname, struct loader_status *st)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ifindex, err;

	memset(st, 0, sizeof(*st));
	st->mode = "none";
	ifindex = loader_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	st->ifindex = ifindex;
	err = loader_pin_dir(ifname, st->pin_dir, sizeof(st->pin_dir));
	if (err)
		return err;
	st->maps_pinned = pins_present(st->pin_dir);

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || !mp)
		return 0;
	if (err) {
		loader_log(LOADER_ERR, "%s: cannot query XDP programs: %s", ifname, strerror(-err));
		return err;
	}
	st->attached = true;
	st->dispatcher = !xdp_multiprog__is_legacy(mp);
	st->nprogs = st->dispatcher ? xdp_multiprog__program_count(mp) : 1;
	st->mode = attach_mode_name(xdp_multiprog__attach_mode(mp));
	p = find_xvio(mp);
	if (!p)
		p = xdp_multiprog__main_prog(mp);
	else
		st->ours = true;
	if (p) {
		st->prog_id = xdp_program__id(p);
		snprintf(st->prog_name, sizeof(st->prog_name), "%s", xdp_program__name(p));
		if (st->ours && st->maps_pinned)
			st->maps_live = prog_uses_pins(xdp_program__fd(p), st->pin_dir);
	}
	xdp_multiprog__close(mp);
	return 0;
}

static void unpin_maps(const char *dir);

int loader_attach(const char *ifname, enum loader_mode mode, bool replace,
		  struct loader_status *st)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, popts);
	struct loader_status cur, tmp;
	struct xdp_program *prog = NULL;
	struct xvio_xdp *skel;
	char dir[128];
	int ifindex, err;

	if (!st)
		st = &tmp;
	err = loader_status(ifname, &cur);
	if (err)
		return err;
	ifindex = cur.ifindex;
	if (cur.attached && cur.ours && !replace) {
		loader_log(LOADER_ERR,
			   "%s: xvio is already attached (prog id %u, %s mode); "
			   "detach it first or use --replace",
			   ifname, cur.prog_id, cur.mode);
		return -EEXIST;
	}
	if (cur.attached && !cur.ours && !cur.dispatcher) {
		loader_log(LOADER_ERR,
			   "%s: another XDP program is attached ('%s', id %u, %s mode); "
			   "remove it first (xdp-loader unload %s --all)",
			   ifname, cur.prog_name, cur.prog_id, cur.mode, ifname);
		return -EBUSY;
	}
	if (cur.attached && cur.ours) {
		err = loader_detach(ifname, false);
		if (err)
			return err;
	}

	err = ensure_pin_root();
	if (err)
		return err;
	err = loader_pin_dir(ifname, dir, sizeof(dir));
	if (err)
		return err;
	/*
	 * Pins no attached program uses (a loader that died between pinning and
	 * attaching, or a program removed behind our back) cannot be reused:
	 * libbpf 1.1 refuses the pinned devmap (the kernel adds a flag to it).
	 * Start from fresh tables.
	 */
	if (access(dir, F_OK) == 0 && (!cur.attached || !cur.ours || cur.dispatcher)) {
		struct loader_status now;

		if (!loader_status(ifname, &now) && !now.maps_live) {
			loader_log(LOADER_INFO, "%s: removing stale pins in %s", ifname, dir);
			unpin_maps(dir);
		}
	}
	oopts.pin_root_path = dir;
	skel = xvio_xdp__open_opts(&oopts);
	if (!skel) {
		err = -errno;
		loader_log(LOADER_ERR, "%s: cannot open the XDP object: %s", ifname, strerror(-err));
		return err;
	}
	popts.obj = skel->obj;
	popts.prog_name = XVIO_PROG_NAME;
	prog = xdp_program__create(&popts);
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		loader_log(LOADER_ERR, "%s: libxdp cannot use the XDP object: %s", ifname,
			   strerror(-err));
		goto out;
	}

	err = -EINVAL;
	if (mode == LOADER_MODE_AUTO || mode == LOADER_MODE_NATIVE) {
		kernel_msg[0] = 0;
		err = xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0);
		if (err && mode == LOADER_MODE_AUTO)
			loader_log(LOADER_WARN,
				   "%s: native XDP refused: %s%s%s; falling back to skb (generic) "
				   "mode: the program then runs only after the kernel has built an "
				   "skb for each frame, at several times native mode's CPU per "
				   "frame (docs/performance.md)",
				   ifname, kernel_msg[0] ? "the kernel says \"" : strerror(-err),
				   kernel_msg, kernel_msg[0] ? "\"" : "");
		if (err && mode == LOADER_MODE_NATIVE && kernel_msg[0])
			loader_log(LOADER_ERR, "%s: the kernel says \"%s\"", ifname, kernel_msg);
	}
	if (mode == LOADER_MODE_SKB || (mode == LOADER_MODE_AUTO && err))
		err = xdp_program__attach(prog, ifindex, XDP_MODE_SKB, 0);
	if (err) {
		loader_log(LOADER_ERR,
			   "%s: cannot attach XDP program in %s mode: %s (run with -v for "
			   "libbpf's and libxdp's messages)",
			   ifname, loader_mode_name(mode), strerror(-err));
		goto out;
	}
	err = loader_status(ifname, st);
	if (!err)
		loader_log(LOADER_INFO, "%s: attached %s (id %u) in %s mode, %s; maps in %s",
			   ifname, XVIO_PROG_NAME, st->prog_id, st->mode,
			   st->dispatcher ? "behind libxdp's multiprog dispatcher" :
					    "as a single program (no dispatcher)",
			   dir);
out:
	xdp_program__close(prog);
	xvio_xdp__destroy(skel);
	return err;
}

/* Unpin exactly the maps we pin (never rm -rf), then the directory. */
static void unpin_maps(const char *dir)
{
	static const char *const names[] = { XVIO_MAP_NAMES };
	char path[160];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			continue;
		if (unlink(path) && errno != ENOENT)
			loader_log(LOADER_WARN, "cannot remove %s: %s", path, strerror(errno));
	}
	if (rmdir(dir) && errno != ENOENT)
		loader_log(LOADER_WARN, "cannot remove %s: %s (something else is pinned there)",
			   dir, strerror(errno));
}

int loader_detach(const char *ifname, bool force)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	char dir[128];
	int ifindex, err;
	bool had_pins;

	ifindex = loader_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	err = loader_pin_dir(ifname, dir, sizeof(dir));
	if (err)
		return err;
	had_pins = access(dir, F_OK) == 0;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || !mp) {
		if (!had_pins) {
			loader_log(LOADER_ERR, "%s: no XDP program attached and no pins in %s",
				   ifname, dir);
			return -ENOENT;
		}
		unpin_maps(dir);
		loader_log(LOADER_INFO, "%s: nothing attached; removed stale pins in %s", ifname,
			   dir);
		return 0;
	}
	if (err) {
		loader_log(LOADER_ERR, "%s: cannot query XDP programs: %s", ifname, strerror(-err));
		return err;
	}

	p = find_xvio(mp);
	if (!p && !force) {
		p = xdp_multiprog__main_prog(mp);
		loader_log(LOADER_ERR,
			   "%s: the attached XDP program is '%s', not xvio's; use --force to "
			   "detach it anyway",
			   ifname, p ? xdp_program__name(p) : "?");
		err = -EPERM;
		goto out;
	}
	if (xdp_multiprog__is_legacy(mp) || !p) {
		err = xdp_multiprog__detach(mp);
	} else {
		/* Behind a dispatcher: remove only our program, keep the others. */
		err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	}
	if (err) {
		loader_log(LOADER_ERR, "%s: cannot detach XDP program: %s", ifname, strerror(-err));
		goto out;
	}
	unpin_maps(dir);
	loader_log(LOADER_INFO, "%s: detached; removed pins in %s", ifname, dir);
out:
	xdp_multiprog__close(mp);
	return err;
}
