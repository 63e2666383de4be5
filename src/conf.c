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
 * conf.c: the configuration file, and the only user of libconfuse.
 *
 * conf_load() reads the file, checks every value (syntax, ranges,
 * addresses, users, groups, service names, duplicates, combinations) and
 * returns an immutable struct conf, or NULL and the complete list of
 * problems, each as "FILE:LINE: option: what is wrong".  Nothing else in
 * the daemon sees a cfg_t.
 *
 * Runs in the master (or in `preforkd -t`), as any user; it only reads.
 *
 * WARNING: libconfuse 3.3 miscounts lines after comments and cannot parse
 * a comment inside a list, so comments are blanked out here (newlines
 * kept) and the text is parsed from a buffer.
 *
 * WARNING: the libconfuse callbacks carry no user pointer, so the state of
 * the parse in progress is file-static: conf_load() is not reentrant.
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

#include <confuse.h>

#include "preforkd.h"

#define CONF_MAX_SIZE	(1024 * 1024)
#define CONF_MAX_LISTEN	256
#define CONF_MIN_NOFILE	16	/* worker_rlimit_nofile, plus listeners */
#define CONF_SUN_PATH	108	/* sizeof(sun_path) */

/* Integer options and their ranges. */
static const struct conf_range {
	const char	*name;
	unsigned int	 min, max;
} conf_ranges[] = {
	{ "backlog",		1, 65535 },
	{ "workers",		1, PREFORKD_MAX_WORKERS },
	{ "max_requests",	0, 1000000000 },
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

static int	conf_str_service(const char *, const char *, char *, size_t);
static int	conf_str_identity(const char *, const char *, char *, size_t);
static int	conf_str_path(const char *, const char *, char *, size_t);
static int	conf_str_directory(const char *, const char *, char *, size_t);
static int	conf_str_enum(const char *, const char *, char *, size_t);
static int	conf_str_size(const char *, const char *, char *, size_t);
static int	conf_enum(const char *opt, const char *v);

/* String options: their room and their check. */
static const struct conf_string {
	const char	*name;
	size_t		 maxlen;	/* with the NUL */
	int		(*check)(const char *, const char *, char *, size_t);
} conf_strings[] = {
	{ "service",		NAME_MAXLEN,	conf_str_service },
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

/* The lines where options were set, for messages after the parse. */
struct conf_line {
	const char	*name;
	int		 line;		/* scalar: where set; 0 = default */
	int		*items;		/* list: line of each value */
	size_t		 nitems;
	int		 assign[8];	/* list: lines of `name =` */
	size_t		 nassign;
	size_t		 cur;		/* list: the assignment being read */
};

/* The state of the parse in progress (see the WARNING above). */
static struct {
	const char		*file;
	struct errlist		*errs;
	struct conf_line	*lines;
	size_t			 nlines;
	int			 bad_identity;	/* user or group unknown */
} cp;

static char	*conf_read(const char *path, struct errlist *errs);
static void	 conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap);
static void	 conf_vreport(int warning, int line, const char *opt,
		    const char *fmt, va_list ap)
		    __attribute__((format(printf, 4, 0)));
static void	 conf_error(int line, const char *opt, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 conf_warn(int line, const char *opt, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static struct conf_line	*conf_line(const char *name);
static int	 conf_validate(cfg_t *cfg, cfg_opt_t *opt);
static int	 conf_cb_uint(cfg_t *, cfg_opt_t *, const char *, void *);
static int	 conf_cb_duration(cfg_t *, cfg_opt_t *, const char *, void *);
static int	 conf_cb_mode(cfg_t *, cfg_opt_t *, const char *, void *);
static int	 conf_check_listen(cfg_t *cfg, struct conf *conf);
static int	 conf_check_user(struct conf *conf);
static void	 conf_check(cfg_t *cfg, struct conf *conf);
static void	 conf_check_pool(const struct conf *conf);
static void	 conf_check_args(cfg_t *cfg, struct conf *conf);
static void	 conf_check_exposure(const struct conf *conf);
static void	 conf_env(cfg_t *cfg, struct conf *conf);
static int	 conf_env_name(const char *s, size_t len);
static void	 conf_scan_assignments(const char *s, struct conf_line *cl);

/* libconfuse messages rewritten into our "option: what is wrong" form. */
static const struct {
	const char	*confuse;
	const char	*ours;		/* NULL: "syntax error: " + message */
	int		 has_opt;	/* the first argument is the option */
} conf_messages[] = {
	{ "no such option '%s'", "unknown option", 1 },
	{ "missing equal sign after option '%s'",
	    "missing '=' after the option name", 1 },
	{ "attempt to append to non-list option '%s'",
	    "'+=' works only on list options", 1 },
	{ "invalid integer value for option '%s'", "invalid number", 1 },
	{ "integer value for option '%s' is out of range", "out of range", 1 },
	{ "invalid boolean value for option '%s'",
	    "invalid boolean (use true or false)", 1 },
	{ "duplicate option '%s' not allowed", "set twice", 1 },
	{ "premature end of file",
	    "syntax error: unexpected end of file (an unclosed quote or "
	    "brace?)", 0 },
};

/* A problem at line (0: none) with opt (NULL: none): refused or said. */
static void
conf_vreport(int warning, int line, const char *opt, const char *fmt,
    va_list ap)
{
	char	msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	errlist_add_at(cp.errs, cp.file, line, opt, warning, "%s", msg);
}

static void
conf_error(int line, const char *opt, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vreport(0, line, opt, fmt, ap);
	va_end(ap);
}

/* A setting that is allowed but does nothing, or is risky: said, not
   refused. */
static void
conf_warn(int line, const char *opt, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vreport(1, line, opt, fmt, ap);
	va_end(ap);
}

/* Format the message first, then prefix it (no truncated format). */
static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char	msg[1024];
	size_t	i;
	va_list	aq;

	for (i = 0; i < sizeof(conf_messages) / sizeof(conf_messages[0]);
	    i++) {
		if (strcmp(fmt, conf_messages[i].confuse) != 0)
			continue;
		if (conf_messages[i].has_opt) {
			va_copy(aq, ap);
			conf_error(cfg->line, va_arg(aq, const char *), "%s",
			    conf_messages[i].ours);
			va_end(aq);
		} else
			conf_error(cfg->line, NULL, "%s",
			    conf_messages[i].ours);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	conf_error(cfg->line, NULL, "syntax error: %s", msg);
}

/*
 * Blank out comments outside quoted strings: '#' anywhere, and '//' or
 * '/ *' where a token may start.  Newlines are kept so that libconfuse
 * counts lines right.  Returns the line of a '/ *' never closed, else 0.
 */
int
conf_strip_comments(char *s)
{
	enum { CODE, DQUOTE, SQUOTE, LINE, BLOCK } st = CODE;
	char	prev = '\n';
	int	line = 1, opened = 0;

	for (; *s != '\0'; prev = *s, s++) {
		if (*s == '\n')
			line++;
		switch (st) {
		case CODE:
			if (*s == '"')
				st = DQUOTE;
			else if (*s == '\'')
				st = SQUOTE;
			else if (*s == '#')
				st = LINE;
			else if (*s == '/' && (s[1] == '/' || s[1] == '*') &&
			    (isspace((unsigned char)prev) ||
			    strchr("={},(+", prev) != NULL))
				st = s[1] == '/' ? LINE : BLOCK;
			else
				break;
			opened = line;
			if (st == LINE || st == BLOCK) {
				*s = ' ';
				if (st == BLOCK)
					*++s = ' ';
			}
			break;
		case DQUOTE:
		case SQUOTE:
			if (*s == '\\' && s[1] != '\0') {
				prev = *s++;
				continue;
			}
			if (*s == (st == DQUOTE ? '"' : '\''))
				st = CODE;
			break;
		case LINE:
			if (*s == '\n')
				st = CODE;
			else
				*s = ' ';
			break;
		case BLOCK:
			if (*s == '*' && s[1] == '/') {
				*s++ = ' ';
				*s = ' ';
				st = CODE;
			} else if (*s != '\n')
				*s = ' ';
			break;
		}
	}
	return st == BLOCK ? opened : 0;
}

static struct conf_line *
conf_line(const char *name)
{
	size_t	i;

	for (i = 0; i < cp.nlines; i++)
		if (strcmp(cp.lines[i].name, name) == 0)
			return &cp.lines[i];
	return NULL;
}

/*
 * Called by libconfuse after each option is parsed: note where it was set,
 * refuse a scalar set twice, and check the string options.  Problems are
 * recorded and 0 returned, so that the parse goes on and reports them all.
 */
static int
conf_validate(cfg_t *cfg, cfg_opt_t *opt)
{
	struct conf_line	*cl = conf_line(opt->name);
	size_t			 n = cfg_opt_size(opt), i;
	const char		*v;
	int			*items;
	char			 err[256];

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
	if (opt->type != CFGT_STR || (v = cfg_opt_getnstr(opt, 0)) == NULL)
		return 0;
	for (i = 0; i < sizeof(conf_strings) / sizeof(conf_strings[0]); i++)
		if (strcmp(conf_strings[i].name, opt->name) == 0)
			break;
	if (i == sizeof(conf_strings) / sizeof(conf_strings[0]))
		return 0;
	if (strlen(v) >= conf_strings[i].maxlen)
		conf_error(cfg->line, opt->name, "'%.20s...' is too long (at "
		    "most %zu bytes)", v, conf_strings[i].maxlen - 1);
	else if (conf_strings[i].check(opt->name, v, err, sizeof(err)) == 0)
		return 0;
	else
		conf_error(cfg->line, opt->name, "%s", err);
	if (conf_strings[i].check == conf_str_identity)
		cp.bad_identity = 1;	/* reported: do not resolve it */
	return 0;
}

static int
conf_str_service(const char *opt, const char *v, char *err, size_t len)
{
	char	names[256] = "";
	size_t	i;

	if (handler_find(v) != NULL)
		return 0;
	for (i = 0; handler_at(i) != NULL; i++) {
		if (i > 0)
			strlcat(names, ", ", sizeof(names));
		strlcat(names, handler_at(i)->name, sizeof(names));
	}
	snprintf(err, len, "unknown service '%s' (built-in services: %s)", v,
	    names);
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
static int
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

/*
 * The lines where the list option name is assigned with `=` (not `+=`)
 * in comment-free text, outside quotes.  libconfuse lets a second `=`
 * silently replace a list; preforkd calls it an error.
 */
static void
conf_scan_assignments(const char *s, struct conf_line *cl)
{
	const char	*p;
	size_t		 len = strlen(cl->name);
	char		 q = 0, prev = '\n';
	int		 line = 1;

	for (; *s != '\0'; prev = *s, s++) {
		if (*s == '\n')
			line++;
		if (q != 0) {
			if (*s == '\\' && s[1] != '\0' && s[1] != '\n')
				s++;
			else if (*s == q)
				q = 0;
			continue;
		}
		if (*s == '"' || *s == '\'') {
			q = *s;
			continue;
		}
		if (strncmp(s, cl->name, len) != 0 || isalnum((unsigned char)prev)
		    || prev == '_')
			continue;
		for (p = s + len; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '=' && cl->nassign < sizeof(cl->assign) /
		    sizeof(cl->assign[0]))
			cl->assign[cl->nassign++] = line;
	}
	if (cl->nassign > 1)
		conf_error(cl->assign[1], cl->name, "set twice (first on line "
		    "%d); use += to add to a list", cl->assign[0]);
}

/* Integer options: decimal only, within conf_ranges. */
static int
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

static int
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
static int
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

/* Copy service_args and let the service check them. */
static void
conf_check_args(cfg_t *cfg, struct conf *conf)
{
	const struct handler	*h = handler_find(conf->service);
	struct conf_line	*cl = conf_line("service_args");
	size_t			 i, n = cfg_size(cfg, "service_args");
	char			 err[512];
	int			 line = cl->nitems > 0 ? cl->items[0] : 0;

	if ((conf->service_args = calloc(n + 1, sizeof(char *))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((conf->service_args[i] = strdup(cfg_getnstr(cfg,
		    "service_args", i))) == NULL)
			return;
	if (h == NULL || n == 0)
		return;
	if (h->check == NULL)
		conf_error(line, "service_args", "service %s takes no "
		    "arguments", h->name);
	else if (h->check((const char *const *)conf->service_args, err,
	    sizeof(err)) == -1)
		conf_error(line, "service_args", "%s", err);
}

/* Checks across options, after a clean parse. */
static void
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
	conf_check_args(cfg, conf);
	if (conf_check_listen(cfg, conf) == -1)
		return;
	if (conf->rlimit_nofile > 0 && conf->rlimit_nofile <
	    CONF_MIN_NOFILE + conf->nlisten)
		conf_error(conf_line("worker_rlimit_nofile")->line,
		    "worker_rlimit_nofile", "%u leaves a worker too few "
		    "descriptors to serve (at least %zu: %d, plus one per "
		    "listen address)", conf->rlimit_nofile,
		    CONF_MIN_NOFILE + conf->nlisten, CONF_MIN_NOFILE);
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
static void
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
	cfg_opt_t	 opts[] = {
		CFG_STR("service", "incr", CFGF_NONE),
		CFG_STR_LIST("service_args", "{}", CFGF_NONE),
		CFG_STR_LIST("listen", "{\"127.0.0.1:9090\"}", CFGF_NONE),
		CFG_INT_CB("backlog", 511, CFGF_NONE, conf_cb_uint),
		CFG_INT_CB("unix_mode", 0666, CFGF_NONE, conf_cb_mode),
		CFG_STR("user", "", CFGF_NONE),
		CFG_STR("group", "", CFGF_NONE),
		CFG_INT_CB("workers", 4, CFGF_NONE, conf_cb_uint),
		CFG_INT_CB("max_requests", 0, CFGF_NONE, conf_cb_uint),
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
	struct conf_line lines[sizeof(opts) / sizeof(opts[0])];
	struct conf	*conf = NULL;
	cfg_t		*cfg;
	char		*buf, err[128];
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
	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL)
		goto done;
	cfg_set_error_function(cfg, conf_errfunc);
	for (i = 0; opts[i].name != NULL; i++) {
		lines[i].name = opts[i].name;
		cfg_set_validate_func(cfg, opts[i].name, conf_validate);
	}
	cp.nlines = i;
	for (i = 0; opts[i].name != NULL; i++)
		if (opts[i].flags & CFGF_LIST)
			conf_scan_assignments(buf, &lines[i]);
	/* Value errors are collected and the parse goes on; a syntax error
	   stops it, and then the values are not worth checking further. */
	if ((rc = cfg_parse_buf(cfg, buf)) != CFG_SUCCESS) {
		if (errlist_errors(errs, nerr) == 0)
			conf_error(0, NULL, "cannot parse");
		goto done;
	}

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		goto done;
	strlcpy(conf->file, name, sizeof(conf->file));
	strlcpy(conf->service, cfg_getstr(cfg, "service"),
	    sizeof(conf->service));
	strlcpy(conf->user, cfg_getstr(cfg, "user"), sizeof(conf->user));
	strlcpy(conf->group, cfg_getstr(cfg, "group"), sizeof(conf->group));
	conf->backlog = cfg_getint(cfg, "backlog");
	conf->unix_mode = cfg_getint(cfg, "unix_mode");
	conf->workers = cfg_getint(cfg, "workers");
	conf->max_requests = cfg_getint(cfg, "max_requests");
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
	strlcpy(conf->control_socket, cfg_getstr(cfg, "control_socket"),
	    sizeof(conf->control_socket));
	conf->control_socket_auto = conf_line("control_socket")->line == 0;
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
	for (i = 0; conf->worker_env != NULL && conf->worker_env[i]; i++)
		free(conf->worker_env[i]);
	free(conf->worker_env);
	free(conf->listen);
	free(conf->groups);
	free(conf);
}
