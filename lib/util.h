/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers every layer uses: number and MAC parsing as users type
 * them, MAC formatting, unix socket addresses. Pure functions, no state, no
 * printing: the caller words the error.
 */
#ifndef XVIO_UTIL_H
#define XVIO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#define UTIL_MAC_STR_LEN 18 /* "02:00:00:00:00:01" and its NUL */

/* A decimal (or 0x hex) number 0..@max, nothing after it. 0 or -EINVAL
 * (not a number) / -ERANGE (too big). */
int util_parse_u32(const char *s, uint32_t max, uint32_t *out);
/* Six hex bytes separated by ':' or '-'. 0 or -EINVAL. */
int util_parse_mac(const char *s, uint8_t mac[6]);
/* "02:00:00:00:00:01" into @buf (at least UTIL_MAC_STR_LEN bytes). */
void util_format_mac(const uint8_t mac[6], char *buf);
/* A 64-bit fingerprint of @len bytes (not cryptographic; never 0). */
uint64_t util_hash64(const void *buf, size_t len);
/* CLOCK_MONOTONIC in ns (vDSO); _coarse: the tick-resolution clock, cheaper. */
uint64_t util_mono_ns(void);
uint64_t util_coarse_ns(void);
/* @sa for @path; -ENAMETOOLONG when it does not fit sun_path. */
int util_unix_addr(const char *path, struct sockaddr_un *sa);

#endif
