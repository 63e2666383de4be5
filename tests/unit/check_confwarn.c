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
 * check_confwarn: what the configuration check says beyond syntax:
 * warnings (a setting that does nothing, a risky identity) that do not
 * refuse the file, and the refusals that keep a start or reload from
 * saying OK about a daemon that cannot serve (issue 8, C and D).
 */

#include <sys/stat.h>

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define SAMPLE_CONF	TOP_BUILDDIR "/etc/preforkd.conf"

/* Settings that do nothing: said, not refused. */
static const struct {
	const char	*text;
	const char	*warnings;
} warned[] = {
	{ "max_requests_jitter = 10", "t.conf:1: warning: max_requests_jitter: "
	    "has no effect without max_requests" },
	{ "max_requests = 0\nmax_requests_jitter = 1", "t.conf:2: warning: "
	    "max_requests_jitter: has no effect without max_requests" },
	{ "max_worker_age_jitter = 1s", "t.conf:1: warning: "
	    "max_worker_age_jitter: has no effect without max_worker_age" },
	{ "min_spare = 2\nmax_spare = 3", "t.conf:1: warning: min_spare: has "
	    "no effect without max_workers (a dynamic pool)\n"
	    "t.conf:2: warning: max_spare: has no effect without max_workers "
	    "(a dynamic pool)" },
	{ "log_target = stderr\nlog_file = \"/x.log\"", "t.conf:2: warning: "
	    "log_file: has no effect without log_target = file" },
	{ "log_target = file\nsyslog_facility = local0\nlog_file = \"/y\"",
	    "t.conf:2: warning: syslog_facility: has no effect without "
	    "log_target = syslog" },
	/* the options of one kind of service, set for another */
	{ "module = \"m\"", "t.conf:1: warning: module: has no effect "
	    "without service = module" },
	{ "exec = { \"/bin/true\" }", "t.conf:1: warning: exec: has no "
	    "effect without service = exec" },
	{ "program_ready = notify", "t.conf:1: warning: program_ready: has "
	    "no effect without service = program" },
	{ "service = exec\nexec = { \"/bin/cat\" }\nmax_requests = 5\n"
	    "service_args = { \"a=b\" }", "t.conf:3: warning: max_requests: "
	    "has no effect with service = exec (each program serves one "
	    "connection)\n"
	    "t.conf:4: warning: service_args: has no effect with service = "
	    "exec (arguments go in the exec list)" },
	{ "service = program\nprogram = { \"/bin/cat\" }\n"
	    "read_timeout = 5s\nrequest_timeout = 9s", "t.conf:3: warning: "
	    "read_timeout: has no effect with service = program (the program "
	    "sees the connections, preforkd does not)\n"
	    "t.conf:4: warning: request_timeout: has no effect with service = "
	    "program (the program sees the connections, preforkd does not)" },
};

START_TEST(test_confwarn_no_effect)
{
	struct tu_report	 r = { "", 0 };
	struct errlist		 errs = { 0 };
	struct conf		*conf;
	char			 buf[TU_ERRBUF];
	size_t			 i, k;

	for (i = 0; i < NELEM(warned); i++) {
		conf = conf_parse_buf("t.conf", warned[i].text, &errs);
		tu_errs_join(&errs, buf, sizeof(buf));
		if (conf == NULL)
			tu_report(&r, "<<%s>> refused:\n%s", warned[i].text,
			    buf);
		else if (strcmp(buf, warned[i].warnings) != 0)
			tu_report(&r, "<<%s>>\n  gave: %s\n  want: %s",
			    warned[i].text, buf, warned[i].warnings);
		for (k = 0; k < errs.n; k++)
			if (!errs.rec[k].warning)
				tu_report(&r, "<<%s>>: %s is not a warning",
				    warned[i].text, errs.msg[k]);
		conf_free(conf);
		errlist_free(&errs);
	}
	TU_REPORT_END(&r);
}
END_TEST

/*
 * The sample lists every option at its default, commented out: with
 * every one of them uncommented, it must still load (D19).
 */
START_TEST(test_confwarn_sample_uncommented)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 line[1024], buf[TU_ERRBUF], *text = NULL;
	size_t		 len = 0, n = 0;
	FILE		*in, *out;

	ck_assert_ptr_nonnull(in = fopen(SAMPLE_CONF, "r"));
	ck_assert_ptr_nonnull(out = open_memstream(&text, &len));
	while (fgets(line, sizeof(line), in) != NULL) {
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strstr(line, " = ") != NULL) {
			fputs(line + 1, out);
			n++;
		} else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	ck_assert_uint_ge(n, 30);
	conf = conf_parse_buf("sample", text, &errs);
	ck_assert_msg(conf != NULL && errlist_errors(&errs, 0) == 0,
	    "%zu options uncommented:\n%s", n,
	    tu_errs_join(&errs, buf, sizeof(buf)));
	conf_free(conf);
	errlist_free(&errs);
	free(text);
}
END_TEST

/* Values that pass the syntax but leave a daemon that cannot work. */
static const struct {
	const char	*text;
	const char	*error;
} refused[] = {
	/* C14: every reload would be abandoned at once */
	{ "graceful_timeout = 0", "t.conf:1: graceful_timeout: must be more "
	    "than 0" },
	/* C13: not even one connection fits */
	{ "worker_rlimit_nofile = 5", "t.conf:1: worker_rlimit_nofile: 5 "
	    "leaves a worker too few descriptors to serve (at least 17" },
	{ "listen = { \"127.0.0.1:1\", \"127.0.0.1:2\" }\n"
	    "worker_rlimit_nofile = 17", "t.conf:2: worker_rlimit_nofile: 17 "
	    "leaves a worker too few descriptors to serve (at least 18" },
	{ "worker_env = { \"TZ\", \"1X=y\" }", "t.conf:1: worker_env: '1X=y' "
	    "is not NAME or NAME=VALUE" },
	{ "worker_env = { \"A B\" }", "t.conf:1: worker_env: 'A B' is not" },
	/* a service kind without what it needs */
	{ "service = module", "t.conf:1: module: service = module needs "
	    "module = NAME" },
	{ "service = exec", "t.conf:1: exec: service = exec needs exec = {" },
	{ "service = program\nprogram = { \"bin/x\" }", "t.conf:2: program: "
	    "'bin/x' is not an absolute path (no search in PATH, no shell)" },
	{ "service = program\nprogram = { \"/bin/x\" }\nmax_workers = 8",
	    "t.conf:3: max_workers: a dynamic pool needs to know which "
	    "workers are idle" },
	{ "module = \"../m\"", "t.conf:1: module: '../m' is neither a module "
	    "name" },
	{ "program_stop_signal = KILL", "t.conf:1: program_stop_signal: " },
	/* the backtrace must come before the kill */
	{ "request_timeout_soft = 2s\nrequest_timeout = 2s", "t.conf:1: "
	    "request_timeout_soft: must be shorter than request_timeout" },
};

START_TEST(test_confwarn_refused)
{
	struct tu_report	 r = { "", 0 };
	struct errlist		 errs = { 0 };
	struct conf		*conf;
	char			 buf[TU_ERRBUF];
	size_t			 i;

	for (i = 0; i < NELEM(refused); i++) {
		conf = conf_parse_buf("t.conf", refused[i].text, &errs);
		tu_errs_join(&errs, buf, sizeof(buf));
		if (conf != NULL)
			tu_report(&r, "<<%s>> accepted", refused[i].text);
		else if (strncmp(buf, refused[i].error,
		    strlen(refused[i].error)) != 0)
			tu_report(&r, "<<%s>>\n  gave: %s\n  want: %s...",
			    refused[i].text, buf, refused[i].error);
		conf_free(conf);
		errlist_free(&errs);
	}
	TU_REPORT_END(&r);
}
END_TEST

/*
 * C17: a file whose listen address is not this host's is refused with
 * its line (TEST-NET-1 is nobody's address here); local ones pass.
 */
START_TEST(test_confwarn_not_local)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 path[PATH_MAX], want[PATH_MAX + 80], buf[TU_ERRBUF];
	const char	*text = "workers = 1\n"
			    "listen = { \"127.0.0.1:0\",\n\"192.0.2.1:80\" }\n";

	tu_path(path, sizeof(path), tmpdir, "far.conf");
	tu_write_file(path, text, strlen(text));
	conf = conf_load(path, &errs);
	ck_assert_ptr_null(conf);
	snprintf(want, sizeof(want), "%s:3: listen: 192.0.2.1:80: not an "
	    "address of this host", path);
	ck_assert_msg(errs.n == 1 && strcmp(errs.msg[0], want) == 0, "%s",
	    tu_errs_join(&errs, buf, sizeof(buf)));
	errlist_free(&errs);
	text = "listen = { \"127.0.0.1:0\", \"*:0\" }\n";
	tu_write_file(path, text, strlen(text));
	conf = conf_load(path, &errs);
	ck_assert_msg(conf != NULL && errs.n == 0, "%s",
	    tu_errs_join(&errs, buf, sizeof(buf)));
	conf_free(conf);
	unlink(path);
}
END_TEST

/* The limit that is just enough passes. */
START_TEST(test_confwarn_accepted)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		 buf[TU_ERRBUF];

	conf = conf_parse_buf("t.conf", "worker_rlimit_nofile = 19\n"
	    "graceful_timeout = 1ms\nlisten = { \"127.0.0.1:0\", \"*:0\" }\n",
	    &errs);
	ck_assert_msg(conf != NULL && errs.n == 0, "%s",
	    tu_errs_join(&errs, buf, sizeof(buf)));
	conf_free(conf);
	errlist_free(&errs);
}
END_TEST

/* worker_env: NAME passes the master's value, NAME=VALUE sets one. */
START_TEST(test_confwarn_worker_env)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;

	setenv("PREFORKD_TEST_KEPT", "kept value", 1);
	setenv("PREFORKD_TEST_SECRET", "secret", 1);
	unsetenv("PREFORKD_TEST_UNSET");
	conf = conf_parse_buf("t.conf", "worker_env = { \"PREFORKD_TEST_KEPT\","
	    " \"PREFORKD_TEST_UNSET\", \"LANG=C.UTF-8\", \"EMPTY=\" }", &errs);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->worker_env[0], "PREFORKD_TEST_KEPT=kept value");
	ck_assert_str_eq(conf->worker_env[1], "LANG=C.UTF-8");
	ck_assert_str_eq(conf->worker_env[2], "EMPTY=");
	ck_assert_ptr_null(conf->worker_env[3]);
	conf_free(conf);

	/* the default passes TZ only */
	setenv("TZ", "UTC", 1);
	conf = conf_parse_buf("t.conf", "", &errs);
	ck_assert_str_eq(conf->worker_env[0], "TZ=UTC");
	ck_assert_ptr_null(conf->worker_env[1]);
	conf_free(conf);
	errlist_free(&errs);
}
END_TEST

/* C11: the control socket follows the pidfile's name unless set. */
START_TEST(test_confwarn_control_socket)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;

	conf = conf_parse_buf("t.conf", "pidfile = \"/run/x/a.pid\"", &errs);
	ck_assert_str_eq(conf->control_socket, "/run/x/a.ctl");
	conf_set_pidfile(conf, "/run/y/b.pid");
	ck_assert_str_eq(conf->control_socket, "/run/y/b.ctl");
	conf_set_pidfile(conf, "/run/y/pid");
	ck_assert_str_eq(conf->control_socket, "/run/y/pid.ctl");
	conf_set_pidfile(conf, "");
	ck_assert_str_eq(conf->control_socket, "");
	conf_free(conf);

	conf = conf_parse_buf("t.conf", "pidfile = \"/run/x/a.pid\"\n"
	    "control_socket = \"/run/c.sock\"", &errs);
	ck_assert_str_eq(conf->control_socket, "/run/c.sock");
	conf_set_pidfile(conf, "/run/y/b.pid");
	ck_assert_str_eq(conf->control_socket, "/run/c.sock");
	conf_free(conf);
	ck_assert_uint_eq(errs.n, 0);
}
END_TEST

/* C15: a FIFO is refused at once, never opened blocking. */
START_TEST(test_confwarn_fifo)
{
	struct errlist	 errs = { 0 };
	char		 path[PATH_MAX];

	tu_path(path, sizeof(path), tmpdir, "fifo.conf");
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "not a regular file"));
	conf_free(conf_load_lenient(path));	/* nor hangs the client */
	unlink(path);
	errlist_free(&errs);
}
END_TEST

/*
 * As root: a configuration file another user can write is said; so are
 * a chroot the worker user can write and the root group for workers.
 */
START_TEST(test_confwarn_root_exposure)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	struct passwd	*pw;
	char		 path[PATH_MAX], dir[PATH_MAX], text[PATH_MAX + 64];
	char		 buf[TU_ERRBUF];

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "SKIP test_confwarn_root_exposure: needs root "
		    "and the nobody user\n");
		return;
	}
	tu_path(dir, sizeof(dir), tmpdir, "jail");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chown(dir, pw->pw_uid, 0), 0);
	tu_path(path, sizeof(path), tmpdir, "other.conf");
	snprintf(text, sizeof(text), "user = \"nobody\"\ngroup = \"root\"\n"
	    "chroot = \"%s\"\n", dir);
	tu_write_file(path, text, strlen(text));
	ck_assert_int_eq(chown(path, pw->pw_uid, 0), 0);
	conf = conf_load(path, &errs);
	tu_errs_join(&errs, buf, sizeof(buf));
	ck_assert_msg(conf != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "warning: owned by uid") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, ":3: warning: chroot: ") != NULL &&
	    strstr(buf, "is writable by the worker user") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, ":2: warning: group: workers get gid 0") !=
	    NULL, "%s", buf);
	ck_assert_uint_eq(errlist_errors(&errs, 0), 0);
	conf_free(conf);
	errlist_free(&errs);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
confwarn_suite(void)
{
	Suite	*s = suite_create("confwarn");
	TCase	*tc;

	tc = tcase_create("warnings");
	tcase_add_test(tc, test_confwarn_no_effect);
	tcase_add_test(tc, test_confwarn_sample_uncommented);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_test(tc, test_confwarn_refused);
	tcase_add_test(tc, test_confwarn_accepted);
	tcase_add_test(tc, test_confwarn_worker_env);
	tcase_add_test(tc, test_confwarn_control_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_set_timeout(tc, 5);	/* a blocking open() of the FIFO */
	tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir);
	tcase_add_test(tc, test_confwarn_fifo);
	tcase_add_test(tc, test_confwarn_not_local);
	tcase_add_test(tc, test_confwarn_root_exposure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(confwarn_suite());
}
