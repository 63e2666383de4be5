/*
 * Copyright (c) 2026 The preforkd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * testutil.h: small helpers shared by the Check unit test programs:
 * error lists as one string, checks of a parsed configuration, scratch
 * directories under $TMPDIR, files, and a seeded PRNG so that randomised
 * tests are reproducible.
 *
 * Header-only: every function is static inline, so that a program that
 * uses only some of them still compiles warning-free.
 */

#ifndef PREFORKD_TESTUTIL_H
#define PREFORKD_TESTUTIL_H

#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "preforkd.h"

#define TU_ERRBUF	8192

/* listen_parse()'s message for an address it cannot read (also the
   message of a bad `listen` value in a configuration). */
#define BAD_ADDR(s)							\
	"invalid address '" s "' (expected IPv4:PORT, [IPv6]:PORT, "	\
	"*:PORT or unix:/path, with PORT 0-65535)"

/*
 * The failures of a table-driven test, collected so that one run reports
 * every failing case (and one fork serves the whole table).
 */
struct tu_report {
	char		msg[TU_ERRBUF];
	unsigned int	n;
};

#define TU_REPORT_END(r)						\
	ck_assert_msg((r)->n == 0, "%u case(s) failed:\n%s", (r)->n,	\
	    (r)->msg)

static inline void	tu_report(struct tu_report *r, const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));

/* Record one failed case (a line of text). */
static inline void
tu_report(struct tu_report *r, const char *fmt, ...)
{
	va_list	ap;
	size_t	len = strlen(r->msg);

	r->n++;
	if (len + 1 >= sizeof(r->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(r->msg + len, sizeof(r->msg) - len, fmt, ap);
	va_end(ap);
	strlcat(r->msg, "\n", sizeof(r->msg));
}

/* The messages of errs joined by newlines into buf ("" when empty). */
static inline const char *
tu_errs_join(const struct errlist *errs, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < errs->n; i++) {
		if (i > 0)
			strlcat(buf, "\n", len);
		strlcat(buf, errs->msg[i], len);
	}
	return buf;
}

/* The index of the first message after skip that starts with prefix and
   contains substr after it, or -1. */
static inline int
tu_errs_find(const struct errlist *errs, const char *prefix,
    const char *substr, size_t skip)
{
	size_t	i, plen = strlen(prefix);

	for (i = skip; i < errs->n; i++)
		if (strncmp(errs->msg[i], prefix, plen) == 0 &&
		    strstr(errs->msg[i] + plen, substr) != NULL)
			return (int)i;
	return -1;
}

/* Parse text as "t.conf" (conf_parse_buf); record in r unless it fails
   with exactly the errors want (joined by newlines, in order). */
static inline void
tu_report_fails(struct tu_report *r, const char *text, const char *want)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_parse_buf("t.conf", text, &errs);
	tu_errs_join(&errs, buf, sizeof(buf));
	if (conf != NULL)
		tu_report(r, "<<%s>> accepted", text);
	else if (strcmp(buf, want) != 0)
		tu_report(r, "<<%s>>\n  gave: %s\n  want: %s", text, buf, want);
	conf_free(conf);
	errlist_free(&errs);
}

/* Without `user`: as root a dedicated account (or nobody), never root;
   as another user, stay that user with its own groups. */
static inline void
tu_assert_identity_default(const struct conf *conf)
{
	struct passwd	*pw;

	ck_assert_str_eq(conf->group, "");
	if (geteuid() != 0) {
		ck_assert_str_eq(conf->user, "");
		ck_assert_uint_eq(conf->uid, geteuid());
		ck_assert_uint_eq(conf->gid, getegid());
		ck_assert_ptr_null(conf->groups);
		ck_assert_int_eq(conf->ngroups, 0);
		return;
	}
	ck_assert_str_ne(conf->user, "");
	ck_assert_str_ne(conf->user, "root");
	pw = getpwnam(conf->user);
	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_eq(conf->uid, pw->pw_uid);
	ck_assert_uint_eq(conf->gid, pw->pw_gid);
	ck_assert_uint_ne(conf->uid, 0);
	ck_assert_ptr_nonnull(conf->groups);
	ck_assert_int_ge(conf->ngroups, 1);
}

/* Every option of a configuration at its documented default. */
static inline void
tu_assert_defaults(const struct conf *conf, const char *file)
{
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->file, file);
	ck_assert_str_eq(conf->service, "incr");
	ck_assert_uint_eq(conf->nlisten, 1);
	ck_assert_int_eq(conf->listen[0].family, AF_INET);
	ck_assert_str_eq(conf->listen[0].text, "127.0.0.1:9090");
	ck_assert_int_eq(conf->backlog, 511);
	ck_assert_uint_eq(conf->unix_mode, 0666);
	ck_assert_uint_eq(conf->workers, 4);
	ck_assert_uint_eq(conf->max_requests, 0);
	ck_assert_uint_eq(conf->max_requests_jitter, 0);
	ck_assert_int_eq(conf->read_timeout_ms, 60000);
	ck_assert_int_eq(conf->write_timeout_ms, 60000);
	tu_assert_identity_default(conf);
}

/* Make a private scratch directory under $TMPDIR (or /tmp) in dir. */
static inline void
tu_mkdtemp(char *dir, size_t len)
{
	const char	*tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	ck_assert_int_lt(snprintf(dir, len, "%s/preforkd-unit.XXXXXX", tmp),
	    (int)len);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir,
	    strerror(errno));
}

/* Remove a scratch directory and everything in it (symlinks not
   followed). */
static inline void
tu_rmtree(const char *dir)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 path[PATH_MAX];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			tu_rmtree(path);
		else
			unlink(path);
	}
	closedir(d);
	ck_assert_msg(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
}

/*
 * The scratch directory of a test case, made once for all its tests by
 * an unchecked fixture (so that it is removed even when a test fails):
 * tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir).
 */
static char	tmpdir[PATH_MAX] __attribute__((unused));

static inline void
tu_setup_tmpdir(void)
{
	tu_mkdtemp(tmpdir, sizeof(tmpdir));
}

static inline void
tu_teardown_tmpdir(void)
{
	tu_rmtree(tmpdir);
}

/* dir/name into path, which must be large enough. */
static inline void
tu_path(char *path, size_t len, const char *dir, const char *name)
{
	int	r;

	r = snprintf(path, len, "%s/%s", dir, name);
	ck_assert_msg(r >= 0 && (size_t)r < len, "path too long: %s/%s",
	    dir, name);
}

/* Write len bytes of data to path (created or truncated, mode 0644). */
static inline void
tu_write_file(const char *path, const void *data, size_t len)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, data, len) == (ssize_t)len, "write %s: %s",
	    path, strerror(errno));
	ck_assert_int_eq(close(fd), 0);
}

/* xorshift32: small, seeded and the same everywhere. */
static inline uint32_t
tu_rand(uint32_t *state)
{
	uint32_t	x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Run a suite (CK_ENV verbosity): the exit status of a test program. */
static inline int
tu_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* PREFORKD_TESTUTIL_H */
