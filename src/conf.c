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
 * conf.c: the configuration file.  With conf_check.c (what values must
 * be) and conf_confuse.c (libconfuse's shortcomings mended), the only
 * user of libconfuse.
 *
 * conf_load() reads the file, checks every value (syntax, ranges,
 * addresses, users, groups, service names, duplicates, combinations) and
 * returns an immutable struct conf, or NULL and the complete list of
 * problems, each a record (file, line, option, message) printed as
 * "FILE:LINE: option: what is wrong".  Nothing else in the daemon sees a
 * cfg_t.
 *
 * Runs in the master (or in `preforkd -t`), as any user; it only reads.
 *
 * WARNING: the libconfuse callbacks carry no user pointer, so the state of
 * the parse in progress is one static (conf_int.h): conf_load() is not
 * reentrant.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conf_int.h"

static char	*conf_read(const char *path, struct errlist *errs);
static struct conf *conf_convert(cfg_t *cfg, const char *name);























/*
 * Set the pidfile; an unset control socket follows it: DIR/NAME.pid
 * gives DIR/NAME.ctl (PIDFILE.ctl for another name), so that two
 * instances with two pidfiles never share a control socket.
 */
void
conf_set_pidfile(struct conf *conf, const char *pidfile)
{
	size_t	len;

	if (pidfile != conf->pidfile)
		strlcpy(conf->pidfile, pidfile, sizeof(conf->pidfile));
	if (!conf->control_socket_auto)
		return;
	conf->control_socket[0] = '\0';
	if ((len = strlen(conf->pidfile)) == 0)
		return;
	if (len > 4 && strcmp(conf->pidfile + len - 4, ".pid") == 0)
		len -= 4;
	if ((size_t)snprintf(conf->control_socket,
	    sizeof(conf->control_socket), "%.*s.ctl", (int)len,
	    conf->pidfile) >= CONF_SUN_PATH)
		conf->control_socket[0] = '\0';	/* too long for a socket */
}

/* Read a whole configuration file into a NUL-terminated buffer. */
static char *
conf_read(const char *path, struct errlist *errs)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	/* O_NONBLOCK: a FIFO must not hang the master (it is refused) */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		errlist_add(errs, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONF_MAX_SIZE) {
		errlist_add(errs, "%s: not a regular file of at most %d bytes",
		    path, CONF_MAX_SIZE);
		close(fd);
		return NULL;
	}
	/* Root reads it to decide whom workers run as: whoever can write
	   it owns the machine. */
	if (geteuid() == 0 && st.st_uid != 0)
		errlist_add_at(errs, path, 0, NULL, 1, "owned by uid %u, not "
		    "by root: that user controls what root runs",
		    (unsigned)st.st_uid);
	else if (geteuid() == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		errlist_add_at(errs, path, 0, NULL, 1, "writable by %s: they "
		    "control what root runs", st.st_mode & S_IWOTH ?
		    "everyone" : "its group");
	if ((buf = malloc(st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size &&
	    (n = read(fd, buf + off, st.st_size - off)) > 0)
		off += n;
	close(fd);
	buf[off] = '\0';
	if (strlen(buf) != off) {
		errlist_add(errs, "%s: contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* The options, their types and defaults (libconfuse copies it). */
static cfg_opt_t conf_opts[] = {
	CFG_STR("service", "incr", CFGF_NONE),
	CFG_STR_LIST("service_args", "{}", CFGF_NONE),
	CFG_STR("module", "", CFGF_NONE),
	CFG_STR("module_dir", MODULEDIR, CFGF_NONE),
	CFG_STR_LIST("exec", "{}", CFGF_NONE),
	CFG_STR_LIST("program", "{}", CFGF_NONE),
	CFG_STR("program_ready", "delay", CFGF_NONE),
	CFG_INT_CB("program_ready_delay", 1000, CFGF_NONE,
	    conf_cb_duration),
	CFG_INT_CB("program_start_timeout", 30000, CFGF_NONE,
	    conf_cb_duration),
	CFG_STR("program_stop_signal", "TERM", CFGF_NONE),
	CFG_INT_CB("check_timeout", 10000, CFGF_NONE, conf_cb_duration),
	CFG_STR_LIST("listen", "{\"127.0.0.1:9090\"}", CFGF_NONE),
	CFG_INT_CB("backlog", 511, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("unix_mode", 0666, CFGF_NONE, conf_cb_mode),
	CFG_STR("user", "", CFGF_NONE),
	CFG_STR("group", "", CFGF_NONE),
	CFG_INT_CB("workers", 4, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("max_requests", 0, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("worker_connections", 1, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("keepalive_timeout", 60000, CFGF_NONE,
	    conf_cb_duration),
	CFG_INT_CB("max_requests_jitter", 0, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("read_timeout", 60000, CFGF_NONE, conf_cb_duration),
	CFG_INT_CB("write_timeout", 60000, CFGF_NONE,
	    conf_cb_duration),
	CFG_STR("chroot", "", CFGF_NONE),
	CFG_BOOL("worker_core_dumps", cfg_false, CFGF_NONE),
	CFG_INT_CB("worker_rlimit_nofile", 0, CFGF_NONE, conf_cb_uint),
	CFG_STR("pidfile", RUNSTATEDIR "/preforkd/preforkd.pid",
	    CFGF_NONE),
	CFG_STR("log_target", "", CFGF_NONE),
	CFG_STR("log_file", LOCALSTATEDIR "/log/preforkd.log",
	    CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_STR("syslog_facility", "daemon", CFGF_NONE),
	CFG_INT_CB("graceful_timeout", 30000, CFGF_NONE,
	    conf_cb_duration),
	CFG_INT_CB("max_worker_age", 0, CFGF_NONE, conf_cb_duration),
	CFG_INT_CB("max_worker_age_jitter", 0, CFGF_NONE,
	    conf_cb_duration),
	CFG_STR("max_worker_rss", "0", CFGF_NONE),
	CFG_STR("control_socket", "", CFGF_NONE),
	CFG_INT_CB("max_workers", 0, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("min_spare", 1, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("max_spare", 4, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("max_spawn_rate", 32, CFGF_NONE, conf_cb_uint),
	CFG_INT_CB("request_timeout_soft", 0, CFGF_NONE,
	    conf_cb_duration),
	CFG_INT_CB("request_timeout", 0, CFGF_NONE, conf_cb_duration),
	CFG_INT_CB("defer_accept", 0, CFGF_NONE, conf_cb_duration),
	CFG_STR_LIST("worker_env", "{\"TZ\"}", CFGF_NONE),
	CFG_END()
};


/* The values of cfg as a struct conf, nothing borrowed from cfg. */
static struct conf *
conf_convert(cfg_t *cfg, const char *name)
{
	struct conf	*conf;
	char		 err[128];

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	strlcpy(conf->file, name, sizeof(conf->file));
	strlcpy(conf->service, cfg_getstr(cfg, "service"),
	    sizeof(conf->service));
	strlcpy(conf->user, cfg_getstr(cfg, "user"), sizeof(conf->user));
	strlcpy(conf->group, cfg_getstr(cfg, "group"), sizeof(conf->group));
	conf->backlog = cfg_getint(cfg, "backlog");
	conf->unix_mode = cfg_getint(cfg, "unix_mode");
	conf->workers = cfg_getint(cfg, "workers");
	conf->max_requests = cfg_getint(cfg, "max_requests");
	conf->worker_connections = cfg_getint(cfg, "worker_connections");
	conf->keepalive_timeout_ms = cfg_getint(cfg, "keepalive_timeout");
	conf->max_requests_jitter = cfg_getint(cfg, "max_requests_jitter");
	conf->read_timeout_ms = cfg_getint(cfg, "read_timeout");
	conf->write_timeout_ms = cfg_getint(cfg, "write_timeout");
	strlcpy(conf->chroot, cfg_getstr(cfg, "chroot"), sizeof(conf->chroot));
	conf->core_dumps = cfg_getbool(cfg, "worker_core_dumps");
	conf->rlimit_nofile = cfg_getint(cfg, "worker_rlimit_nofile");
	strlcpy(conf->pidfile, cfg_getstr(cfg, "pidfile"),
	    sizeof(conf->pidfile));
	conf->log_target = *cfg_getstr(cfg, "log_target") == '\0' ?
	    LOG_TO_AUTO : conf_enum("log_target", cfg_getstr(cfg,
	    "log_target"));
	strlcpy(conf->log_file, cfg_getstr(cfg, "log_file"),
	    sizeof(conf->log_file));
	conf->log_level = conf_enum("log_level", cfg_getstr(cfg, "log_level"));
	conf->syslog_facility = conf_enum("syslog_facility",
	    cfg_getstr(cfg, "syslog_facility"));
	conf->graceful_timeout_ms = cfg_getint(cfg, "graceful_timeout");
	conf->max_worker_age_ms = cfg_getint(cfg, "max_worker_age");
	conf->max_worker_age_jitter_ms = cfg_getint(cfg,
	    "max_worker_age_jitter");
	(void)parse_size_kb(cfg_getstr(cfg, "max_worker_rss"),
	    &conf->max_worker_rss_kb, err, sizeof(err));
	conf->max_workers = cfg_getint(cfg, "max_workers");
	conf->min_spare = cfg_getint(cfg, "min_spare");
	conf->max_spare = cfg_getint(cfg, "max_spare");
	conf->max_spawn_rate = cfg_getint(cfg, "max_spawn_rate");
	conf->workers_max = conf->max_workers > 0 ? conf->max_workers :
	    PREFORKD_MAX_WORKERS;
	conf->request_timeout_soft_ms = cfg_getint(cfg,
	    "request_timeout_soft");
	conf->request_timeout_ms = cfg_getint(cfg, "request_timeout");
	conf->defer_accept_ms = cfg_getint(cfg, "defer_accept");
	conf->program_ready = conf_enum("program_ready", cfg_getstr(cfg,
	    "program_ready"));
	conf->program_ready_delay_ms = cfg_getint(cfg, "program_ready_delay");
	conf->program_start_timeout_ms = cfg_getint(cfg,
	    "program_start_timeout");
	conf->program_stop_signal = conf_enum("program_stop_signal",
	    cfg_getstr(cfg, "program_stop_signal"));
	conf->check_timeout_ms = cfg_getint(cfg, "check_timeout");
	strlcpy(conf->control_socket, cfg_getstr(cfg, "control_socket"),
	    sizeof(conf->control_socket));
	conf->control_socket_auto = conf_line("control_socket")->line == 0;
	return conf;
}

/*
 * Parse configuration text; name is the file name used in messages.
 * Returns the configuration, or NULL with every problem in errs.
 */
static struct conf *conf_parse(const char *name, const char *text,
		    struct errlist *errs, int lenient);

struct conf *
conf_parse_buf(const char *name, const char *text, struct errlist *errs)
{
	return conf_parse(name, text, errs, 0);
}

/*
 * Parse, check and convert.  lenient: keep the values even when some are
 * wrong (for `preforkd -s` and `status`, which need only the pidfile and
 * the control socket of a file that may be broken).
 */
static struct conf *
conf_parse(const char *name, const char *text, struct errlist *errs,
    int lenient)
{
	struct conf_line lines[sizeof(conf_opts) / sizeof(conf_opts[0])];
	struct conf	*conf = NULL;
	cfg_t		*cfg;
	char		*buf;
	size_t		 i, nerr = errs->n;
	int		 rc;

	if ((buf = strdup(text)) == NULL)
		return NULL;
	memset(lines, 0, sizeof(lines));
	memset(&cp, 0, sizeof(cp));
	cp.file = name;
	cp.errs = errs;
	cp.lines = lines;
	if ((rc = conf_strip_comments(buf)) != 0)
		conf_error(rc, NULL, "syntax error: a /* comment is never "
		    "closed");
	if ((cfg = cfg_init(conf_opts, CFGF_NONE)) == NULL)
		goto done;
	cfg_set_error_function(cfg, conf_errfunc);
	for (i = 0; conf_opts[i].name != NULL; i++) {
		lines[i].name = conf_opts[i].name;
		cfg_set_validate_func(cfg, conf_opts[i].name, conf_validate);
	}
	cp.nlines = i;
	for (i = 0; conf_opts[i].name != NULL; i++)
		if (conf_opts[i].flags & CFGF_LIST)
			conf_scan_assignments(buf, &lines[i]);
	/* Value errors are collected and the parse goes on; a syntax error
	   stops it, and then the values are not worth checking further. */
	if ((rc = cfg_parse_buf(cfg, buf)) != CFG_SUCCESS) {
		if (errlist_errors(errs, nerr) == 0)
			conf_error(0, NULL, "cannot parse");
		goto done;
	}

	if ((conf = conf_convert(cfg, name)) == NULL)
		goto done;
	conf_set_pidfile(conf, conf->pidfile);
	conf_env(cfg, conf);
	if (!lenient)
		conf_check(cfg, conf);
	if (errlist_errors(errs, nerr) > 0 && !lenient) {
		conf_free(conf);
		conf = NULL;
	}
 done:
	if (cfg != NULL)
		cfg_free(cfg);
	errlist_sort(errs, nerr);
	for (i = 0; i < cp.nlines; i++)
		free(lines[i].items);
	memset(&cp, 0, sizeof(cp));
	free(buf);
	return conf;
}

/*
 * Load and check a configuration file, and what it names on this host
 * (its listen addresses must be this host's); NULL with every problem in
 * errs.
 */
struct conf *
conf_load(const char *path, struct errlist *errs)
{
	struct conf	*conf;
	char		*text, err[256];
	size_t		 i;
	int		 bad = 0;

	if ((text = conf_read(path, errs)) == NULL)
		return NULL;
	conf = conf_parse_buf(path, text, errs);
	free(text);
	for (i = 0; conf != NULL && i < conf->nlisten; i++)
		if (listen_check_local(&conf->listen[i], err,
		    sizeof(err)) == -1) {
			errlist_add_at(errs, path, conf->listen[i].line,
			    "listen", 0, "%s", err);
			bad = 1;
		}
	if (bad) {
		conf_free(conf);
		conf = NULL;
	}
	return conf;
}

/*
 * For the client commands: the configuration as far as it can be read,
 * errors ignored; the built-in defaults if it cannot be parsed at all.
 */
struct conf *
conf_load_lenient(const char *path)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf = NULL;
	char		*text, *p;
	long		 line, l;
	int		 tries;

	if ((text = conf_read(path, &errs)) == NULL)
		goto out;
	/* A syntax error stops libconfuse: blank its line and try again,
	   to get at least the pidfile and the control socket. */
	for (tries = 0; tries < 32; tries++) {
		errlist_free(&errs);
		if ((conf = conf_parse(path, text, &errs, 1)) != NULL ||
		    errs.n == 0)
			break;
		if ((line = errs.rec[errs.n - 1].line) <= 0)
			break;
		for (p = text, l = 1; *p != '\0' && l < line; p++)
			if (*p == '\n')
				l++;
		for (; *p != '\0' && *p != '\n'; p++)
			*p = ' ';
	}
	free(text);
 out:
	if (conf == NULL)
		conf = conf_defaults(&errs);
	errlist_free(&errs);
	return conf;
}

/* The built-in configuration: every option at its default. */
struct conf *
conf_defaults(struct errlist *errs)
{
	return conf_parse_buf("(built-in defaults)", "", errs);
}

void
conf_free(struct conf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	for (i = 0; conf->service_args != NULL && conf->service_args[i]; i++)
		free(conf->service_args[i]);
	free(conf->service_args);
	for (i = 0; conf->argv != NULL && conf->argv[i]; i++)
		free(conf->argv[i]);
	free(conf->argv);
	for (i = 0; conf->worker_env != NULL && conf->worker_env[i]; i++)
		free(conf->worker_env[i]);
	free(conf->worker_env);
	free(conf->listen);
	free(conf->groups);
	free(conf);
}
