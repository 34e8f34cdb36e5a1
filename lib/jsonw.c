// SPDX-License-Identifier: GPL-2.0-or-later
/* Streaming JSON writer; see jsonw.h. */
#include "jsonw.h"

void jsonw_init(struct jsonw *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->first[0] = true;
	w->visit = NULL;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void member(struct jsonw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = false;
	if (key) {
		put_string(w->out, key);
		fputc(':', w->out);
	}
}

static void open(struct jsonw *w, const char *key, char c)
{
	member(w, key);
	fputc(c, w->out);
	if (w->depth + 1 < JSONW_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jsonw *w, char c)
{
	fputc(c, w->out);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_init_visitor(struct jsonw *w, const struct jsonw_visitor *v)
{
	jsonw_init(w, NULL);
	w->visit = v;
}

void jsonw_obj_open(struct jsonw *w, const char *key)
{
	if (w->visit)
		w->visit->open(w->visit->ctx, key, false);
	else
		open(w, key, '{');
}

void jsonw_obj_close(struct jsonw *w)
{
	if (w->visit)
		w->visit->close(w->visit->ctx);
	else
		close_(w, '}');
}

void jsonw_arr_open(struct jsonw *w, const char *key)
{
	if (w->visit)
		w->visit->open(w->visit->ctx, key, true);
	else
		open(w, key, '[');
}

void jsonw_arr_close(struct jsonw *w)
{
	if (w->visit)
		w->visit->close(w->visit->ctx);
	else
		close_(w, ']');
}

void jsonw_str(struct jsonw *w, const char *key, const char *val)
{
	if (w->visit) {
		w->visit->str(w->visit->ctx, key, val);
		return;
	}
	member(w, key);
	put_string(w->out, val);
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t val)
{
	if (w->visit) {
		w->visit->num(w->visit->ctx, key, (double)val, false);
		return;
	}
	member(w, key);
	fprintf(w->out, "%llu", (unsigned long long)val);
}

void jsonw_i64(struct jsonw *w, const char *key, int64_t val)
{
	if (w->visit) {
		w->visit->num(w->visit->ctx, key, (double)val, false);
		return;
	}
	member(w, key);
	fprintf(w->out, "%lld", (long long)val);
}

void jsonw_bool(struct jsonw *w, const char *key, bool val)
{
	if (w->visit) {
		w->visit->num(w->visit->ctx, key, val, true);
		return;
	}
	member(w, key);
	fputs(val ? "true" : "false", w->out);
}

void jsonw_end(struct jsonw *w)
{
	if (w->visit)
		return;
	fputc('\n', w->out);
	fflush(w->out);
}
