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
 * conf_int.h: what the files of the configuration module share (conf.c,
 * conf_check.c, conf_confuse.c), and nothing else includes: the state of
 * the parse in progress, which libconfuse's callbacks cannot be given.
 *
 * WARNING: the state is one static: conf_load() is not reentrant.
 */

#ifndef PREFORKD_CONF_INT_H
#define PREFORKD_CONF_INT_H

#include <confuse.h>

#define CONF_MAX_SIZE	(1024 * 1024)
#define CONF_MAX_LISTEN	256
#define CONF_MIN_NOFILE	16	/* worker_rlimit_nofile, plus listeners */
#define CONF_SUN_PATH	108	/* sizeof(sun_path) */

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

/* The parse in progress. */
struct conf_parse {
	const char		*file;
	struct errlist		*errs;
	struct conf_line	*lines;
	size_t			 nlines;
	int			 bad_identity;	/* user or group unknown */
};

extern struct conf_parse	 cp;

/* conf_confuse.c: the parse in progress, its problems */
void		 conf_error(int line, const char *opt, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 conf_warn(int line, const char *opt, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
struct conf_line *conf_line(const char *name);

/* conf_check.c */
int		 conf_validate(cfg_t *cfg, cfg_opt_t *opt);
int		 conf_enum(const char *opt, const char *v);
int		 conf_cb_uint(cfg_t *, cfg_opt_t *, const char *, void *);
int		 conf_cb_duration(cfg_t *, cfg_opt_t *, const char *, void *);
int		 conf_cb_mode(cfg_t *, cfg_opt_t *, const char *, void *);
void		 conf_check(cfg_t *cfg, struct conf *conf);
void		 conf_env(cfg_t *cfg, struct conf *conf);

int		 conf_service_kind(const char *name);
int		 conf_str_service(const char *, const char *, char *, size_t);
int		 conf_str_module(const char *, const char *, char *, size_t);
void		 conf_service(cfg_t *cfg, struct conf *conf);

/* conf_confuse.c: libconfuse mended */
void		 conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap);
void		 conf_scan_assignments(const char *s, struct conf_line *cl);
const char	*conf_confuse_message(size_t i, int *has_opt,
		    const char **ours);

#endif /* PREFORKD_CONF_INT_H */
