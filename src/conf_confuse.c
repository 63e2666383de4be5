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
 * conf_confuse.c: the parse in progress (its state, which libconfuse's
 * callbacks cannot be given, and the problems it records), and what
 * libconfuse gets wrong or lacks, mended in one place.  libconfuse 3.3 miscounts lines after comments and cannot parse
 * a comment inside a list: comments are blanked out first (newlines
 * kept).  It lets a second `name =` silently replace a list: the
 * assignments are found in the text.  It gives no line for a list's
 * values: they are noted as they come.  Its messages are English
 * sentences: the known ones are rewritten in our "option: what is wrong"
 * form (tests/unit/check_confuse fails if libconfuse's wording changes
 * under them).
 *
 * Part of the configuration module (conf_int.h).  Runs in the master or
 * in `preforkd -t`; it only reads.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conf_int.h"

/* The parse in progress (see conf_int.h). */
struct conf_parse	cp;

static void	conf_vreport(int warning, int line, const char *opt,
		    const char *fmt, va_list ap)
		    __attribute__((format(printf, 4, 0)));

/* A problem at line (0: none) with opt (NULL: none): refused or said. */
static void
conf_vreport(int warning, int line, const char *opt, const char *fmt,
    va_list ap)
{
	char	msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	errlist_add_at(cp.errs, cp.file, line, opt, warning, "%s", msg);
}

void
conf_error(int line, const char *opt, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vreport(0, line, opt, fmt, ap);
	va_end(ap);
}

/* A setting that is allowed but does nothing, or is risky: said, not
   refused. */
void
conf_warn(int line, const char *opt, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vreport(1, line, opt, fmt, ap);
	va_end(ap);
}

struct conf_line *
conf_line(const char *name)
{
	size_t	i;

	for (i = 0; i < cp.nlines; i++)
		if (strcmp(cp.lines[i].name, name) == 0)
			return &cp.lines[i];
	return NULL;
}

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

/* Entry i of the table above (NULL past its end), for the tests. */
const char *
conf_confuse_message(size_t i, int *has_opt, const char **ours)
{
	if (i >= sizeof(conf_messages) / sizeof(conf_messages[0]))
		return NULL;
	*has_opt = conf_messages[i].has_opt;
	*ours = conf_messages[i].ours;
	return conf_messages[i].confuse;
}

/* Format the message first, then prefix it (no truncated format). */
void
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

/*
 * The lines where the list option name is assigned with `=` (not `+=`)
 * in comment-free text, outside quotes.  libconfuse lets a second `=`
 * silently replace a list; preforkd calls it an error.
 */
void
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
