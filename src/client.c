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
 * client.c: the client commands, `preforkd -s SIGNAL` and `preforkd
 * status`, which act on a running master.
 *
 * They trust no file and no socket on its word.  The master is the
 * process that holds the pidfile's lock, as the kernel reports it, and
 * only if the file names that same pid (pidlock_holder()); a signal goes
 * to that pid and nowhere else.  The control socket must be served by
 * that pid (SO_PEERCRED), and by root or by us.
 *
 * Runs as the invoking user (root), in a process of its own.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

static const struct {
	const char	*name;
	int		 signo;
} client_signals[] = {
	{ "stop", SIGTERM },
	{ "quit", SIGQUIT },
	{ "reload", SIGHUP },
	{ "reopen", SIGUSR1 },
	{ "ttin", SIGTTIN },
	{ "ttou", SIGTTOU },
};

static pid_t	client_master(const struct conf *conf);
static int	client_connect(const struct conf *conf, pid_t master);
static int	client_request(const struct conf *conf, const char *cmd);
struct client_out;
static void	client_copy(struct client_out *o, const char *p, size_t n,
		    int eol);

/* The pid of the running master, or 0 (said on stderr). */
static pid_t
client_master(const struct conf *conf)
{
	char	err[PATH_MAX + 128];
	pid_t	pid;

	if (*conf->pidfile == '\0') {
		fprintf(stderr, "preforkd: no pidfile (the configuration "
		    "disables it): cannot find the master\n");
		return 0;
	}
	if ((pid = pidlock_holder(conf->pidfile, err, sizeof(err))) > 0)
		return pid;
	fprintf(stderr, "preforkd: not running (%s)\n", err);
	return 0;
}

/*
 * Connect to the control socket and check who serves it: the master
 * (pid master, when known), running as root or as us.  Returns the
 * socket, or -1 (said on stderr).
 */
static int
client_connect(const struct conf *conf, pid_t master)
{
	struct sockaddr_un	sun;
	struct ucred		cred;
	socklen_t		len = sizeof(cred);
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, conf->control_socket,
	    sizeof(sun.sun_path)) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "preforkd: %s: path too long\n",
		    conf->control_socket);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		fprintf(stderr, "preforkd: not running (%s: %s)\n",
		    conf->control_socket, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((master > 0 && cred.pid != master) ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		fprintf(stderr, "preforkd: %s is served by pid %ld (uid %u), "
		    "not by the master (pid %ld): not used\n",
		    conf->control_socket, (long)cred.pid, (unsigned)cred.uid,
		    (long)master);
		close(fd);
		return -1;
	}
	return fd;
}

/* Where the answer goes: stdout, stderr after "error", or a warning. */
struct client_out {
	int	 fd;		/* for the lines to come */
	int	 cur;		/* for the line in progress */
	int	 first;		/* nothing read yet */
	int	 midline;	/* part of a line already written */
	int	 rc;
	int	 reload;	/* lines after the verdict are warnings */
};

/* Copy n bytes of the answer that end a line (eol) or fill the buffer. */
static void
client_copy(struct client_out *o, const char *p, size_t n, int eol)
{
	if (!o->midline) {
		o->cur = o->fd;
		if (o->first && n >= 6 && strncmp(p, "error\n", 6) == 0) {
			o->rc = 1;
			o->fd = STDERR_FILENO;
			o->first = 0;
			return;
		}
		if (o->reload && !o->first)
			o->cur = STDERR_FILENO;
	}
	o->first = 0;
	(void)write(o->cur, p, n);
	o->midline = !eol;
}

/*
 * Send cmd to the master and copy its answer: to stdout, except an
 * "error" answer (its text to stderr, status 1) and the warnings that
 * follow the verdict of a reload (stderr).  Returns the exit status.
 */
static int
client_request(const struct conf *conf, const char *cmd)
{
	struct client_out	 o = { STDOUT_FILENO, STDOUT_FILENO, 1, 0, 0, 0 };
	char			 buf[8192], *line, *nl;
	size_t			 have = 0;
	ssize_t			 n;
	pid_t			 master = 0;
	int			 fd;

	o.reload = strcmp(cmd, "reload") == 0;
	if (*conf->pidfile != '\0' && (master = client_master(conf)) == 0)
		return 1;
	if ((fd = client_connect(conf, master)) == -1)
		return 1;
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) == -1 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) == -1) {
		fprintf(stderr, "preforkd: %s: %s\n", conf->control_socket,
		    strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += n;
		for (line = buf; (nl = memchr(line, '\n', buf + have -
		    line)) != NULL; line = nl + 1)
			client_copy(&o, line, nl + 1 - line, 1);
		have -= line - buf;
		memmove(buf, line, have);
		if (have == sizeof(buf)) {	/* a long line: pass it on */
			client_copy(&o, buf, have, 0);
			have = 0;
		}
	}
	if (have > 0)
		client_copy(&o, buf, have, 0);
	close(fd);
	return o.first ? 1 : o.rc;
}

/*
 * -s: send the signal named cmd to the master.  Returns the exit status
 * (EXIT_USAGE for an unknown name).
 */
int
client_signal(const struct conf *conf, const char *cmd)
{
	size_t	i;
	pid_t	pid;
	int	signo = 0;

	for (i = 0; i < sizeof(client_signals) / sizeof(client_signals[0]);
	    i++)
		if (strcmp(client_signals[i].name, cmd) == 0)
			signo = client_signals[i].signo;
	if (signo == 0) {
		fprintf(stderr, "preforkd: -s %s: unknown signal (stop, quit, "
		    "reload, reopen, ttin or ttou)\n", cmd);
		return EXIT_USAGE;
	}
	if ((pid = client_master(conf)) == 0)
		return 1;
	if (kill(pid, signo) == -1) {
		fprintf(stderr, "preforkd: kill %ld: %s\n", (long)pid,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * -s reload: ask the master through the control socket and wait for its
 * verdict (the new generation accepting, or every error); without a
 * control socket, SIGHUP without a verdict.
 */
int
client_reload(const struct conf *conf)
{
	if (*conf->control_socket != '\0')
		return client_request(conf, "reload");
	fprintf(stderr, "preforkd: no control socket: sending SIGHUP "
	    "without waiting for the result\n");
	return client_signal(conf, "reload");
}

/* preforkd status: the master's report, in format. */
int
client_status(const struct conf *conf, const char *format)
{
	char	cmd[64];

	if (*conf->control_socket == '\0') {
		fprintf(stderr, "preforkd: status needs the control socket "
		    "(control_socket is disabled)\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "status %s", format);
	return client_request(conf, cmd);
}
