/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xviod --config FILE: an INI file (libinih) holding what the command line
 * gives, turned into the same options (docs/operations.md has the format):
 *
 *   [xviod]            cores, poll, ctl, ctl-group, socket-group, socket-mode,
 *                      max-mtu, metrics, verbose
 *   [nic]              name (required), queues, mode, host, busy_poll
 *   [vhost NAME]       path (required), mac, client, queues, src_check,
 *                      max_macs  (one section per guest port, in port order)
 *
 * The file's options come first, the command line's after them (so the
 * command line adds ports and overrides single options).
 */
#ifndef XVIO_CONFIG_H
#define XVIO_CONFIG_H

#define CONFIG_MAX_ARGS 512

struct config_args {
	int argc;
	char *argv[CONFIG_MAX_ARGS];
	char path[256];
};

/* Read @path into @out; 0, or -errno / -EINVAL with the reason logged
 * as "FILE:LINE: ...". Nothing is applied on error. */
int config_load(const char *path, struct config_args *out);
void config_free(struct config_args *a);

#endif
