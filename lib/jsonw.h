/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal streaming JSON writer for the command-line tools' --json output.
 * Tracks nesting so commas are placed for the caller; strings are escaped.
 */
#ifndef XVIO_JSONW_H
#define XVIO_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_DEPTH 16

/* Instead of text, every call as an event (another rendering of the same
 * document, e.g. metrics). Numbers come as doubles: u64 counters up to 2^53
 * exactly, which is what a metrics scraper keeps anyway. */
struct jsonw_visitor {
	void (*open)(void *ctx, const char *key, bool array);
	void (*close)(void *ctx);
	void (*str)(void *ctx, const char *key, const char *val);
	void (*num)(void *ctx, const char *key, double val, bool is_bool);
	void *ctx;
};

struct jsonw {
	FILE *out;
	int depth;
	bool first[JSONW_DEPTH];
	const struct jsonw_visitor *visit;	/* NULL: write JSON to out */
};

void jsonw_init(struct jsonw *w, FILE *out);
void jsonw_init_visitor(struct jsonw *w, const struct jsonw_visitor *v);
void jsonw_obj_open(struct jsonw *w, const char *key);	/* key NULL inside arrays */
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w, const char *key);
void jsonw_arr_close(struct jsonw *w);
void jsonw_str(struct jsonw *w, const char *key, const char *val);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t val);
void jsonw_i64(struct jsonw *w, const char *key, int64_t val);
void jsonw_bool(struct jsonw *w, const char *key, bool val);
/* Ends the document with a newline. */
void jsonw_end(struct jsonw *w);

#endif
