// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xviod's config file; see config.h. libinih does the INI syntax; this file
 * only maps sections and keys onto xviod's options, so the file and the
 * command line are checked by the same parsers.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "log.h"
#include "util.h"

#define MAX_SECTIONS 80

struct section {
	char name[80];		/* "xviod", "nic", "vhost vm0" */
	char spec[512];		/* nic / vhost: the --nic / --vhost value being built */
	bool have_main;		/* nic: name=, vhost: path= */
};

struct loader {
	struct config_args *out;
	struct section s[MAX_SECTIONS];
	unsigned int n;
	char err[256];		/* the first error */
	int err_line;
};

static const char *const main_keys[] = { "cores", "poll", "ctl", "ctl-group", "socket-group",
					 "socket-mode", "max-mtu", "metrics", "state", "verbose",
					 NULL };
static const char *const nic_keys[] = { "name", "queues", "mode", "host", "busy_poll", NULL };
static const char *const vhost_keys[] = { "path", "mac", "client", "queues", "src_check",
					  "max_macs", NULL };

static bool known(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return true;
	return false;
}

static void list(const char *const *keys, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (; *keys && off < len; keys++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", *keys);
}

__attribute__((format(printf, 2, 3))) static int fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->err[0]) {
		va_start(ap, fmt);
		vsnprintf(l->err, sizeof(l->err), fmt, ap);
		va_end(ap);
	}
	return 0; /* ini_parse records the line */
}

static int push(struct config_args *a, const char *s)
{
	if (a->argc >= CONFIG_MAX_ARGS - 1)
		return -E2BIG;
	a->argv[a->argc] = strdup(s);
	if (!a->argv[a->argc])
		return -ENOMEM;
	a->argc++;
	return 0;
}

static struct section *section(struct loader *l, const char *name)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->s[i].name, name))
			return &l->s[i];
	if (l->n == MAX_SECTIONS)
		return NULL;
	snprintf(l->s[l->n].name, sizeof(l->s[0].name), "%s", name);
	return &l->s[l->n++];
}

static bool yes(const char *v)
{
	return !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1");
}

static bool no(const char *v)
{
	return !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0");
}

/* One pair of a [nic] or [vhost NAME] section into its spec. */
static int add_spec(struct loader *l, struct section *s, const char *k, const char *v, bool nic)
{
	char piece[300];
	size_t len = strlen(s->spec);

	if (!*v)
		return fail(l, "%s: empty value", k);
	if (strchr(v, ','))
		return fail(l, "%s = %s: a value may not hold a comma", k, v);
	if (!strcmp(k, nic ? "name" : "path")) {
		if (s->have_main)
			return fail(l, "%s given twice in one section", k);
		/* the main value leads the spec: shift what is there */
		snprintf(piece, sizeof(piece), "%s", v);
		if (strlen(piece) + len + 1 >= sizeof(s->spec))
			return fail(l, "%s = %s: too long", k, v);
		memmove(s->spec + strlen(piece), s->spec, len + 1);
		memcpy(s->spec, piece, strlen(piece));
		s->have_main = true;
		return 1;
	}
	if (!strcmp(k, "client")) {
		if (yes(v))
			snprintf(piece, sizeof(piece), ",client");
		else if (no(v))
			snprintf(piece, sizeof(piece), ",server");
		else
			return fail(l, "client = %s: expected yes or no", v);
	} else if (!strcmp(k, "host") && nic) {
		if (no(v))
			snprintf(piece, sizeof(piece), ",host=off");
		else if (yes(v))
			piece[0] = 0;
		else
			return fail(l, "host = %s: expected on or off", v);
	} else {
		snprintf(piece, sizeof(piece), ",%s=%s", k, v);
	}
	if (len + strlen(piece) >= sizeof(s->spec))
		return fail(l, "section too long");
	strcat(s->spec, piece);
	return 1;
}

static int handler(void *user, const char *sec, const char *k, const char *v)
{
	struct loader *l = user;
	struct section *s;
	char keys[160], opt[64];
	int n;

	if (!*sec)
		return fail(l, "%s = %s: outside any section ([xviod], [nic], [vhost NAME])", k, v);
	if (!strcmp(sec, "xviod")) {
		if (!known(main_keys, k)) {
			list(main_keys, keys, sizeof(keys));
			return fail(l, "unknown key '%s' in [xviod] (%s)", k, keys);
		}
		if (!strcmp(k, "verbose")) {
			uint32_t c;

			if (util_parse_u32(v, 3, &c))
				return fail(l, "verbose = %s: expected 0..3", v);
			for (n = (int)c; n > 0; n--)
				if (push(l->out, "-v"))
					return fail(l, "too many options");
			return 1;
		}
		snprintf(opt, sizeof(opt), "--%s", k);
		if (push(l->out, opt) || push(l->out, v))
			return fail(l, "too many options");
		return 1;
	}
	if (!strcmp(sec, "nic") || !strncmp(sec, "vhost ", 6)) {
		bool nic = !strcmp(sec, "nic");
		const char *const *ks = nic ? nic_keys : vhost_keys;

		if (!nic && !sec[6])
			return fail(l, "[vhost NAME] needs a name");
		if (!known(ks, k)) {
			list(ks, keys, sizeof(keys));
			return fail(l, "unknown key '%s' in this section (%s)", k, keys);
		}
		s = section(l, sec);
		if (!s)
			return fail(l, "more than %d sections", MAX_SECTIONS);
		return add_spec(l, s, k, v, nic);
	}
	return fail(l, "unknown section [%s] (xviod, nic, vhost NAME)", sec);
}

void config_free(struct config_args *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
}

int config_load(const char *path, struct config_args *out)
{
	struct loader *l = calloc(1, sizeof(*l));
	unsigned int i;
	int rc, err = 0;

	if (!l)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", path);
	l->out = out;
	rc = ini_parse(path, handler, l);
	if (rc == -1) {
		pr_err("--config %s: cannot read it: %s", path, strerror(errno ? errno : ENOENT));
		err = -ENOENT;
	} else if (rc) {
		pr_err("%s:%d: %s", path, rc, l->err[0] ? l->err : "not an INI line ([section] or key = value)");
		err = -EINVAL;
	}
	/* sections in the order they first appeared: --nic, then the ports */
	for (i = 0; !err && i < l->n; i++) {
		struct section *s = &l->s[i];
		bool nic = !strcmp(s->name, "nic");

		if (!s->have_main) {
			pr_err("%s: [%s] needs %s", path, s->name, nic ? "name = IFNAME" : "path = SOCKET");
			err = -EINVAL;
		} else if (push(out, nic ? "--nic" : "--vhost") || push(out, s->spec)) {
			err = -E2BIG;
		}
	}
	free(l);
	if (err)
		config_free(out);
	return err;
}
