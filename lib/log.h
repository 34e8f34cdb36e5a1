/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Daemon and CLI logging: pr_err/pr_warn/pr_info/pr_dbg with a printf
 * format check; -v raises the level. Lines go to stderr with a timestamp and
 * the program name. Never used on the data path (count instead).
 */
#ifndef XVIO_LOG_H
#define XVIO_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *prog, enum log_level level);
enum log_level log_level(void);
/* Until called again with NULL: this thread's errors and warnings are also
 * collected in @buf (without time or program, separated by "; "), e.g. to
 * answer a control request with the reason. */
void log_capture(char *buf, size_t len);
__attribute__((format(printf, 2, 3))) void log_print(enum log_level level, const char *fmt, ...);

#define pr_err(...) log_print(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_dbg(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif
