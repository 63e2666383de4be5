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
 * conf_check.c: what the configuration's values must be.  Ranges,
 * durations, modes, addresses, users, groups, service names and their
 * arguments, paths, and the checks across options (a dynamic pool's
 * bounds, the timeouts' order, settings that do nothing: warnings, not
 * errors).  Every problem is recorded with its line and the parse goes
 * on, so that all of them are reported at once.
 *
 * conf_validate() is libconfuse's callback after each option: it notes
 * where each was set (libconfuse gives no line for a list's values) and
 * checks the string options.
 *
 * Part of the configuration module (conf_int.h).  Runs in the master or
 * in `preforkd -t`; it only reads.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conf_int.h"

static int	conf_str_identity(const char *, const char *, char *, size_t);
static int	conf_str_path(const char *, const char *, char *, size_t);
static int	conf_str_directory(const char *, const char *, char *, size_t);
static int	conf_str_enum(const char *, const char *, char *, size_t);
static int	conf_str_size(const char *, const char *, char *, size_t);
static int	conf_check_listen(cfg_t *cfg, struct conf *conf);
static int	conf_check_user(struct conf *conf);
static void	conf_check_pool(const struct conf *conf);
static void	conf_check_exposure(const struct conf *conf);
static int	conf_env_name(const char *s, size_t len);
static int	conf_check_string(int line, const char *opt, const char *v);

/* Integer options and their ranges. */
static const struct conf_range {
	const char	*name;
	unsigned int	 min, max;
} conf_ranges[] = {
	{ "backlog",		1, 65535 },
	{ "workers",		1, PREFORKD_MAX_WORKERS },
	{ "max_requests",	0, 1000000000 },
	{ "worker_connections", 1, PREFORKD_MAX_CONNECTIONS },
	{ "max_requests_jitter", 0, 1000000000 },
	{ "worker_rlimit_nofile", 0, 1048576 },
	{ "max_workers",	0, PREFORKD_MAX_WORKERS },
	{ "min_spare",		1, PREFORKD_MAX_WORKERS },
	{ "max_spare",		1, PREFORKD_MAX_WORKERS },
	{ "max_spawn_rate",	1, 1024 },
};

/* Values of the enumerated options. */
static const struct conf_enum {
	const char	*opt;
	const char	*name;
	int		 value;
} conf_enums[] = {
	{ "program_ready", "delay", READY_DELAY },
	{ "program_ready", "notify", READY_NOTIFY },
	{ "program_stop_signal", "TERM", SIGTERM },
	{ "program_stop_signal", "INT", SIGINT },
	{ "program_stop_signal", "QUIT", SIGQUIT },
	{ "program_stop_signal", "HUP", SIGHUP },
	{ "program_stop_signal", "USR1", SIGUSR1 },
	{ "program_stop_signal", "USR2", SIGUSR2 },
	{ "program_stop_signal", "WINCH", SIGWINCH },
	{ "log_target", "stderr", LOG_TO_STDERR },
	{ "log_target", "syslog", LOG_TO_SYSLOG },
	{ "log_target", "file", LOG_TO_FILE },
	{ "log_level", "debug", LOG_DEBUG },
	{ "log_level", "info", LOG_INFO },
	{ "log_level", "notice", LOG_NOTICE },
	{ "log_level", "warning", LOG_WARNING },
	{ "log_level", "error", LOG_ERR },
	{ "syslog_facility", "daemon", LOG_DAEMON },
	{ "syslog_facility", "user", LOG_USER },
	{ "syslog_facility", "auth", LOG_AUTH },
	{ "syslog_facility", "authpriv", LOG_AUTHPRIV },
	{ "syslog_facility", "local0", LOG_LOCAL0 },
	{ "syslog_facility", "local1", LOG_LOCAL1 },
	{ "syslog_facility", "local2", LOG_LOCAL2 },
	{ "syslog_facility", "local3", LOG_LOCAL3 },
	{ "syslog_facility", "local4", LOG_LOCAL4 },
	{ "syslog_facility", "local5", LOG_LOCAL5 },
	{ "syslog_facility", "local6", LOG_LOCAL6 },
	{ "syslog_facility", "local7", LOG_LOCAL7 },
};

/* String options: their room and their check. */
static const struct conf_string {
	const char	*name;
	size_t		 maxlen;	/* with the NUL */
	int		(*check)(const char *, const char *, char *, size_t);
} conf_strings[] = {
	{ "service",		NAME_MAXLEN,	conf_str_service },
	{ "module",		PATH_MAX,	conf_str_module },
	{ "module_dir",		PATH_MAX,	conf_str_path },
	{ "program_ready",	NAME_MAXLEN,	conf_str_enum },
	{ "program_stop_signal", NAME_MAXLEN,	conf_str_enum },
	{ "user",		NAME_MAXLEN,	conf_str_identity },
	{ "group",		NAME_MAXLEN,	conf_str_identity },
	{ "chroot",		PATH_MAX,	conf_str_directory },
	{ "pidfile",		PATH_MAX,	conf_str_path },
	{ "log_target",		NAME_MAXLEN,	conf_str_enum },
	{ "log_file",		PATH_MAX,	conf_str_path },
	{ "log_level",		NAME_MAXLEN,	conf_str_enum },
	{ "syslog_facility",	NAME_MAXLEN,	conf_str_enum },
	{ "max_worker_rss",	NAME_MAXLEN,	conf_str_size },
	{ "control_socket",	CONF_SUN_PATH,	conf_str_path },
};

/*
 * Check the string option opt = v set at line: its length, and its own
 * check.  Returns 0, or -1 with the problem recorded.
 */
static int
conf_check_string(int line, const char *opt, const char *v)
{
	char	err[256];
	size_t	i;

	for (i = 0; i < sizeof(conf_strings) / sizeof(conf_strings[0]); i++)
		if (strcmp(conf_strings[i].name, opt) == 0)
			break;
	if (i == sizeof(conf_strings) / sizeof(conf_strings[0]))
		return 0;
	if (strlen(v) >= conf_strings[i].maxlen)
		conf_error(line, opt, "'%.20s...' is too long (at most %zu "
		    "bytes)", v, conf_strings[i].maxlen - 1);
	else if (conf_strings[i].check(opt, v, err, sizeof(err)) == 0)
		return 0;
	else
		conf_error(line, opt, "%s", err);
	if (conf_strings[i].check == conf_str_identity)
		cp.bad_identity = 1;	/* reported: do not resolve it */
	return -1;
}

/* user and group: must exist (the master resolves them again later). */
static int
conf_str_identity(const char *opt, const char *v, char *err, size_t len)
{
	if (*v == '\0')
		return 0;
	if (strcmp(opt, "user") == 0)
		return privsep_lookup(v, NULL, NULL, NULL, err, len);
	return privsep_lookup(NULL, v, NULL, NULL, err, len);
}

/* An absolute path, or "" (none). */
static int
conf_str_path(const char *opt, const char *v, char *err, size_t len)
{
	if (*v == '\0' || *v == '/')
		return 0;
	snprintf(err, len, "'%s' is not an absolute path", v);
	return -1;
}

/* chroot: "" or an existing directory, by absolute path. */
static int
conf_str_directory(const char *opt, const char *v, char *err, size_t len)
{
	struct stat	st;

	if (conf_str_path(opt, v, err, len) == -1 || *v == '\0')
		return *v == '\0' ? 0 : -1;
	if (stat(v, &st) == -1) {
		snprintf(err, len, "%s: %s", v, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s is not a directory", v);
		return -1;
	}
	if (strcmp(v, "/") == 0) {
		snprintf(err, len, "chroot to / is no chroot (leave it empty)");
		return -1;
	}
	return 0;
}

static int
conf_str_size(const char *opt, const char *v, char *err, size_t len)
{
	uint64_t	kb;

	return parse_size_kb(v, &kb, err, len);
}

/* The value of an enumerated option, or -1. */
int
conf_enum(const char *opt, const char *v)
{
	size_t	i;

	for (i = 0; i < sizeof(conf_enums) / sizeof(conf_enums[0]); i++)
		if (strcmp(conf_enums[i].opt, opt) == 0 &&
		    strcmp(conf_enums[i].name, v) == 0)
			return conf_enums[i].value;
	return -1;
}

static int
conf_str_enum(const char *opt, const char *v, char *err, size_t len)
{
	size_t	i;
	int	n = 0;

	if (conf_enum(opt, v) != -1 || (*v == '\0' &&
	    strcmp(opt, "log_target") == 0))
		return 0;
	snprintf(err, len, "unknown value '%s' (one of:", v);
	for (i = 0; i < sizeof(conf_enums) / sizeof(conf_enums[0]); i++)
		if (strcmp(conf_enums[i].opt, opt) == 0) {
			strlcat(err, n++ ? ", " : " ", len);
			strlcat(err, conf_enums[i].name, len);
		}
	strlcat(err, ")", len);
	return -1;
}

/* Integer options: decimal only, within conf_ranges. */
int
conf_cb_uint(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	unsigned int	v;
	size_t		i;
	char		err[128];

	for (i = 0; i < sizeof(conf_ranges) / sizeof(conf_ranges[0]); i++) {
		if (strcmp(conf_ranges[i].name, opt->name) != 0)
			continue;
		if (parse_uint(value, conf_ranges[i].min, conf_ranges[i].max,
		    &v, err, sizeof(err)) == -1) {
			conf_error(cfg->line, opt->name, "%s", err);
			v = conf_ranges[i].min;
		}
		*(long *)result = v;
		return 0;
	}
	return -1;
}

int
conf_cb_duration(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	int	ms = 0;
	char	err[128];

	if (parse_duration_ms(value, &ms, err, sizeof(err)) == -1)
		conf_error(cfg->line, opt->name, "%s", err);
	*(long *)result = ms;
	return 0;
}

/* File modes: octal, "0660" or "660". */
int
conf_cb_mode(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(value, &end, 8);
	if (*value == '\0' || *end != '\0' || errno != 0 || v < 0 ||
	    v > 0777 || !isdigit((unsigned char)*value)) {
		conf_error(cfg->line, opt->name, "invalid mode '%s' (an octal "
		    "number from 0 to 0777, e.g. 0660)", value);
		v = 0666;
	}
	*(long *)result = v;
	return 0;
}

/* Parse, check and copy the `listen` values. */
static int
conf_check_listen(cfg_t *cfg, struct conf *conf)
{
	struct conf_line	*cl = conf_line("listen");
	struct laddr		 a[2];
	size_t			 i, j, k, n, total = cfg_size(cfg, "listen");
	const char		*v;
	char			 err[256];
	int			 line;

	if (total == 0) {
		conf_error(0, "listen", "no address given");
		return -1;
	}
	if (total > CONF_MAX_LISTEN) {
		conf_error(cl->nitems ? cl->items[0] : 0, "listen",
		    "too many addresses (at most %d)", CONF_MAX_LISTEN);
		return -1;
	}
	conf->listen = calloc(2 * total, sizeof(*conf->listen));
	if (conf->listen == NULL)
		return -1;
	for (i = 0; i < total; i++) {
		v = cfg_getnstr(cfg, "listen", i);
		line = i < cl->nitems ? cl->items[i] : 0;
		if (listen_parse(v, a, &n, err, sizeof(err)) == -1) {
			conf_error(line, "listen", "%s", err);
			continue;
		}
		for (k = 0; k < n; k++) {
			for (j = 0; j < conf->nlisten; j++)
				if (strcmp(conf->listen[j].text, a[k].text) ==
				    0)
					break;
			if (j < conf->nlisten) {
				conf_error(line, "listen", "%s is listed twice",
				    a[k].text);
				continue;
			}
			a[k].line = line;
			conf->listen[conf->nlisten++] = a[k];
		}
	}
	return 0;
}

/*
 * Resolve the worker user and group.  No `user`: as root, the dedicated
 * PREFORKD_USER account if it exists, else "nobody"; as another user,
 * stay that user.  No `group`: the user's primary group.
 */
static int
conf_check_user(struct conf *conf)
{
	struct conf_line	*cl = conf_line("user");
	char			 err[256];
	const char		*user = conf->user;

	if (*user == '\0' && geteuid() == 0) {
		user = privsep_lookup(PREFORKD_USER, NULL, NULL, NULL, err,
		    sizeof(err)) == 0 ? PREFORKD_USER : "nobody";
		strlcpy(conf->user, user, sizeof(conf->user));
	}
	if (*user == '\0') {
		conf->uid = geteuid();
		conf->gid = getegid();
		if (*conf->group != '\0' && privsep_lookup(NULL, conf->group,
		    NULL, &conf->gid, err, sizeof(err)) == -1)
			return -1;
		return 0;
	}
	if (privsep_lookup(user, *conf->group ? conf->group : NULL,
	    &conf->uid, &conf->gid, err, sizeof(err)) == -1 ||
	    privsep_groups(user, conf->gid, &conf->groups, &conf->ngroups,
	    err, sizeof(err)) == -1) {
		conf_error(cl->line, "user", "%s", err);
		return -1;
	}
	return 0;
}

/* The dynamic pool's bounds, and the timeouts' order. */
static void
conf_check_pool(const struct conf *conf)
{
	static const char *const dynamic[] = {
		"min_spare", "max_spare", "max_spawn_rate",
	};
	size_t	i;
	int	line;

	if (conf->max_workers == 0) {
		for (i = 0; i < sizeof(dynamic) / sizeof(dynamic[0]); i++)
			if ((line = conf_line(dynamic[i])->line) > 0)
				conf_warn(line, dynamic[i], "has no effect "
				    "without max_workers (a dynamic pool)");
	} else {
		if (conf->max_workers < conf->workers)
			conf_error(conf_line("max_workers")->line,
			    "max_workers", "%u is less than workers (%u)",
			    conf->max_workers, conf->workers);
		if (conf->min_spare > conf->max_spare)
			conf_error(conf_line("min_spare")->line, "min_spare",
			    "%u is more than max_spare (%u)", conf->min_spare,
			    conf->max_spare);
		if (conf->max_spare > conf->max_workers)
			conf_error(conf_line("max_spare")->line, "max_spare",
			    "%u is more than max_workers (%u)",
			    conf->max_spare, conf->max_workers);
	}
	if (conf->request_timeout_soft_ms > 0 && conf->request_timeout_ms > 0 &&
	    conf->request_timeout_soft_ms >= conf->request_timeout_ms)
		conf_error(conf_line("request_timeout_soft")->line,
		    "request_timeout_soft", "must be shorter than "
		    "request_timeout");
}

/* Checks across options, after a clean parse. */
void
conf_check(cfg_t *cfg, struct conf *conf)
{
	if (conf->max_requests_jitter > 0 && conf->max_requests == 0)
		conf_warn(conf_line("max_requests_jitter")->line,
		    "max_requests_jitter", "has no effect without "
		    "max_requests");
	conf_check_pool(conf);
	if (conf->max_worker_age_jitter_ms > 0 && conf->max_worker_age_ms == 0)
		conf_warn(conf_line("max_worker_age_jitter")->line,
		    "max_worker_age_jitter", "has no effect without "
		    "max_worker_age");
	if (conf->log_target != LOG_TO_FILE && conf_line("log_file")->line)
		conf_warn(conf_line("log_file")->line, "log_file", "has no "
		    "effect without log_target = file");
	if (conf->log_target == LOG_TO_FILE && *conf->log_file == '\0')
		conf_error(conf_line("log_file")->line, "log_file", "is "
		    "needed with log_target = file");
	if (conf->log_target != LOG_TO_SYSLOG && conf->log_target !=
	    LOG_TO_AUTO && conf_line("syslog_facility")->line)
		conf_warn(conf_line("syslog_facility")->line,
		    "syslog_facility", "has no effect without log_target = "
		    "syslog");
	if (conf->graceful_timeout_ms == 0)
		conf_error(conf_line("graceful_timeout")->line,
		    "graceful_timeout", "must be more than 0: it bounds how "
		    "long old workers drain and new ones have to start (for "
		    "no practical limit, use a long time such as 1d)");
	conf_service(cfg, conf);
	if (conf_check_listen(cfg, conf) == -1)
		return;
	if (conf->rlimit_nofile > 0 && conf->rlimit_nofile <
	    CONF_MIN_NOFILE + conf->nlisten + conf->worker_connections - 1)
		conf_error(conf_line("worker_rlimit_nofile")->line,
		    "worker_rlimit_nofile", "%u leaves a worker too few "
		    "descriptors to serve (at least %zu: %d, plus one per "
		    "listen address and per worker_connections past the "
		    "first)", conf->rlimit_nofile, CONF_MIN_NOFILE +
		    conf->nlisten + conf->worker_connections - 1,
		    CONF_MIN_NOFILE);
	if (!cp.bad_identity && conf_check_user(conf) == 0)
		conf_check_exposure(conf);
}

/*
 * Warnings about what the worker user could reach: a chroot it can
 * write, the root group.
 */
static void
conf_check_exposure(const struct conf *conf)
{
	struct stat	st;
	int		i, ingroup = 0;

	if (conf->uid == 0)
		return;
	if (*conf->chroot != '\0' && stat(conf->chroot, &st) == 0) {
		for (i = 0; i < conf->ngroups; i++)
			if (conf->groups[i] == st.st_gid)
				ingroup = 1;
		if (st.st_uid == conf->uid || (st.st_mode & S_IWOTH) ||
		    ((st.st_mode & S_IWGRP) && (st.st_gid == conf->gid ||
		    ingroup)))
			conf_warn(conf_line("chroot")->line, "chroot", "%s is "
			    "writable by the worker user: a compromised worker "
			    "can change what every worker finds there",
			    conf->chroot);
	}
	if (conf->gid == 0)
		conf_warn(conf_line("group")->line ? conf_line("group")->line :
		    conf_line("user")->line, "group", "workers get gid 0 (the "
		    "root group): they can read what root shares with it, the "
		    "log file among them");
}

/*
 * worker_env: the environment workers get, nothing else of the
 * master's.  "NAME" passes the master's value (if it has one),
 * "NAME=VALUE" sets it.
 */
void
conf_env(cfg_t *cfg, struct conf *conf)
{
	struct conf_line	*cl = conf_line("worker_env");
	size_t			 i, n = cfg_size(cfg, "worker_env"), k = 0;
	const char		*v, *eq, *val;
	int			 line;

	if ((conf->worker_env = calloc(n + 1, sizeof(char *))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		v = cfg_getnstr(cfg, "worker_env", i);
		line = i < cl->nitems ? cl->items[i] : 0;
		eq = strchr(v, '=');
		if (!conf_env_name(v, eq != NULL ? (size_t)(eq - v) :
		    strlen(v))) {
			conf_error(line, "worker_env", "'%s' is not NAME or "
			    "NAME=VALUE (a name is letters, digits and _)", v);
			continue;
		}
		if (eq != NULL)
			conf->worker_env[k] = strdup(v);
		else if ((val = getenv(v)) != NULL &&
		    asprintf(&conf->worker_env[k], "%s=%s", v, val) == -1)
			conf->worker_env[k] = NULL;
		if (conf->worker_env[k] != NULL)
			k++;
	}
}

/* A valid environment variable name of len bytes. */
static int
conf_env_name(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/*
 * Called by libconfuse after each option is parsed: note where it was set,
 * refuse a scalar set twice, and check the string options.  Problems are
 * recorded and 0 returned, so that the parse goes on and reports them all.
 */
int
conf_validate(cfg_t *cfg, cfg_opt_t *opt)
{
	struct conf_line	*cl = conf_line(opt->name);
	size_t			 n = cfg_opt_size(opt), i;
	const char		*v;
	int			*items;

	if (cl == NULL)
		return 0;
	if (opt->flags & CFGF_LIST) {
		/* Called once per value (and again at the end of a braced
		   list).  A value past the next `name =` starts a new list. */
		while (cl->cur + 1 < cl->nassign &&
		    cfg->line >= cl->assign[cl->cur + 1]) {
			cl->cur++;
			cl->nitems = 0;
		}
		if (n > cl->nitems) {
			items = reallocarray(cl->items, n, sizeof(*items));
			if (items == NULL)
				return -1;
			for (i = cl->nitems; i < n; i++)
				items[i] = cfg->line;
			cl->items = items;
		}
		cl->nitems = n;
		return 0;
	}
	if (cl->line > 0) {
		conf_error(cfg->line, opt->name, "set twice (first on line %d)",
		    cl->line);
		return 0;
	}
	cl->line = cfg->line;
	if (opt->type == CFGT_STR && (v = cfg_opt_getnstr(opt, 0)) != NULL)
		(void)conf_check_string(cfg->line, opt->name, v);
	return 0;
}
