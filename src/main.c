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
 * main.c: the command line.  Parses options, loads the configuration,
 * opens the listeners, detaches unless told to stay in the foreground and
 * hands over to the master loop.  Nothing else lives here, so that the
 * whole daemon is in libpreforkd.a for the tests.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define DEFAULT_CONF	SYSCONFDIR "/preforkd.conf"

static __dead void	usage(int status);
static void		daemonize(void);

extern char	**environ;

static __dead void
usage(int status)
{
	size_t	i;

	fprintf(status ? stderr : stdout,
	    "usage: preforkd [-fhtVv] [-c file]\n"
	    "  -c file  configuration file (default %s)\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -h       show this help\n"
	    "  -t       check the configuration and exit\n"
	    "  -V       show the version\n"
	    "  -v       verbose: log debug messages\n"
	    "services:\n", DEFAULT_CONF);
	for (i = 0; handler_at(i) != NULL; i++)
		fprintf(status ? stderr : stdout, "  %-8s %s\n",
		    handler_at(i)->name, handler_at(i)->description);
	exit(status);
}

/*
 * Detach: fork, new session, fork again (never reacquire a terminal),
 * chdir /, stdio on /dev/null, umask 027.
 */
static void
daemonize(void)
{
	int	fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (chdir("/") == -1)
		fatal("chdir /");
	umask(027);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int
main(int argc, char *argv[])
{
	struct master	 m;
	struct errlist	 errs = { NULL, 0 };
	const char	*file = DEFAULT_CONF;
	int		 ch, foreground = 0, check = 0, verbose = 0, status;
	size_t		 i;

	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "c:fhtVv")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(0);
		case 't':
			check = 1;
			break;
		case 'V':
			printf("preforkd %s\n", PACKAGE_VERSION);
			return 0;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);

	log_init(LOG_TO_STDERR, verbose ? LOG_DEBUG : LOG_INFO);
	memset(&m, 0, sizeof(m));
	m.conf = conf_load(file, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "preforkd: %s\n", errs.msg[i]);
	errlist_free(&errs);
	if (m.conf == NULL) {
		fprintf(stderr, "preforkd: %s: configuration has errors, not "
		    "%s\n", file, check ? "valid" : "starting");
		return EXIT_PERMANENT;
	}
	if (check) {
		printf("preforkd: %s: configuration OK\n", file);
		conf_free(m.conf);
		return 0;
	}

	if (master_open(&m) == -1) {
		conf_free(m.conf);
		return 1;
	}
	if (!foreground) {
		daemonize();
		log_init(LOG_TO_SYSLOG, verbose ? LOG_DEBUG : LOG_INFO);
	}
	m.foreground = foreground;
	status = master_run(&m);
	conf_free(m.conf);
	return status;
}
