// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Metrics: the stats document (report_stats_doc) walked through a jsonw
 * visitor. Arrays and objects name the metric (ports[].queues[].packets ->
 * xvio_port_queue_packets_total), strings and identifiers (port, vq, queue,
 * id) become labels of everything inside their object, drop_REASON fields
 * become one family with a reason label, levels and booleans are gauges,
 * everything else counters. Samples are grouped by family (the text format
 * wants a family's samples together) and written with one TYPE line each.
 * The text format is Prometheus' 0.0.4, which OpenMetrics parsers accept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "util.h"

#define MAX_DEPTH 8
#define MAX_LABELS 8

struct frame {
	char seg[32];		/* name segment ("" for array elements) */
	unsigned int nlabels;
	char label[MAX_LABELS][2][64];
};

struct sample {
	char family[112];
	bool gauge;
	unsigned int seq;
	char *line;
};

struct render {
	struct frame f[MAX_DEPTH];
	int depth;
	struct sample *s;
	unsigned int n, cap;
	bool oom;
};

struct metrics {
	struct daemon *d;
	struct MHD_Daemon *mhd;
	int fd;
};

static const char *const ids[] = { "port", "vq", "queue", "id" };
static const char *const gauges[] = { "umem_frames", "umem_free", "umem_fill", "umem_tx", "cpu" };

static bool in(const char *k, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(k, set[i]))
			return true;
	return false;
}

static void v_open(void *ctx, const char *key, bool array)
{
	struct render *r = ctx;
	struct frame *f;
	size_t l;

	if (r->depth + 1 >= MAX_DEPTH)
		return;
	f = &r->f[++r->depth];
	memset(f, 0, sizeof(*f));
	if (key) {
		snprintf(f->seg, sizeof(f->seg), "%s", key);
		l = strlen(f->seg);
		if (array && l > 1 && f->seg[l - 1] == 's') /* ports -> port */
			f->seg[l - 1] = 0;
	}
}

static void v_close(void *ctx)
{
	struct render *r = ctx;

	if (r->depth > 0)
		r->depth--;
}

static void add_label(struct render *r, const char *key, const char *val)
{
	struct frame *f = &r->f[r->depth];

	if (f->nlabels < MAX_LABELS) {
		snprintf(f->label[f->nlabels][0], sizeof(f->label[0][0]), "%s", key);
		snprintf(f->label[f->nlabels][1], sizeof(f->label[0][1]), "%s", val);
		f->nlabels++;
	}
}

static void v_str(void *ctx, const char *key, const char *val)
{
	add_label(ctx, key, val);
}

/* name="value" with the text format's escapes */
static void put_label(FILE *f, bool *first, const char *k, const char *v)
{
	fprintf(f, "%s%s=\"", *first ? "" : ",", k);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
	*first = false;
}

static void v_num(void *ctx, const char *key, double val, bool is_bool)
{
	struct render *r = ctx;
	struct sample *s;
	char fam[112] = "xvio", *line = NULL;
	size_t len = 0;
	bool first = true, gauge, reason = !strncmp(key, "drop_", 5);
	unsigned int i, k;
	FILE *f;
	int d;

	if (in(key, ids, sizeof(ids) / sizeof(ids[0]))) {
		char v[32];

		snprintf(v, sizeof(v), "%.0f", val);
		add_label(r, key, v);
		return;
	}
	gauge = is_bool || in(key, gauges, sizeof(gauges) / sizeof(gauges[0]));
	for (d = 1; d <= r->depth; d++)
		if (r->f[d].seg[0])
			snprintf(fam + strlen(fam), sizeof(fam) - strlen(fam), "_%s", r->f[d].seg);
	snprintf(fam + strlen(fam), sizeof(fam) - strlen(fam), "_%s", reason ? "drops" : key);
	if (r->n == r->cap) {
		struct sample *ns = realloc(r->s, (r->cap ? 2 * r->cap : 256) * sizeof(*ns));

		if (!ns) {
			r->oom = true;
			return;
		}
		r->s = ns;
		r->cap = r->cap ? 2 * r->cap : 256;
	}
	f = open_memstream(&line, &len);
	if (!f) {
		r->oom = true;
		return;
	}
	fprintf(f, "%s%s{", fam, gauge ? "" : "_total");
	for (d = 1; d <= r->depth; d++)
		for (k = 0; k < r->f[d].nlabels; k++)
			put_label(f, &first, r->f[d].label[k][0], r->f[d].label[k][1]);
	if (reason)
		put_label(f, &first, "reason", key + 5);
	fprintf(f, "} %.17g\n", val);
	if (fclose(f)) {
		free(line);
		r->oom = true;
		return;
	}
	i = r->n++;
	s = &r->s[i];
	snprintf(s->family, sizeof(s->family), "%s", fam);
	s->gauge = gauge;
	s->seq = i;
	s->line = line;
}

static int by_family(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c = strcmp(x->family, y->family);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

char *metrics_render(struct daemon *d, size_t *len)
{
	struct render r = { .depth = 0 };
	struct jsonw_visitor v = { v_open, v_close, v_str, v_num, &r };
	struct jsonw w;
	char *text = NULL;
	unsigned int i;
	FILE *out;

	jsonw_init_visitor(&w, &v);
	report_stats_doc(d, &w);
	qsort(r.s, r.n, sizeof(*r.s), by_family);
	out = r.oom ? NULL : open_memstream(&text, len);
	for (i = 0; out && i < r.n; i++) {
		/* The text format (0.0.4) types the name the samples carry. */
		if (!i || strcmp(r.s[i].family, r.s[i - 1].family))
			fprintf(out, "# TYPE %s%s %s\n", r.s[i].family, r.s[i].gauge ? "" : "_total",
				r.s[i].gauge ? "gauge" : "counter");
		fputs(r.s[i].line, out);
	}
	for (i = 0; i < r.n; i++)
		free(r.s[i].line);
	free(r.s);
	if (out && fclose(out)) {
		free(text);
		text = NULL;
	}
	return text;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	const char *msg = NULL;
	unsigned int code = MHD_HTTP_OK;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;

	(void)version, (void)upload, (void)state;
	if (*upload_len) { /* a body we never asked for: drop it */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		msg = "only GET /metrics\n";
	} else if (strcmp(url, "/metrics")) {
		code = MHD_HTTP_NOT_FOUND;
		msg = "not found: xviod serves /metrics\n";
	} else {
		text = metrics_render(m->d, &len);
		if (!text) {
			code = MHD_HTTP_INTERNAL_SERVER_ERROR;
			msg = "out of memory\n";
		}
	}
	if (text)
		resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(strlen(msg), (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				text ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

int metrics_parse(const char *arg, char *addr, size_t addrlen, unsigned int *port)
{
	const char *colon = strrchr(arg, ':');
	uint32_t p;
	size_t n;

	if (!colon || colon == arg || util_parse_u32(colon + 1, 65535, &p) || p == 0)
		goto bad;
	n = (size_t)(colon - arg);
	if (arg[0] == '[') { /* [::1]:9500 */
		if (n < 3 || arg[n - 1] != ']')
			goto bad;
		arg++;
		n -= 2;
	}
	if (n >= addrlen)
		goto bad;
	memcpy(addr, arg, n);
	addr[n] = 0;
	*port = p;
	return 0;
bad:
	pr_err("--metrics %s: expected ADDR:PORT, e.g. 127.0.0.1:9500 or [::1]:9500", arg);
	return -EINVAL;
}

struct metrics *metrics_start(struct daemon *d, const char *addr, unsigned int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned int flags = MHD_USE_EPOLL;
	const union MHD_DaemonInfo *info;
	struct metrics *m;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		pr_err("--metrics: '%s' is not an IPv4 or IPv6 address", addr);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->d = d;
	/* On the control thread (MHD_run from its loop): a scrape reads the
	 * same state xvioctl does, from the same thread. */
	m->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, 5u,
				  MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_END);
	if (!m->mhd) {
		pr_err("--metrics %s:%u: cannot listen (address in use, or not on this host?)", addr,
		       port);
		free(m);
		return NULL;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	m->fd = info ? info->epoll_fd : -1;
	if (m->fd < 0) {
		pr_err("--metrics: libmicrohttpd has no epoll fd");
		metrics_stop(m);
		return NULL;
	}
	pr_info("metrics on http://%s%s%s:%u/metrics", strchr(addr, ':') ? "[" : "", addr,
		strchr(addr, ':') ? "]" : "", port);
	return m;
}

int metrics_fd(const struct metrics *m)
{
	return m->fd;
}

void metrics_run(struct metrics *m)
{
	MHD_run(m->mhd);
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	free(m);
}
