// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket permissions; see sockperm.h. The daemon runs with umask 077, so a
 * socket is owner-only from bind() until sockperm_apply() widens it.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "sockperm.h"
#include "util.h"

int sockperm_parse_mode(struct sockperm *sp, const char *arg)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(arg, &end, 8);
	if (errno || end == arg || *end || m > 0777 || (m & 0111)) {
		pr_err("--socket-mode %s: expected an octal mode without execute bits, e.g. 0660",
		       arg);
		return -EINVAL;
	}
	/* A unix socket is used by writing it: the owner needs rw, a group
	 * either rw or nothing, other users nothing. */
	if ((m & 0600) != 0600 || ((m & 0060) && (m & 0060) != 0060) || (m & 0007)) {
		pr_err("--socket-mode %s: the owner must read and write, the group both or "
		       "neither, other users nothing (0600 or 0660)", arg);
		return -EINVAL;
	}
	sp->mode = (mode_t)m;
	return 0;
}

int sockperm_parse_group(struct sockperm *sp, const char *opt, const char *arg)
{
	struct group *g = getgrnam(arg);
	uint32_t v;

	if (g) {
		sp->gid = g->gr_gid;
	} else if (!util_parse_u32(arg, UINT32_MAX - 1, &v)) {
		sp->gid = (gid_t)v;
	} else {
		pr_err("%s %s: no such group", opt, arg);
		return -EINVAL;
	}
	sp->have_group = true;
	snprintf(sp->group, sizeof(sp->group), "%s", arg);
	return 0;
}

void sockperm_finish(struct sockperm *sp)
{
	if (!sp->mode)
		sp->mode = sp->have_group ? 0660 : 0600;
}

int sockperm_dir_ok(const struct sockperm *sp, const char *path)
{
	char buf[4096], *dir;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &st))
		return 0; /* missing: the caller's bind/mkdir says so */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		pr_err("%s: its directory %s belongs to uid %u, who could replace the socket; "
		       "use a directory of root's (or of xviod's user), e.g. /run/xvio", path, dir,
		       (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & S_IWOTH) {
		pr_err("%s: its directory %s is writable by every user, who could replace the "
		       "socket with their own; use a directory only root (and the socket group) "
		       "can write, e.g. /run/xvio", path, dir);
		return -EPERM;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != getegid() &&
	    !(sp->have_group && st.st_gid == sp->gid)) {
		pr_err("%s: its directory %s is writable by group %u, which is neither ours nor "
		       "the socket group; make it g-w or give it to the socket group", path, dir,
		       (unsigned int)st.st_gid);
		return -EPERM;
	}
	return 0;
}

mode_t sockperm_umask(const struct sockperm *sp)
{
	return umask(~sp->mode & 0777);
}

int sockperm_apply(const struct sockperm *sp, const char *path)
{
	/* The mode came from the umask at bind(). lchown: a path someone
	 * swapped for a symlink since gets nothing but the link changed. */
	if (sp->have_group && lchown(path, (uid_t)-1, sp->gid)) {
		pr_err("%s: cannot give the socket to group %s: %s", path, sp->group,
		       strerror(errno));
		return -errno;
	}
	return 0;
}

bool sockperm_peer_ok(const struct sockperm *sp, int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];
	socklen_t glen = sizeof(groups);
	unsigned int i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	*uid = cr.uid;
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	if (!sp->have_group)
		return false;
	if (cr.gid == sp->gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen))
		return false;
	for (i = 0; i < glen / sizeof(gid_t); i++)
		if (groups[i] == sp->gid)
			return true;
	return false;
}
