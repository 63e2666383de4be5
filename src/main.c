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
 * takes the pidfile, opens the log and the listeners, detaches unless
 * told to stay in the foreground and hands over to the master loop; or,
 * with -s, signals the running master.  Nothing else lives here, so that
 * the whole daemon is in libpreforkd.a for the tests.
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define DEFAULT_CONF	SYSCONFDIR "/preforkd.conf"

static const struct {
	const char	*name;
	int		 signo;
} control_signals[] = {
	{ "stop", SIGTERM },
	{ "quit", SIGQUIT },
	{ "reload", SIGHUP },
	{ "reopen", SIGUSR1 },
	{ "ttin", SIGTTIN },
	{ "ttou", SIGTTOU },
};

static __dead void	usage(int status);
static void		daemonize(void);
static int		signal_master(const char *pidfile, const char *cmd);
static int		reload_master(const struct conf *conf);
static int		status_master(const struct conf *conf,
			    const char *format);
static void		control_default(struct conf *conf);
static int		mkdir_parents(const char *path);
static struct pidfh	*pidfile_take(const char *path);

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
	    "  -h          show this help\n"
	    "  -p pidfile  pid file, overriding the configuration\n"
	    "  -s signal   signal the running master: stop, quit, reload, "
	    "reopen,\n              ttin (one worker more), ttou (one fewer)\n"
	    "  -t          check the configuration and exit\n"
	    "  -V          show the version\n"
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
 * Detach: fork, new session, fork again (never reacquire a terminal),
 * chdir /, umask 027, stdin and stdout on /dev/null, and stderr too unless
 * the log goes there.
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
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (log_gettarget() != LOG_TO_STDERR)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Create the missing directories above path (a runtime directory). */
static int
mkdir_parents(const char *path)
{
	char	dir[PATH_MAX], *p;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return -1;
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Lock and open the pidfile, or say who holds it and exit 1. */
static struct pidfh *
pidfile_take(const char *path)
{
	struct pidfh	*pfh;
	pid_t		 other = 0;

	if (mkdir_parents(path) == -1)
		fatal("pidfile %s: cannot create its directory", path);
	if ((pfh = pidfile_open(path, 0644, &other)) != NULL)
		return pfh;
	if (errno == EEXIST)
		fatalx("already running, pid %ld (pidfile %s)", (long)other,
		    path);
	fatal("pidfile %s", path);
}

/*
 * -s: send the signal named cmd to the master whose pid is in pidfile.
 * The pidfile is locked by a running master: an unlocked one is stale.
 */
static int
signal_master(const char *pidfile, const char *cmd)
{
	char	 buf[32];
	size_t	 i;
	ssize_t	 n;
	long	 pid;
	int	 fd, signo = 0;

	for (i = 0; i < sizeof(control_signals) / sizeof(control_signals[0]);
	    i++)
		if (strcmp(control_signals[i].name, cmd) == 0)
			signo = control_signals[i].signo;
	if (signo == 0) {
		fprintf(stderr, "preforkd: -s %s: unknown signal (stop, quit, "
		    "reload, reopen, ttin or ttou)\n", cmd);
		return EXIT_USAGE;
	}
	if (*pidfile == '\0') {
		fprintf(stderr, "preforkd: -s needs a pidfile (the "
		    "configuration disables it)\n");
		return 1;
	}
	if ((fd = open(pidfile, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "preforkd: not running (%s: %s)\n", pidfile,
		    strerror(errno));
		return 1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		fprintf(stderr, "preforkd: not running (stale pidfile %s)\n",
		    pidfile);
		close(fd);
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 1) {
		fprintf(stderr, "preforkd: %s: no pid in the pidfile\n",
		    pidfile);
		return 1;
	}
	if (kill((pid_t)pid, signo) == -1) {
		fprintf(stderr, "preforkd: kill %ld: %s\n", pid,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/* Unset, the control socket goes next to the pidfile. */
static void
control_default(struct conf *conf)
{
	char	*slash;

	if (!conf->control_socket_auto)
		return;
	conf->control_socket[0] = '\0';
	if (*conf->pidfile == '\0' || (slash = strrchr(conf->pidfile,
	    '/')) == NULL)
		return;
	snprintf(conf->control_socket, sizeof(conf->control_socket),
	    "%.*s/preforkd.ctl", (int)(slash - conf->pidfile), conf->pidfile);
	if (strlen(conf->control_socket) >= 108)	/* sun_path */
		conf->control_socket[0] = '\0';
}

/*
 * -s reload: ask the master through the control socket and wait for its
 * verdict (the new generation accepting, or every error); without a
 * control socket, fall back to SIGHUP without a verdict.
 */
static int
reload_master(const struct conf *conf)
{
	int	rc;

	if (*conf->control_socket != '\0') {
		rc = control_command(conf->control_socket, "reload",
		    STDOUT_FILENO, STDERR_FILENO);
		if (rc == 0)
			return 0;
		if (rc == 1)
			return 1;
		if (errno != ENOENT && errno != ECONNREFUSED) {
			fprintf(stderr, "preforkd: %s: %s\n",
			    conf->control_socket, strerror(errno));
			return 1;
		}
	}
	fprintf(stderr, "preforkd: no control socket: sending SIGHUP "
	    "without waiting for the result\n");
	return signal_master(conf->pidfile, "reload");
}

/* preforkd status: the master's report, in format. */
static int
status_master(const struct conf *conf, const char *format)
{
	char	cmd[64];
	int	rc;

	if (*conf->control_socket == '\0') {
		fprintf(stderr, "preforkd: status needs the control socket "
		    "(control_socket is disabled)\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "status %s", format);
	if ((rc = control_command(conf->control_socket, cmd,
	    STDOUT_FILENO, STDERR_FILENO)) == -1) {
		fprintf(stderr, "preforkd: not running (%s: %s)\n",
		    conf->control_socket, strerror(errno));
		return 1;
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct master	 m;
	struct errlist	 errs = { NULL, 0 };
	struct pidfh	*pfh = NULL;
	const char	*file = DEFAULT_CONF, *pidfile = NULL, *cmd = NULL;
	const char	*query = NULL;
	char		 err[PATH_MAX + 128];
	int		 ch, foreground = 0, check = 0, verbose = 0, status;
	size_t		 i;

	setproctitle_init(argc, argv, environ);
	/* '+': stop at the first operand (status --json) */
	while ((ch = getopt(argc, argv, "+c:fhp:s:tVv")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(0);
		case 'p':
			pidfile = optarg;
			break;
		case 's':
			cmd = optarg;
			break;
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
	if (optind < argc && strcmp(argv[optind], "status") == 0) {
		query = "text";
		if (++optind < argc && strcmp(argv[optind], "--json") == 0)
			query = "json";
		else if (optind < argc &&
		    strcmp(argv[optind], "--prometheus") == 0)
			query = "prometheus";
		else if (optind < argc)
			usage(EXIT_USAGE);
		if (query != NULL && strcmp(query, "text") != 0)
			optind++;
	}
	if (optind != argc || (cmd != NULL && (check || query != NULL)))
		usage(EXIT_USAGE);

	log_init(LOG_TO_STDERR, verbose ? LOG_DEBUG : LOG_INFO);
	memset(&m, 0, sizeof(m));
	if (cmd != NULL || query != NULL) {
		/* a client needs the pidfile and the control socket only;
		   the master reports the errors of a file it reloads */
		m.conf = conf_load_lenient(file);
		if (pidfile != NULL)
			strlcpy(m.conf->pidfile, pidfile,
			    sizeof(m.conf->pidfile));
		control_default(m.conf);
		status = cmd != NULL ? (strcmp(cmd, "reload") == 0 ?
		    reload_master(m.conf) : signal_master(m.conf->pidfile,
		    cmd)) : status_master(m.conf, query);
		conf_free(m.conf);
		return status;
	}
	m.conf = conf_load(file, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "preforkd: %s\n", errs.msg[i]);
	errlist_free(&errs);
	if (m.conf == NULL) {
		fprintf(stderr, "preforkd: %s: configuration has errors, not "
		    "%s\n", file, check ? "valid" : "starting");
		return EXIT_PERMANENT;
	}
	if (pidfile != NULL)
		strlcpy(m.conf->pidfile, pidfile, sizeof(m.conf->pidfile));
	control_default(m.conf);
	if (check) {
		printf("preforkd: %s: configuration OK\n", file);
		conf_free(m.conf);
		return 0;
	}


	if (*m.conf->pidfile != '\0')
		pfh = pidfile_take(m.conf->pidfile);
	if (log_open(m.conf->log_target, verbose ? LOG_DEBUG :
	    m.conf->log_level, m.conf->syslog_facility, m.conf->log_file,
	    foreground, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (master_open(&m) == -1) {
		pidfile_remove(pfh);
		conf_free(m.conf);
		return 1;
	}
	if (!foreground)
		daemonize();
	if (pfh != NULL && pidfile_write(pfh) == -1)
		log_warn("pidfile %s", m.conf->pidfile);
	m.foreground = foreground;
	m.verbose = verbose;
	status = master_run(&m);
	pidfile_remove(pfh);
	conf_free(m.conf);
	return status;
}
