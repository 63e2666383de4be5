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
 * check_confuse: the libconfuse messages that conf_confuse.c rewrites
 * are still libconfuse's.  The rewriting matches libconfuse's English
 * format strings exactly; if a new libconfuse words one differently, the
 * rewriting would silently stop and users would get raw, lineless
 * sentences.  Each string must occur verbatim in the libconfuse library
 * this program runs with, and each one a file can trigger is triggered
 * and must come out in our form.
 */

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "testutil.h"
#include "conf_int.h"

/* Text that makes libconfuse say each of its messages we rewrite. */
static const struct {
	const char	*confuse;
	const char	*text;
	const char	*want;
} triggers[] = {
	{ "no such option '%s'", "colour = 1",
	    "t.conf:1: colour: unknown option" },
	{ "missing equal sign after option '%s'", "workers 4",
	    "t.conf:1: workers: missing '=' after the option name" },
	{ "attempt to append to non-list option '%s'", "workers += 4",
	    "t.conf:1: workers: '+=' works only on list options" },
	{ "invalid boolean value for option '%s'",
	    "worker_core_dumps = maybe", "t.conf:1: worker_core_dumps: "
	    "invalid boolean (use true or false)" },
	{ "premature end of file", "listen = { \"a\"", "t.conf:1: syntax "
	    "error: unexpected end of file (an unclosed quote or brace?)" },
};

/* The whole libconfuse library file, as the dynamic linker found it. */
static char *
confuse_library(size_t *len)
{
	Dl_info	 info;
	FILE	*f;
	char	*buf;
	long	 n;

	ck_assert_msg(dladdr((void *)cfg_init, &info) != 0 &&
	    info.dli_fname != NULL, "dladdr(cfg_init)");
	ck_assert_ptr_nonnull(f = fopen(info.dli_fname, "re"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(buf = malloc(n));
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	fclose(f);
	*len = n;
	return buf;
}

START_TEST(test_confuse_strings_in_library)
{
	struct tu_report	 r = { "", 0 };
	const char		*fmt, *ours;
	char			*lib;
	size_t			 len, i;
	int			 has_opt;

	lib = confuse_library(&len);
	for (i = 0; (fmt = conf_confuse_message(i, &has_opt, &ours)) != NULL;
	    i++)
		if (memmem(lib, len, fmt, strlen(fmt) + 1) == NULL)
			tu_report(&r, "libconfuse no longer says \"%s\"", fmt);
	ck_assert_uint_ge(i, 5);
	free(lib);
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_confuse_rewritten)
{
	struct tu_report	 r = { "", 0 };
	struct errlist		 errs = { 0 };
	struct conf		*conf;
	char			 buf[TU_ERRBUF];
	size_t			 i;

	for (i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
		conf = conf_parse_buf("t.conf", triggers[i].text, &errs);
		tu_errs_join(&errs, buf, sizeof(buf));
		if (conf != NULL || strncmp(buf, triggers[i].want,
		    strlen(triggers[i].want)) != 0)
			tu_report(&r, "\"%s\" (libconfuse: %s)\n  gave: %s\n"
			    "  want: %s", triggers[i].text, triggers[i].confuse,
			    buf, triggers[i].want);
		conf_free(conf);
		errlist_free(&errs);
	}
	TU_REPORT_END(&r);
}
END_TEST

static Suite *
confuse_suite(void)
{
	Suite	*s = suite_create("confuse");
	TCase	*tc = tcase_create("messages");

	tcase_add_test(tc, test_confuse_strings_in_library);
	tcase_add_test(tc, test_confuse_rewritten);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(confuse_suite());
}
