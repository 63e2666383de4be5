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
 * check_conffile.c: unit tests of conf.c on whole files: line numbers
 * around comments and the blanking of comments, conf_load()'s checks of
 * the file itself, the shipped sample, and the configuration corpus:
 *
 *  - every NAME.conf in tests/unit/data/conf/good loads without an error;
 *  - every NAME.conf in tests/unit/data/conf/bad fails to load, and starts
 *    with one or more lines "# expect: LINE: SUBSTRING": each must match
 *    its own error "PATH:LINE: ...SUBSTRING..." (LINE 0: "PATH: ...", an
 *    error without a line), and there must be no other error.
 *
 * Every option and its errors are in check_conf.c.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define CORPUS_BAD	SRCDIR "/unit/data/conf/bad"
#define CORPUS_GOOD	SRCDIR "/unit/data/conf/good"
#define SAMPLE_CONF	TOP_BUILDDIR "/etc/preforkd.conf"
#define MAX_CORPUS	256
#define MAX_EXPECT	32

static Suite	*conffile_suite(void);
static void	 corpus_check_bad(struct tu_report *r, const char *name);
static size_t	 corpus_scan(const char *dir, char **names, size_t max);
static int	 corpus_cmp(const void *a, const void *b);
static size_t	 corpus_expect(const char *path, int *lines, char **subs,
		    size_t max);

/* The corpus file names, read once before the tests fork. */
static char	*bad_files[MAX_CORPUS], *good_files[MAX_CORPUS];
static size_t	 nbad, ngood;

/* Line numbers after every kind of comment (libconfuse 3.3 miscounts). */
static const struct {
	const char	*text;
	const char	*errors;
} comment_lines[] = {
	{ "# one\n# two\nworkers = 0\n",
	    "t.conf:3: workers: 0 is out of range (1 to 4096)" },
	{ "// one\n// two\n\nworkers = 0\n",
	    "t.conf:4: workers: 0 is out of range (1 to 4096)" },
	{ "/* one\n two\n three */\nworkers = 0\n",
	    "t.conf:4: workers: 0 is out of range (1 to 4096)" },
	{ "/**/\n/* a */ /* b\n*/ workers = 0\n",
	    "t.conf:3: workers: 0 is out of range (1 to 4096)" },
	{ "workers = 2 # set\nbacklog = 1 // set\n/*\n\n*/\nworkers = 3\n",
	    "t.conf:6: workers: set twice (first on line 1)" },
	{ "workers = 0 /* a\nb */ backlog = 0\n",
	    "t.conf:1: workers: 0 is out of range (1 to 4096)\n"
	    "t.conf:2: backlog: 0 is out of range (1 to 65535)" },
	/* comments inside a list */
	{ "listen = {\n"
	    "\t# first\n"
	    "\t\"127.0.0.1:1\", // one\n"
	    "\t/* a\n"
	    "\t   b */ \"bad\",\n"
	    "\t\"127.0.0.1:1\"\n"
	    "}\n",
	    "t.conf:5: listen: " BAD_ADDR("bad") "\n"
	    "t.conf:6: listen: 127.0.0.1:1 is listed twice" },
	{ "listen = { # comment\n\"bad1\", # x\n# y\n\"bad2\" }\n",
	    "t.conf:2: listen: " BAD_ADDR("bad1") "\n"
	    "t.conf:4: listen: " BAD_ADDR("bad2") },
	{ "listen = {\"a\",/* x */\"b\"}\n",
	    "t.conf:1: listen: " BAD_ADDR("a") "\n"
	    "t.conf:1: listen: " BAD_ADDR("b") },
	/* quoted comment characters are data */
	{ "service = \"a#b\" # a comment\nworkers = 0\n",
	    "t.conf:1: service: unknown service 'a#b' (built-in services: "
	    "incr, echo; or module, exec, program)\n"
	    "t.conf:2: workers: 0 is out of range (1 to 4096)" },
	{ "service = 'c#d'\n", "t.conf:1: service: unknown service 'c#d' "
	    "(built-in services: incr, echo; or module, exec, "
	    "program)" },
	{ "service = \"x // y /* z */\"\nworkers = 0\n",
	    "t.conf:1: service: unknown service 'x // y /* z */' (built-in "
	    "services: incr, echo; or module, exec, program)\n"
	    "t.conf:2: workers: 0 is out of range (1 to 4096)" },
	{ "service = \"q\\\"#\" # c\nworkers = 0\n",
	    "t.conf:1: service: unknown service 'q\"#' (built-in services: "
	    "incr, echo; or module, exec, program)\n"
	    "t.conf:2: workers: 0 is out of range (1 to 4096)" },
	{ "# it's an apostrophe\n/* \"an unpaired quote */\nworkers = 0\n",
	    "t.conf:3: workers: 0 is out of range (1 to 4096)" },
	{ "listen = { \"unix:/a#b\", \"unix://c\", \"unix:/a#b\" }\n",
	    "t.conf:1: listen: unix:/a#b is listed twice" },
};

START_TEST(test_conf_comment_lines)
{
	struct tu_report	r = { "", 0 };
	size_t			i;

	for (i = 0; i < NELEM(comment_lines); i++)
		tu_report_fails(&r, comment_lines[i].text,
		    comment_lines[i].errors);
	TU_REPORT_END(&r);
}
END_TEST

/* conf_strip_comments blanks comments and keeps everything else. */
static const struct {
	const char	*in;
	const char	*out;
} strips[] = {
	{ "", "" },
	{ "workers = 2", "workers = 2" },
	{ "a # b\nc", "a    \nc" },
	{ "#\n#x\n", " \n  \n" },
	{ "a // b\nc", "a     \nc" },
	{ "// b", "    " },
	{ "/* a\nb */c", "    \n    c" },
	{ "x /**/ y", "x      y" },
	{ "x /* a */ /* b */", "x                " },
	{ "s = \"# no\" # yes", "s = \"# no\"      " },
	{ "s = '# no' # yes", "s = '# no'      " },
	{ "s = \"a\\\"# no\" #", "s = \"a\\\"# no\"  " },
	{ "s = \"// no /* no */\"", "s = \"// no /* no */\"" },
	{ "a//b", "a//b" },			/* not where a token starts */
	{ "x = a/*b*/", "x = a/*b*/" },
	{ "{//c\n}", "{   \n}" },
	{ "={/*c*/}", "={     }" },
	{ ",// c", ",    " },
	{ "# a \"quote\n\"#\"", "          \n\"#\"" },
	{ "/* unterminated\nx", "               \n " },
};

START_TEST(test_conf_strip_comments)
{
	struct tu_report	 r = { "", 0 };
	char			*s;
	size_t			 i;

	for (i = 0; i < NELEM(strips); i++) {
		s = strdup(strips[i].in);
		ck_assert_ptr_nonnull(s);
		conf_strip_comments(s);
		if (strcmp(s, strips[i].out) != 0)
			tu_report(&r, "<<%s>> gave <<%s>>, not <<%s>>",
			    strips[i].in, s, strips[i].out);
		free(s);
	}
	TU_REPORT_END(&r);
}
END_TEST

/* The "# expect: LINE: SUBSTRING" header lines of a bad corpus file. */
static size_t
corpus_expect(const char *path, int *lines, char **subs, size_t max)
{
	FILE	*f;
	char	 buf[1024], *p, *end;
	size_t	 n = 0;
	long	 line;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f) != NULL &&
	    strncmp(buf, "# expect: ", 10) == 0) {
		ck_assert_msg(n < max, "%s: too many expectations", path);
		buf[strcspn(buf, "\n")] = '\0';
		errno = 0;
		line = strtol(buf + 10, &end, 10);
		ck_assert_msg(end != buf + 10 && errno == 0 && line >= 0 &&
		    end[0] == ':' && end[1] == ' ' && end[2] != '\0',
		    "%s: bad header line '%s'", path, buf);
		p = strdup(end + 2);
		ck_assert_ptr_nonnull(p);
		lines[n] = (int)line;
		subs[n++] = p;
	}
	fclose(f);
	return n;
}

/* Load one bad corpus file and match its errors to its expectations. */
static void
corpus_check_bad(struct tu_report *r, const char *name)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 path[PATH_MAX], prefix[PATH_MAX + 32], buf[TU_ERRBUF];
	char		*subs[MAX_EXPECT];
	int		 lines[MAX_EXPECT], used[MAX_EXPECT] = { 0 }, k;
	size_t		 i, n;

	tu_path(path, sizeof(path), CORPUS_BAD, name);
	n = corpus_expect(path, lines, subs, MAX_EXPECT);
	if (n == 0) {
		tu_report(r, "%s: no '# expect: LINE: SUBSTRING' line", name);
		return;
	}
	conf = conf_load(path, &errs);
	tu_errs_join(&errs, buf, sizeof(buf));
	if (conf != NULL)
		tu_report(r, "%s: loaded", name);
	for (i = 0; i < n; i++) {
		if (lines[i] > 0)
			snprintf(prefix, sizeof(prefix), "%s:%d: ", path,
			    lines[i]);
		else
			snprintf(prefix, sizeof(prefix), "%s: ", path);
		/* each expectation matches an error of its own */
		k = -1;
		do
			k = tu_errs_find(&errs, prefix, subs[i], k + 1);
		while (k != -1 && used[k]);
		if (k == -1)
			tu_report(r, "%s: no error '%s...%s' in:\n%s", name,
			    prefix, subs[i], buf);
		else
			used[k] = 1;
		free(subs[i]);
	}
	if (errs.n != n)
		tu_report(r, "%s: %zu errors for %zu expectations:\n%s", name,
		    errs.n, n, buf);
	conf_free(conf);
	errlist_free(&errs);
}

START_TEST(test_conf_corpus_bad)
{
	struct tu_report	r = { "", 0 };
	size_t			i;

	for (i = 0; i < nbad; i++)
		corpus_check_bad(&r, bad_files[i]);
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_conf_corpus_good)
{
	struct tu_report	 r = { "", 0 };
	struct errlist		 errs = { 0 };
	struct conf		*conf;
	char			 path[PATH_MAX], buf[TU_ERRBUF];
	size_t			 i;

	for (i = 0; i < ngood; i++) {
		tu_path(path, sizeof(path), CORPUS_GOOD, good_files[i]);
		conf = conf_load(path, &errs);
		if (errs.n != 0 || conf == NULL)
			tu_report(&r, "%s:\n%s", good_files[i],
			    tu_errs_join(&errs, buf, sizeof(buf)));
		else if (strcmp(conf->file, path) != 0 || conf->nlisten < 1)
			tu_report(&r, "%s: wrong file name or no listener",
			    good_files[i]);
		conf_free(conf);
		errlist_free(&errs);
	}
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_conf_corpus_size)
{
	ck_assert_msg(nbad >= 12, "only %zu files in %s", nbad, CORPUS_BAD);
	ck_assert_msg(ngood >= 3, "only %zu files in %s", ngood, CORPUS_GOOD);
}
END_TEST

/* The shipped sample: every option commented out, so the defaults. */
START_TEST(test_conf_sample_file)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_load(SAMPLE_CONF, &errs);
	ck_assert_msg(errs.n == 0, "%s",
	    tu_errs_join(&errs, buf, sizeof(buf)));
	tu_assert_defaults(conf, SAMPLE_CONF);
	conf_free(conf);
}
END_TEST

START_TEST(test_conf_load_missing)
{
	struct errlist	 errs = { 0 };
	char		 path[PATH_MAX], want[PATH_MAX + 64];

	tu_path(path, sizeof(path), tmpdir, "missing.conf");
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s: cannot open: %s", path,
	    strerror(ENOENT));
	ck_assert_str_eq(errs.msg[0], want);
	errlist_free(&errs);
}
END_TEST

START_TEST(test_conf_load_not_regular)
{
	struct errlist	 errs = { 0 };
	char		 path[PATH_MAX], want[PATH_MAX + 64];

	tu_path(path, sizeof(path), tmpdir, "dir.conf");
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s: not a regular file of at most "
	    "1048576 bytes", path);
	ck_assert_str_eq(errs.msg[0], want);
	errlist_free(&errs);
}
END_TEST

START_TEST(test_conf_load_size_limit)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 path[PATH_MAX], want[PATH_MAX + 64];
	char		*text;
	size_t		 len = 1024 * 1024;

	tu_path(path, sizeof(path), tmpdir, "big.conf");

	/* exactly 1 MiB: loads */
	text = malloc(len + 1);
	ck_assert_ptr_nonnull(text);
	memset(text, ' ', len);
	memcpy(text, "workers = 3\n", 12);
	text[len - 1] = '\n';
	tu_write_file(path, text, len);
	conf = conf_load(path, &errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(conf->workers, 3);
	conf_free(conf);

	/* one byte more: refused */
	text[len] = '\n';
	tu_write_file(path, text, len + 1);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s: not a regular file of at most "
	    "1048576 bytes", path);
	ck_assert_str_eq(errs.msg[0], want);
	errlist_free(&errs);
	free(text);
}
END_TEST

START_TEST(test_conf_load_nul_byte)
{
	struct errlist	 errs = { 0 };
	char		 path[PATH_MAX], want[PATH_MAX + 64];

	tu_path(path, sizeof(path), tmpdir, "nul.conf");
	tu_write_file(path, "workers = 2\n\0workers = 0\n", 25);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s: contains a NUL byte", path);
	ck_assert_str_eq(errs.msg[0], want);
	errlist_free(&errs);
}
END_TEST

/* conf_load names the file in every message. */
START_TEST(test_conf_load_messages)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 path[PATH_MAX], want[PATH_MAX + 128];

	tu_path(path, sizeof(path), tmpdir, "x.conf");
	tu_write_file(path, "# x\nworkers = 0\n", 16);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s:2: workers: 0 is out of range (1 to "
	    "4096)", path);
	ck_assert_str_eq(errs.msg[0], want);
	errlist_free(&errs);

	tu_write_file(path, "workers = 7\n", 12);
	conf = conf_load(path, &errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->file, path);
	ck_assert_uint_eq(conf->workers, 7);
	conf_free(conf);
}
END_TEST

static int
corpus_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of dir, sorted; names[] are malloc'ed. */
static size_t
corpus_scan(const char *dir, char **names, size_t max)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0, len;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) != NULL && n < max) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0 &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), corpus_cmp);
	return n;
}

static Suite *
conffile_suite(void)
{
	Suite	*s = suite_create("conffile");
	TCase	*tc;

	tc = tcase_create("comments");
	tcase_add_test(tc, test_conf_comment_lines);
	tcase_add_test(tc, test_conf_strip_comments);
	suite_add_tcase(s, tc);

	nbad = corpus_scan(CORPUS_BAD, bad_files, MAX_CORPUS);
	ngood = corpus_scan(CORPUS_GOOD, good_files, MAX_CORPUS);
	tc = tcase_create("corpus");
	tcase_add_test(tc, test_conf_corpus_size);
	tcase_add_test(tc, test_conf_corpus_bad);
	tcase_add_test(tc, test_conf_corpus_good);
	tcase_add_test(tc, test_conf_sample_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir);
	tcase_add_test(tc, test_conf_load_missing);
	tcase_add_test(tc, test_conf_load_not_regular);
	tcase_add_test(tc, test_conf_load_size_limit);
	tcase_add_test(tc, test_conf_load_nul_byte);
	tcase_add_test(tc, test_conf_load_messages);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(conffile_suite());
}
