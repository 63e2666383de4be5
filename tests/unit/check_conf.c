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
 * check_conf.c: unit tests of conf.c: every option and its default, and
 * every kind of invalid input with its exact "FILE:LINE: option: message"
 * text.  Comments, whole files and the configuration corpus are in
 * check_conffile.c.
 *
 * Runs as root or as any user: only the worker identity chosen when no
 * `user` is set differs, and that test checks whichever applies.
 */

#include <sys/socket.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define BAD_DURATION(s)							\
	"invalid duration '" s "' (use a number with a unit: 500ms, "	\
	"30s, 5m, 1h, 2d)"
#define BAD_MODE(s)							\
	"invalid mode '" s "' (an octal number from 0 to 0777, e.g. 0660)"
#define UNCLOSED							\
	"syntax error: unexpected end of file (an unclosed quote or brace?)"
#define NAME63								\
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define NAME64		NAME63 "l"

static Suite	*conf_suite(void);
static struct conf *parse_ok(const char *text);
static void	 parse_fails(const char *text, const char *want);
static int	 nobody_group(char *name, size_t len, gid_t *gid);

/* Parse text as "t.conf"; it must give a configuration and no error. */
static struct conf *
parse_ok(const char *text)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_parse_buf("t.conf", text, &errs);
	ck_assert_msg(errs.n == 0, "unexpected errors for <<%s>>:\n%s", text,
	    tu_errs_join(&errs, buf, sizeof(buf)));
	ck_assert_ptr_nonnull(conf);
	errlist_free(&errs);
	return conf;
}

/* Parse text as "t.conf"; it must fail with exactly the errors want
   (joined by newlines, in order). */
static void
parse_fails(const char *text, const char *want)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_parse_buf("t.conf", text, &errs);
	ck_assert_msg(conf == NULL, "<<%s>> accepted", text);
	tu_errs_join(&errs, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, want) == 0, "<<%s>>\n  gave: %s\n  want: %s",
	    text, buf, want);
	errlist_free(&errs);
}

/* The name and gid of nobody's primary group; -1 if there is none. */
static int
nobody_group(char *name, size_t len, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;

	if ((pw = getpwnam("nobody")) == NULL ||
	    (gr = getgrgid(pw->pw_gid)) == NULL) {
		fprintf(stderr, "SKIP: no user nobody or no group of it\n");
		return -1;
	}
	strlcpy(name, gr->gr_name, len);
	*gid = gr->gr_gid;
	return 0;
}

START_TEST(test_conf_defaults_empty)
{
	struct conf	*conf;

	conf = parse_ok("");
	tu_assert_defaults(conf, "t.conf");
	conf_free(conf);

	/* blank lines and comments only: still the defaults */
	conf = parse_ok("\n\n   \t\n# workers = 9\n// backlog = 1\n"
	    "/* service = \"echo\" */\n");
	tu_assert_defaults(conf, "t.conf");
	conf_free(conf);
}
END_TEST

START_TEST(test_conf_defaults_builtin)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;

	conf = conf_defaults(&errs);
	ck_assert_uint_eq(errs.n, 0);
	tu_assert_defaults(conf, "(built-in defaults)");
	conf_free(conf);
	conf_free(NULL);		/* allowed, like free(3) */
}
END_TEST

START_TEST(test_conf_every_option)
{
	struct conf	*conf;
	struct passwd	*pw;
	char		 text[1024], group[NAME_MAXLEN];
	gid_t		 gid;
	int		 i, found;

	if (nobody_group(group, sizeof(group), &gid) == -1)
		return;
	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	snprintf(text, sizeof(text),
	    "service = \"echo\"\n"
	    "listen = { \"*:8080\", \"[::1]:9090\", \"unix:/run/x.sock\" }\n"
	    "backlog = 128\n"
	    "unix_mode = 0660\n"
	    "user = \"nobody\"\n"
	    "group = \"%s\"\n"
	    "workers = 16\n"
	    "max_requests = 10000\n"
	    "max_requests_jitter = 500\n"
	    "read_timeout = 500ms\n"
	    "write_timeout = 5m\n", group);
	conf = parse_ok(text);
	ck_assert_str_eq(conf->file, "t.conf");
	ck_assert_str_eq(conf->service, "echo");
	ck_assert_uint_eq(conf->nlisten, 4);
	ck_assert_int_eq(conf->listen[0].family, AF_INET);
	ck_assert_str_eq(conf->listen[0].text, "0.0.0.0:8080");
	ck_assert_int_eq(conf->listen[1].family, AF_INET6);
	ck_assert_str_eq(conf->listen[1].text, "[::]:8080");
	ck_assert_int_eq(conf->listen[2].family, AF_INET6);
	ck_assert_str_eq(conf->listen[2].text, "[::1]:9090");
	ck_assert_int_eq(conf->listen[3].family, AF_UNIX);
	ck_assert_str_eq(conf->listen[3].text, "unix:/run/x.sock");
	ck_assert_int_eq(conf->backlog, 128);
	ck_assert_uint_eq(conf->unix_mode, 0660);
	ck_assert_str_eq(conf->user, "nobody");
	ck_assert_str_eq(conf->group, group);
	ck_assert_uint_eq(conf->uid, pw->pw_uid);
	ck_assert_uint_eq(conf->gid, gid);
	ck_assert_ptr_nonnull(conf->groups);
	ck_assert_int_ge(conf->ngroups, 1);
	for (i = found = 0; i < conf->ngroups; i++)
		found |= conf->groups[i] == gid;
	ck_assert_msg(found, "gid %u not among the groups", (unsigned)gid);
	ck_assert_uint_eq(conf->workers, 16);
	ck_assert_uint_eq(conf->max_requests, 10000);
	ck_assert_uint_eq(conf->max_requests_jitter, 500);
	ck_assert_int_eq(conf->read_timeout_ms, 500);
	ck_assert_int_eq(conf->write_timeout_ms, 300000);
	conf_free(conf);
}
END_TEST

/* A `group` alone overrides the group, as root or not. */
START_TEST(test_conf_group_only)
{
	struct conf	*conf;
	char		 text[256], group[NAME_MAXLEN];
	gid_t		 gid;

	if (nobody_group(group, sizeof(group), &gid) == -1)
		return;
	snprintf(text, sizeof(text), "group = \"%s\"\n", group);
	conf = parse_ok(text);
	ck_assert_str_eq(conf->group, group);
	ck_assert_uint_eq(conf->gid, gid);
	conf_free(conf);
}
END_TEST

START_TEST(test_conf_user_no_group)
{
	struct conf	*conf;
	struct passwd	*pw;

	if ((pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "SKIP %s: no user nobody\n", __func__);
		return;
	}
	conf = parse_ok("user = \"nobody\"");
	ck_assert_str_eq(conf->user, "nobody");
	ck_assert_str_eq(conf->group, "");
	ck_assert_uint_eq(conf->uid, pw->pw_uid);
	ck_assert_uint_eq(conf->gid, pw->pw_gid);	/* the primary group */
	ck_assert_ptr_nonnull(conf->groups);
	ck_assert_int_ge(conf->ngroups, 1);
	conf_free(conf);
}
END_TEST

START_TEST(test_conf_identity_default)
{
	struct conf	*conf;

	conf = parse_ok("user = \"\"\ngroup = \"\"\n");
	tu_assert_identity_default(conf);
	conf_free(conf);
}
END_TEST

static const struct {
	const char	*text;
	int		 ms;
} durations[] = {
	{ "500ms", 500 },
	{ "\"500ms\"", 500 },
	{ "30s", 30000 },
	{ "5m", 300000 },
	{ "1h", 3600000 },
	{ "2d", 172800000 },
	{ "24d", 2073600000 },
	{ "45", 45000 },		/* a bare number is seconds */
	{ "0", 0 },			/* no timeout */
	{ "\" 10s \"", 10000 },
};

START_TEST(test_conf_durations)
{
	struct tu_report	 r = { "", 0 };
	struct conf		*conf;
	char			 text[256];
	size_t			 i;

	for (i = 0; i < NELEM(durations); i++) {
		snprintf(text, sizeof(text), "read_timeout = %s\n"
		    "write_timeout = %s\n", durations[i].text,
		    durations[i].text);
		conf = parse_ok(text);
		if (conf->read_timeout_ms != durations[i].ms ||
		    conf->write_timeout_ms != durations[i].ms)
			tu_report(&r, "%s: %d and %d ms, not %d",
			    durations[i].text, conf->read_timeout_ms,
			    conf->write_timeout_ms, durations[i].ms);
		conf_free(conf);
	}
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_conf_numbers_and_modes)
{
	struct conf	*conf;

	conf = parse_ok("workers = 1\nbacklog = 1\nmax_requests = 1\n"
	    "max_requests_jitter = 0\nunix_mode = 0\n");
	ck_assert_uint_eq(conf->workers, 1);
	ck_assert_int_eq(conf->backlog, 1);
	ck_assert_uint_eq(conf->max_requests, 1);
	ck_assert_uint_eq(conf->max_requests_jitter, 0);
	ck_assert_uint_eq(conf->unix_mode, 0);
	conf_free(conf);

	conf = parse_ok("workers = 4096\nbacklog = 65535\n"
	    "max_requests = 1000000000\nmax_requests_jitter = 1000000000\n"
	    "unix_mode = 0777\n");
	ck_assert_uint_eq(conf->workers, PREFORKD_MAX_WORKERS);
	ck_assert_int_eq(conf->backlog, 65535);
	ck_assert_uint_eq(conf->max_requests, 1000000000);
	ck_assert_uint_eq(conf->max_requests_jitter, 1000000000);
	ck_assert_uint_eq(conf->unix_mode, 0777);
	conf_free(conf);

	/* quoted numbers, and a mode without its leading 0 */
	conf = parse_ok("workers = \"7\"\nunix_mode = 660\n");
	ck_assert_uint_eq(conf->workers, 7);
	ck_assert_uint_eq(conf->unix_mode, 0660);
	conf_free(conf);
	conf = parse_ok("unix_mode = \"0600\"\n");
	ck_assert_uint_eq(conf->unix_mode, 0600);
	conf_free(conf);
}
END_TEST

START_TEST(test_conf_listen_forms)
{
	struct conf	*conf;

	conf = parse_ok("listen = { \"*:9090\" }");
	ck_assert_uint_eq(conf->nlisten, 2);
	ck_assert_int_eq(conf->listen[0].family, AF_INET);
	ck_assert_str_eq(conf->listen[0].text, "0.0.0.0:9090");
	ck_assert_int_eq(conf->listen[1].family, AF_INET6);
	ck_assert_str_eq(conf->listen[1].text, "[::]:9090");
	conf_free(conf);

	conf = parse_ok("listen = { \"[::1]:9090\" }");
	ck_assert_uint_eq(conf->nlisten, 1);
	ck_assert_int_eq(conf->listen[0].family, AF_INET6);
	ck_assert_str_eq(conf->listen[0].text, "[::1]:9090");
	conf_free(conf);

	/* a single value without braces is a list of one */
	conf = parse_ok("listen = \"10.0.0.1:80\"");
	ck_assert_uint_eq(conf->nlisten, 1);
	ck_assert_str_eq(conf->listen[0].text, "10.0.0.1:80");
	conf_free(conf);

	conf = parse_ok("listen = { \"unix:/run/x.sock\" }");
	ck_assert_uint_eq(conf->nlisten, 1);
	ck_assert_int_eq(conf->listen[0].family, AF_UNIX);
	ck_assert_str_eq(conf->listen[0].text, "unix:/run/x.sock");
	conf_free(conf);

	/* the order is kept; the canonical text is stored */
	conf = parse_ok("listen = { \"unix:/a\", \"127.0.0.1:00080\",\n"
	    "\"[0:0:0:0:0:0:0:1]:1\", \"*:0\", \"10.0.0.1:0\" }");
	ck_assert_uint_eq(conf->nlisten, 6);
	ck_assert_str_eq(conf->listen[0].text, "unix:/a");
	ck_assert_str_eq(conf->listen[1].text, "127.0.0.1:80");
	ck_assert_str_eq(conf->listen[2].text, "[::1]:1");
	ck_assert_str_eq(conf->listen[3].text, "0.0.0.0:0");
	ck_assert_str_eq(conf->listen[4].text, "[::]:0");
	ck_assert_str_eq(conf->listen[5].text, "10.0.0.1:0");
	conf_free(conf);
}
END_TEST

/* At most 256 listen values (each "*:PORT" making two listeners). */
START_TEST(test_conf_listen_many)
{
	struct conf	*conf;
	char		*text, *p;
	size_t		 i, len = 64 * 300;

	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	p = text + snprintf(text, len, "listen = {\n");
	for (i = 0; i < 256; i++)
		p += snprintf(p, len - (p - text), "%s\"*:%zu\"\n",
		    i > 0 ? "," : "", i + 1);
	strlcat(text, "}\n", len);
	conf = parse_ok(text);
	ck_assert_uint_eq(conf->nlisten, 512);
	ck_assert_str_eq(conf->listen[0].text, "0.0.0.0:1");
	ck_assert_str_eq(conf->listen[511].text, "[::]:256");
	conf_free(conf);

	p = strrchr(text, '}');
	snprintf(p, len - (p - text), ", \"*:257\" }\n");
	parse_fails(text, "t.conf:2: listen: too many addresses (at most "
	    "256)");
	free(text);
}
END_TEST

/* One invalid value at a time, and its exact message. */
static const struct {
	const char	*text;
	const char	*errors;
} invalid[] = {
	/* numbers out of range */
	{ "workers = 0", "t.conf:1: workers: 0 is out of range (1 to 4096)" },
	{ "workers = 4097",
	    "t.conf:1: workers: 4097 is out of range (1 to 4096)" },
	{ "backlog = 0", "t.conf:1: backlog: 0 is out of range (1 to 65535)" },
	{ "backlog = 65536",
	    "t.conf:1: backlog: 65536 is out of range (1 to 65535)" },
	{ "max_requests = 1000000001", "t.conf:1: max_requests: 1000000001 "
	    "is out of range (0 to 1000000000)" },
	{ "max_requests = 5\nmax_requests_jitter = 1000000001",
	    "t.conf:2: max_requests_jitter: 1000000001 is out of range (0 to "
	    "1000000000)" },
	{ "workers = 99999999999999999999", "t.conf:1: workers: "
	    "99999999999999999999 is out of range (1 to 4096)" },
	/* not numbers */
	{ "workers = five", "t.conf:1: workers: invalid number 'five'" },
	{ "workers = -1", "t.conf:1: workers: invalid number '-1'" },
	{ "workers = 1.5", "t.conf:1: workers: invalid number '1.5'" },
	{ "workers = 0x10", "t.conf:1: workers: invalid number '0x10'" },
	{ "workers = \"\"", "t.conf:1: workers: invalid number ''" },
	{ "backlog = \"1 2\"", "t.conf:1: backlog: invalid number '1 2'" },
	{ "max_requests = 1k",
	    "t.conf:1: max_requests: invalid number '1k'" },
	/* bad durations */
	{ "read_timeout = 10y",
	    "t.conf:1: read_timeout: " BAD_DURATION("10y") },
	{ "read_timeout = \"\"",
	    "t.conf:1: read_timeout: " BAD_DURATION("") },
	{ "write_timeout = \"-5s\"",
	    "t.conf:1: write_timeout: " BAD_DURATION("-5s") },
	{ "write_timeout = \"1.5s\"",
	    "t.conf:1: write_timeout: " BAD_DURATION("1.5s") },
	{ "write_timeout = 5S",
	    "t.conf:1: write_timeout: " BAD_DURATION("5S") },
	{ "read_timeout = 25d", "t.conf:1: read_timeout: duration '25d' is "
	    "too long (at most 24 days)" },
	{ "write_timeout = 2147484", "t.conf:1: write_timeout: duration "
	    "'2147484' is too long (at most 24 days)" },
	/* bad modes */
	{ "unix_mode = 0800", "t.conf:1: unix_mode: " BAD_MODE("0800") },
	{ "unix_mode = 1000", "t.conf:1: unix_mode: " BAD_MODE("1000") },
	{ "unix_mode = 0x1ff", "t.conf:1: unix_mode: " BAD_MODE("0x1ff") },
	{ "unix_mode = -1", "t.conf:1: unix_mode: " BAD_MODE("-1") },
	{ "unix_mode = \"rw-rw----\"",
	    "t.conf:1: unix_mode: " BAD_MODE("rw-rw----") },
	{ "unix_mode = \" 0660\"", "t.conf:1: unix_mode: " BAD_MODE(" 0660") },
	{ "unix_mode = \"\"", "t.conf:1: unix_mode: " BAD_MODE("") },
	/* unknown names */
	{ "wokers = 4", "t.conf:1: wokers: unknown option" },
	{ "\n\nWorkers = 4", "t.conf:3: Workers: unknown option" },
	{ "service = \"http\"", "t.conf:1: service: unknown service 'http' "
	    "(built-in services: incr, echo; or module, exec, "
	    "program)" },
	{ "service = \"\"", "t.conf:1: service: unknown service '' "
	    "(built-in services: incr, echo; or module, exec, "
	    "program)" },
	{ "service = \"INCR\"", "t.conf:1: service: unknown service 'INCR' "
	    "(built-in services: incr, echo; or module, exec, "
	    "program)" },
	{ "user = \"no-such-user.preforkd-test\"",
	    "t.conf:1: user: unknown user 'no-such-user.preforkd-test'" },
	{ "group = \"no-such-group.preforkd-test\"",
	    "t.conf:1: group: unknown group 'no-such-group.preforkd-test'" },
	{ "user = \"no-such-user.preforkd-test\"\n"
	    "group = \"no-such-group.preforkd-test\"",
	    "t.conf:1: user: unknown user 'no-such-user.preforkd-test'\n"
	    "t.conf:2: group: unknown group 'no-such-group.preforkd-test'" },
	/* bad addresses */
	{ "listen = { \"localhost:80\" }",
	    "t.conf:1: listen: " BAD_ADDR("localhost:80") },
	{ "listen = { \"127.0.0.1\" }",
	    "t.conf:1: listen: " BAD_ADDR("127.0.0.1") },
	{ "listen = { \"127.0.0.1:\" }",
	    "t.conf:1: listen: " BAD_ADDR("127.0.0.1:") },
	{ "listen = { \"127.0.0.1:65536\" }",
	    "t.conf:1: listen: " BAD_ADDR("127.0.0.1:65536") },
	{ "listen = { \"1.2.3:80\" }",
	    "t.conf:1: listen: " BAD_ADDR("1.2.3:80") },
	{ "listen = { \"::1:80\" }", "t.conf:1: listen: " BAD_ADDR("::1:80") },
	{ "listen = { \"[::1]\" }", "t.conf:1: listen: " BAD_ADDR("[::1]") },
	{ "listen = { \"[1.2.3.4]:80\" }",
	    "t.conf:1: listen: " BAD_ADDR("[1.2.3.4]:80") },
	{ "listen = { \":80\" }", "t.conf:1: listen: " BAD_ADDR(":80") },
	{ "listen = { \"*\" }", "t.conf:1: listen: " BAD_ADDR("*") },
	{ "listen = { \"\" }", "t.conf:1: listen: " BAD_ADDR("") },
	{ "listen = { \"unix:run/x.sock\" }", "t.conf:1: listen: "
	    "'unix:run/x.sock': the unix socket path must be absolute" },
	{ "listen = { \"unix:/"
	    "ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
	    "pppppppppppppppppppppppppppppppppppppppppp\" }",
	    "t.conf:1: listen: 'unix:/"
	    "ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
	    "pppppppppppppppppppppppppppppppppppppppppp': the unix socket "
	    "path is longer than 107 bytes" },
	{ "listen = {}", "t.conf: listen: no address given" },
	/* duplicate listen entries */
	{ "listen = { \"*:80\", \"0.0.0.0:80\" }",
	    "t.conf:1: listen: 0.0.0.0:80 is listed twice" },
	{ "listen = { \"[::]:80\",\n\"*:80\" }",
	    "t.conf:2: listen: [::]:80 is listed twice" },
	{ "listen = { \"[::1]:80\",\n\n\"[0:0::1]:80\" }",
	    "t.conf:3: listen: [::1]:80 is listed twice" },
	{ "listen = { \"127.0.0.1:80\", \"127.0.0.1:080\" }",
	    "t.conf:1: listen: 127.0.0.1:80 is listed twice" },
	{ "listen = { \"unix:/a\", \"unix:/a\", \"unix:/a\" }",
	    "t.conf:1: listen: unix:/a is listed twice\n"
	    "t.conf:1: listen: unix:/a is listed twice" },
	/* an option set twice */
	{ "workers = 2\nworkers = 2",
	    "t.conf:2: workers: set twice (first on line 1)" },
	{ "service = \"incr\"\n\n\nservice = \"echo\"",
	    "t.conf:4: service: set twice (first on line 1)" },
	{ "read_timeout = 1s\nread_timeout = 2s\nread_timeout = 3s",
	    "t.conf:2: read_timeout: set twice (first on line 1)\n"
	    "t.conf:3: read_timeout: set twice (first on line 1)" },
	/* syntax */
	{ "listen = { \"127.0.0.1:1\"", "t.conf:1: " UNCLOSED },
	{ "listen = { \"127.0.0.1:1\",\n\"127.0.0.1:2\"\n",
	    "t.conf:3: " UNCLOSED },
	{ "service = \"incr", "t.conf:1: " UNCLOSED },
	{ "service = 'incr\n",
	    "t.conf:2: syntax error: unterminated string constant" },
	{ "workers 4", "t.conf:1: workers: missing '=' after the option name" },
	{ "workers += 4",
	    "t.conf:1: workers: '+=' works only on list options" },
	{ "}", "t.conf:1: syntax error: unexpected closing brace" },
	{ "workers = 2\n{", "t.conf:2: syntax error: unexpected token '{'" },
	{ "workers =", "t.conf:1: " UNCLOSED },
	/* too long names (NAME_MAXLEN - 1 = 63 bytes at most) */
	{ "service = \"" NAME64 "\"", "t.conf:1: service: "
	    "'abcdefghijklmnopqrst...' is too long (at most 63 bytes)" },
};

START_TEST(test_conf_invalid)
{
	struct tu_report	r = { "", 0 };
	size_t			i;

	for (i = 0; i < NELEM(invalid); i++)
		tu_report_fails(&r, invalid[i].text, invalid[i].errors);
	TU_REPORT_END(&r);
}
END_TEST

/* 63 bytes is not too long: the name is looked up. */
START_TEST(test_conf_name_63_bytes)
{
	parse_fails("service = \"" NAME63 "\"", "t.conf:1: service: unknown "
	    "service '" NAME63 "' (built-in services: incr, echo; or module, "
	    "exec, program)");
	parse_fails("user = \"" NAME63 "\"",
	    "t.conf:1: user: unknown user '" NAME63 "'");
	parse_fails("group = \"" NAME63 "\"",
	    "t.conf:1: group: unknown group '" NAME63 "'");
}
END_TEST

/*
 * A too-long user or group is reported once, as too long; no second
 * message about an "unknown" truncated name that is not in the file.
 */
START_TEST(test_conf_too_long_user)
{
	parse_fails("user = \"" NAME64 "\"", "t.conf:1: user: "
	    "'abcdefghijklmnopqrst...' is too long (at most 63 bytes)");
}
END_TEST

START_TEST(test_conf_too_long_group)
{
	parse_fails("group = \"" NAME64 "\"", "t.conf:1: group: "
	    "'abcdefghijklmnopqrst...' is too long (at most 63 bytes)");
}
END_TEST

/* Errors from the parse and from the checks after it, sorted by line. */
START_TEST(test_conf_errors_sorted)
{
	parse_fails(
	    "max_requests_jitter = 10\n"
	    "listen = { \"bad\" }\n"
	    "workers = 0\n"
	    "user = \"no-such-user.preforkd-test\"\n"
	    "backlog = x\n",
	    "t.conf:1: warning: max_requests_jitter: has no effect without "
	    "max_requests\n"
	    "t.conf:2: listen: " BAD_ADDR("bad") "\n"
	    "t.conf:3: workers: 0 is out of range (1 to 4096)\n"
	    "t.conf:4: user: unknown user 'no-such-user.preforkd-test'\n"
	    "t.conf:5: backlog: invalid number 'x'");
}
END_TEST

/* Messages already in the list stay first and do not fail the parse. */
START_TEST(test_conf_errs_appended)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;

	errlist_add(&errs, "t.conf:9: earlier");
	conf = conf_parse_buf("t.conf", "workers = 3\n", &errs);
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(conf->workers, 3);
	ck_assert_uint_eq(errs.n, 1);
	conf_free(conf);

	conf = conf_parse_buf("t.conf", "\nbacklog = 0\nworkers = 0\n",
	    &errs);
	ck_assert_ptr_null(conf);
	ck_assert_uint_eq(errs.n, 3);
	ck_assert_str_eq(errs.msg[0], "t.conf:9: earlier");
	ck_assert_str_eq(errs.msg[1],
	    "t.conf:2: backlog: 0 is out of range (1 to 65535)");
	ck_assert_str_eq(errs.msg[2],
	    "t.conf:3: workers: 0 is out of range (1 to 4096)");
	errlist_free(&errs);
}
END_TEST

/* One parse leaves nothing behind for the next. */
START_TEST(test_conf_parses_independent)
{
	struct conf	*conf;

	parse_fails("workers = 2\nlisten = { \"bad\" }\nworkers = 3",
	    "t.conf:2: listen: " BAD_ADDR("bad") "\n"
	    "t.conf:3: workers: set twice (first on line 1)");
	conf = parse_ok("workers = 5\nlisten = { \"127.0.0.1:1\" }");
	ck_assert_uint_eq(conf->workers, 5);
	ck_assert_str_eq(conf->listen[0].text, "127.0.0.1:1");
	conf_free(conf);
	conf = parse_ok("");
	tu_assert_defaults(conf, "t.conf");
	conf_free(conf);
}
END_TEST

/*
 * `listen` set twice is an error like any other option set twice, not a
 * silent replacement of the first list by the second.
 */
START_TEST(test_conf_list_set_twice)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_parse_buf("t.conf", "listen = { \"127.0.0.1:1\" }\n"
	    "listen = { \"127.0.0.1:2\" }\n", &errs);
	ck_assert_msg(conf == NULL && tu_errs_find(&errs, "t.conf:2: listen: ",
	    "", 0) != -1, "no error on line 2; listen is %s%s:\n%s",
	    conf != NULL ? conf->listen[0].text : "-",
	    conf != NULL && conf->nlisten > 1 ? ", ..." : "",
	    tu_errs_join(&errs, buf, sizeof(buf)));
	errlist_free(&errs);
}
END_TEST

/*
 * A list set twice: the message for a bad value names the line that
 * holds it (not the line of the first assignment).
 */
START_TEST(test_conf_list_set_twice_line)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_parse_buf("t.conf", "listen = { \"127.0.0.1:1\" }\n"
	    "\n"
	    "listen = { \"bad\" }\n", &errs);
	ck_assert_ptr_null(conf);
	ck_assert_msg(tu_errs_find(&errs, "t.conf:3: listen: ", "", 0) != -1 &&
	    tu_errs_find(&errs, "t.conf:1:", "", 0) == -1,
	    "no error on line 3, or one on line 1:\n%s",
	    tu_errs_join(&errs, buf, sizeof(buf)));
	errlist_free(&errs);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("values");
	tcase_add_test(tc, test_conf_defaults_empty);
	tcase_add_test(tc, test_conf_defaults_builtin);
	tcase_add_test(tc, test_conf_every_option);
	tcase_add_test(tc, test_conf_group_only);
	tcase_add_test(tc, test_conf_user_no_group);
	tcase_add_test(tc, test_conf_identity_default);
	tcase_add_test(tc, test_conf_durations);
	tcase_add_test(tc, test_conf_numbers_and_modes);
	tcase_add_test(tc, test_conf_listen_forms);
	tcase_add_test(tc, test_conf_listen_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_conf_invalid);
	tcase_add_test(tc, test_conf_name_63_bytes);
	tcase_add_test(tc, test_conf_too_long_user);
	tcase_add_test(tc, test_conf_too_long_group);
	tcase_add_test(tc, test_conf_errors_sorted);
	tcase_add_test(tc, test_conf_errs_appended);
	tcase_add_test(tc, test_conf_parses_independent);
	tcase_add_test(tc, test_conf_list_set_twice);
	tcase_add_test(tc, test_conf_list_set_twice_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(conf_suite());
}
