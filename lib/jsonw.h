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

struct jsonw {
	FILE *out;
	int depth;
	bool first[JSONW_DEPTH];
};

void jsonw_init(struct jsonw *w, FILE *out);
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
