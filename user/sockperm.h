/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may use xviod's unix sockets (the control socket and the vhost-user
 * sockets it listens on): their directory, mode and group, and the control
 * socket's check of its peer's credentials.
 */
#ifndef XVIO_SOCKPERM_H
#define XVIO_SOCKPERM_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct sockperm {
	mode_t mode;		/* --socket-mode (default 0600, 0660 with a group) */
	bool have_group;
	gid_t gid;		/* --socket-group */
	char group[64];
};

/* --socket-mode OCTAL / @opt (--socket-group, --ctl-group) NAME|GID; 0 or
 * -EINVAL (logged). */
int sockperm_parse_mode(struct sockperm *sp, const char *arg);
int sockperm_parse_group(struct sockperm *sp, const char *opt, const char *arg);
/* Defaults once the options are read. */
void sockperm_finish(struct sockperm *sp);
/* A socket at @path may be created: its directory belongs to root or to
 * us, and no other user (nor a group other than ours or the socket group)
 * can write it, or they could replace the socket with their own. 0 or
 * -errno (logged). */
int sockperm_dir_ok(const struct sockperm *sp, const char *path);
/* Set the umask that gives a socket bind() creates @sp's mode; returns the
 * old one (restore it with umask() after the bind). */
mode_t sockperm_umask(const struct sockperm *sp);
/* Give the socket file at @path its group (without following a symlink);
 * 0 or -errno (logged). */
int sockperm_apply(const struct sockperm *sp, const char *path);
/* The peer of connected unix socket @fd may talk to us: root, our own user,
 * or a member of the socket group. false (and *uid) otherwise. */
bool sockperm_peer_ok(const struct sockperm *sp, int fd, uid_t *uid);

#endif
