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
 * main.c: the command line.  Parses the options, loads the
 * configuration, and hands over: to the master (master_main()), to a
 * client command (client.c), or prints the result of -t.  Nothing else
 * lives here, so that the whole daemon is in libpreforkd.a for the tests.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define DEFAULT_CONF	SYSCONFDIR "/preforkd.conf"

static __dead void	usage(int status);
static const char	*absolute(const char *path, char *buf, size_t len);
static const char	*status_format(int argc, char *argv[]);
struct args;
static void		 args_parse(int argc, char *argv[], struct args *a);

extern char	**environ;

static __dead void
usage(int status)
{
	FILE	*f = status ? stderr : stdout;
	size_t	 i;

	fprintf(f,
	    "usage: preforkd [-fhtVv] [-c file] [-p pidfile] [-s signal]\n"
	    "       preforkd [-c file] [-p pidfile] status [--json | "
	    "--prometheus]\n"
	    "  -c file     configuration file (default %s)\n"
	    "  -f          stay in the foreground, log to stderr\n"
	    "  -h, --help  show this help\n"
	    "  -p pidfile  pid file, overriding the configuration\n"
	    "  -s signal   signal the running master: stop, quit, reload, "
	    "reopen,\n              ttin (one worker more), ttou (one fewer)\n"
	    "  -t          check the configuration and exit\n"
	    "  -V, --version  show the version\n"
	    "  -v          verbose: log debug messages\n"
	    "  status      print the pool (a table, JSON or Prometheus "
	    "text)\n"
	    "services:\n", DEFAULT_CONF);
	for (i = 0; handler_at(i) != NULL; i++)
		fprintf(f, "  %-11s %s\n", handler_at(i)->name,
		    handler_at(i)->description);
	exit(status);
}

/*
 * path made absolute (the daemon changes to / and reloads later), in buf;
 * NULL stays NULL.  Exits if it cannot be.
 */
static const char *
absolute(const char *path, char *buf, size_t len)
{
	char	cwd[PATH_MAX];

	if (path == NULL || *path == '/')
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(buf, len, "%s/%s", cwd, path) >= len) {
		fprintf(stderr, "preforkd: %s: cannot make the path absolute\n",
		    path);
		exit(EXIT_USAGE);
	}
	return buf;
}

/* The format of `status [--json | --prometheus]`, or NULL if misused. */
static const char *
status_format(int argc, char *argv[])
{
	if (argc == 0)
		return "text";
	if (argc == 1 && strcmp(argv[0], "--json") == 0)
		return "json";
	if (argc == 1 && strcmp(argv[0], "--prometheus") == 0)
		return "prometheus";
	return NULL;
}

/* The command line, once read. */
struct args {
	const char	*file;
	const char	*pidfile;	/* NULL: the configuration's */
	const char	*cmd;		/* -s */
	const char	*query;		/* status format, NULL: no status */
	int		 foreground, check, verbose;
};

/*
 * Read the command line into a (options may come before or after
 * `status` and its format); exits on --help, -V and misuse.
 */
static void
args_parse(int argc, char *argv[], struct args *a)
{
	char	*rest[2];
	int	 ch, nrest = 0;

	memset(a, 0, sizeof(*a));
	a->file = DEFAULT_CONF;
	while (optind < argc) {
		if ((ch = getopt(argc, argv, "+c:fhp:s:tVv")) == -1) {
			if (optind >= argc)
				break;
			if (nrest > 0 || strcmp(argv[optind], "status") != 0)
				usage(EXIT_USAGE);
			rest[nrest++] = argv[optind++];
			if (optind < argc && strncmp(argv[optind], "--", 2) ==
			    0 && argv[optind][2] != '\0')
				rest[nrest++] = argv[optind++];	/* format */
			continue;
		}
		switch (ch) {
		case 'c':
			a->file = optarg;
			break;
		case 'f':
			a->foreground = 1;
			break;
		case 'h':
			usage(0);
		case 'p':
			a->pidfile = optarg;
			break;
		case 's':
			a->cmd = optarg;
			break;
		case 't':
			a->check = 1;
			break;
		case 'V':
			printf("preforkd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'v':
			a->verbose = 1;
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (nrest > 0 && (a->query = status_format(nrest - 1, rest + 1)) ==
	    NULL)
		usage(EXIT_USAGE);
	if (a->cmd != NULL && (a->check || a->query != NULL))
		usage(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct args	 a;
	struct conf	*conf;
	struct errlist	 errs = { 0 };
	char		 fbuf[PATH_MAX], pbuf[PATH_MAX];
	int		 status;

	setproctitle_init(argc, argv, environ);
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage(0);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("preforkd %s\n", PACKAGE_VERSION);
		return 0;
	}
	args_parse(argc, argv, &a);
	a.file = absolute(a.file, fbuf, sizeof(fbuf));
	a.pidfile = absolute(a.pidfile, pbuf, sizeof(pbuf));

	log_init(LOG_TO_STDERR, a.verbose ? LOG_DEBUG : LOG_INFO);
	if (a.cmd != NULL || a.query != NULL) {
		/* a client needs the pidfile and the control socket only;
		   the master reports the errors of a file it reloads */
		conf = conf_load_lenient(a.file);
		if (a.pidfile != NULL)
			conf_set_pidfile(conf, a.pidfile);
		status = a.cmd != NULL ? (strcmp(a.cmd, "reload") == 0 ?
		    client_reload(conf) : client_signal(conf, a.cmd)) :
		    client_status(conf, a.query);
		conf_free(conf);
		return status;
	}
	conf = conf_load(a.file, &errs);
	if (conf != NULL && pool_probe(conf, &errs) == -1) {
		conf_free(conf);
		conf = NULL;
	}
	errlist_print(&errs, stderr);
	errlist_free(&errs);
	if (conf == NULL) {
		fprintf(stderr, "preforkd: %s: configuration has errors, not "
		    "%s\n", a.file, a.check ? "valid" : "starting");
		return EXIT_PERMANENT;
	}
	if (a.check) {
		printf("preforkd: %s: configuration OK\n", a.file);
		conf_free(conf);
		return 0;
	}
	return master_main(conf, a.pidfile, a.foreground, a.verbose);
}
