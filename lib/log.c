// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging for the daemon and tools; see log.h. One write per line, so lines
 * from different threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

static const char *log_prog = "xvio";
static enum log_level log_lvl = LOG_INFO;
static __thread char *cap_buf;
static __thread size_t cap_len;

void log_capture(char *buf, size_t len)
{
	cap_buf = buf;
	cap_len = len;
	if (buf && len)
		buf[0] = 0;
}

/* Errors and warnings of this thread, also into the capture buffer. */
static void capture(enum log_level level, const char *text)
{
	size_t used, n;

	if (!cap_buf || level > LOG_WARN)
		return;
	used = strlen(cap_buf);
	n = strcspn(text, "\n");
	if (used + 2 >= cap_len)
		return;
	snprintf(cap_buf + used, cap_len - used, "%s%.*s", used ? "; " : "", (int)n, text);
}

void log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_lvl = level;
}

enum log_level log_level(void)
{
	return log_lvl;
}

void log_print(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, start;

	if (level > log_lvl)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s: %s", tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, log_prog, tag[level]);
	start = n;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (start < (int)sizeof(line))
		capture(level, line + start);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (line[n - 1] != '\n')
		line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
