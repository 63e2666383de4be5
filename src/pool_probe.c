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
 * pool_probe.c: the service's own check, in a process dropped exactly
 * like a worker, before a configuration is accepted (-t, start, reload).
 *
 * Code that is not preforkd's never runs as root: a module is loaded,
 * and its check() of service_args called, only in the probe, after the
 * chroot, the identity change, the capability drop and no_new_privs; a
 * program (exec, program) is looked at there with the worker's rights
 * (it must exist and be executable by the worker user).  Before the
 * probe, the master checks that nobody but root (or the master's user)
 * can have written the module or the program, or a directory on their
 * way (fsafe_code()).
 *
 * The probe is bounded: it is killed at check_timeout.  Whatever it
 * writes is a stranger's text (a module's check() runs there): read up
 * to PROBE_OUT_MAX bytes, escaped.  A module that is missing, built for
 * another ABI, refuses its arguments, crashes or hangs is a
 * configuration error naming the module and the line; the master, which
 * only waited, goes on.
 *
 * The probe is a child of the master and a fork() of the pool module,
 * the only one that forks processes that run service code.
 */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

extern char	**environ;

#define PROBE_OUT_MAX	2048	/* bytes of the probe's output read */
#define PROBE_REFUSED	1	/* exit: the check said no (last line why) */
#define PROBE_POLL_MS	50

static __dead void	probe_child(const struct conf *conf, int fd);
static void		probe_module(const struct conf *conf);
static void		probe_program(const struct conf *conf);
static int		probe_wait(pid_t pid, int fd, int timeout_ms,
			    char *out, size_t outlen, int *status);

/*
 * Load the module and run its check() of service_args: prints why and
 * exits PROBE_REFUSED on any failure, returns if it is content.
 */
static void
probe_module(const struct conf *conf)
{
	const struct handler	*h;
	char			 err[512];

	if ((h = handler_load(conf->module, err, sizeof(err))) == NULL) {
		printf("%s\n", err);
		exit(PROBE_REFUSED);
	}
	if (conf->worker_connections > 1 && !handler_multiplexes(h,
	    (const char *const *)conf->service_args)) {
		printf("worker_connections: must be 1 with module %s: it does "
		    "not declare that it may serve several connections at "
		    "once (multiplex(), handler ABI 3)\n", h->name);
		exit(PROBE_REFUSED);
	}
	if (conf->service_args[0] == NULL)
		return;
	if (h->check == NULL) {
		printf("service_args: module %s takes no arguments\n", h->name);
		exit(PROBE_REFUSED);
	}
	err[0] = '\0';
	fflush(stdout);
	if (h->check((const char *const *)conf->service_args, err,
	    sizeof(err)) != 0) {
		err[sizeof(err) - 1] = '\0';
		printf("service_args: %s\n", *err != '\0' ? err :
		    "refused (no reason given)");
		exit(PROBE_REFUSED);
	}
}

/* The program: a file the worker user may execute. */
static void
probe_program(const struct conf *conf)
{
	struct stat	st;

	if (stat(conf->argv[0], &st) == -1 || !S_ISREG(st.st_mode) ||
	    access(conf->argv[0], X_OK) == -1) {
		printf("%s: %s for the worker user\n", conf->argv[0],
		    errno != 0 ? strerror(errno) : "not a regular file");
		exit(PROBE_REFUSED);
	}
}

/*
 * The probe: stdin /dev/null, stdout and stderr to fd, no other
 * descriptor, the workers' environment, dropped like a worker.
 */
static __dead void
probe_child(const struct conf *conf, int fd)
{
	static char	*none[1] = { NULL };
	size_t		 i;
	int		 nfd;

	sig_worker_init();
	if ((nfd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(nfd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		_exit(EXIT_TEMPFAIL);
	closefrom(STDERR_FILENO + 1);
	log_worker_init(STDERR_FILENO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (clearenv() != 0)
		_exit(EXIT_TEMPFAIL);
	environ = none;
	for (i = 0; conf->worker_env != NULL && conf->worker_env[i]; i++)
		(void)putenv(conf->worker_env[i]);
	privsep_drop(conf);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(EXIT_TEMPFAIL);
	errno = 0;
	if (conf->service_kind == SERVICE_MODULE)
		probe_module(conf);
	else
		probe_program(conf);
	fflush(stdout);
	_exit(0);
}

/*
 * Read what the probe says until it exits (or timeout_ms pass: it is
 * killed), then reap it.  Returns 0 with its wait status in *status, or
 * -1 on a timeout.  out gets the output, NUL-terminated.
 */
static int
probe_wait(pid_t pid, int fd, int timeout_ms, char *out, size_t outlen,
    int *status)
{
	struct pollfd	pfd;
	int64_t		deadline = now_ms() + timeout_ms;
	size_t		len = 0;
	ssize_t		n;
	int		open = 1;
	pid_t		rc;

	for (;;) {
		if ((rc = waitpid(pid, status, WNOHANG)) == pid)
			break;
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, status, 0);
			out[len] = '\0';
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (!open || poll(&pfd, 1, PROBE_POLL_MS) <= 0) {
			if (!open)
				(void)poll(NULL, 0, PROBE_POLL_MS);
			continue;
		}
		n = read(fd, out + len, outlen - 1 - len);
		if (n > 0)
			len += n;
		else if (n == 0 || errno != EINTR)
			open = 0;
		if (len == outlen - 1)
			open = 0;	/* enough: the rest is not read */
	}
	/* what it wrote before it exited (a grandchild may hold the pipe) */
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	while (open && len < outlen - 1 &&
	    (n = read(fd, out + len, outlen - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	return 0;
}

/*
 * The last line of the probe's output, without its "<N>" log priority,
 * control characters and non-ASCII bytes escaped, in msg.
 */
static void
probe_message(const char *out, char *msg, size_t len)
{
	const char	*start, *end = out + strlen(out);
	size_t		 k = 0;

	while (end > out && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (start = end; start > out && start[-1] != '\n'; start--)
		;
	if (*start == '<' && start + 2 < end && start[2] == '>')
		start += 3;
	for (; start < end && k + 5 < len; start++) {
		if (*start >= 0x20 && *start < 0x7f && *start != '\\')
			msg[k++] = *start;
		else
			k += snprintf(msg + k, len - k, "\\x%02x",
			    (unsigned char)*start);
	}
	msg[k] = '\0';
}

/*
 * Check conf's service where it will run: returns 0, or -1 with an
 * error (FILE:LINE: option: ...) in errs.  Built-in services were
 * checked when the file was read: nothing to do for them.
 */
int
pool_probe(const struct conf *conf, struct errlist *errs)
{
	const char	*opt = conf->service_kind == SERVICE_MODULE ? "module" :
			    conf->service;
	const char	*what = conf->service_kind == SERVICE_MODULE ?
			    conf->module : conf->argv != NULL ? conf->argv[0] :
			    "";
	char		 path[PATH_MAX * 2], err[PATH_MAX * 2 + 128];
	char		 out[PROBE_OUT_MAX], msg[PROBE_OUT_MAX];
	int		 p[2], status, rc;
	pid_t		 pid;

	if (conf->service_kind == SERVICE_BUILTIN)
		return 0;
	snprintf(path, sizeof(path), "%s%s", *conf->chroot != '\0' ?
	    conf->chroot : "", what);
	if (fsafe_code(path, err, sizeof(err)) == -1) {
		errlist_add_at(errs, conf->file, conf->service_line, opt, 0,
		    "%s", err);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		errlist_add_at(errs, conf->file, conf->service_line, opt, 0,
		    "cannot check %s: %s", what, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		probe_child(conf, p[1]);
	}
	close(p[1]);
	rc = probe_wait(pid, p[0], conf->check_timeout_ms, out, sizeof(out),
	    &status);
	close(p[0]);
	probe_message(out, msg, sizeof(msg));
	if (rc == -1)
		snprintf(err, sizeof(err), "%s did not finish its check within "
		    "%d ms (check_timeout): killed", what,
		    conf->check_timeout_ms);
	else if (WIFSIGNALED(status))
		snprintf(err, sizeof(err), "%s crashed while being checked "
		    "(signal %d%s%s)", what, WTERMSIG(status), *msg ? ": " : "",
		    msg);
	else if (WEXITSTATUS(status) == 0)
		return 0;
	else if (strncmp(msg, "service_args: ", 14) == 0) {
		errlist_add_at(errs, conf->file, conf->args_line,
		    "service_args", 0, "%s (module %s)", msg + 14, what);
		return -1;
	} else if (strncmp(msg, "worker_connections: ", 20) == 0) {
		errlist_add_at(errs, conf->file, conf->mux_line,
		    "worker_connections", 0, "%s", msg + 20);
		return -1;
	} else
		snprintf(err, sizeof(err), "%s: %s", what, *msg ? msg :
		    "the check failed");
	errlist_add_at(errs, conf->file, conf->service_line, opt, 0, "%s",
	    err);
	return -1;
}
