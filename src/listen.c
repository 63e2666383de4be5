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
 * listen.c: listen addresses and listening sockets.
 *
 * Parses the `listen` values of the configuration into socket addresses,
 * opens, binds and listens (in the master, as root: hence _priv), and
 * closes them again.  A leaf module: it never logs, errors are returned
 * in the caller's buffer.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

static int	listen_parse_port(const char *s, in_port_t *port);
static int	listen_parse_unix(const char *spec, struct laddr *out,
		    char *err, size_t errlen);
static int	listen_unix_dir(const struct laddr *a, int *dirfd, char *name,
		    size_t len, char *err, size_t errlen);
static socklen_t listen_unix_addr(struct sockaddr_un *sun, const char *name);
static int	listen_unix_stale(int dirfd, const char *name,
		    const char *text, char *err, size_t errlen);
static int	listen_unix_bind(int fd, struct listener *l,
		    const struct laddr *a, mode_t unix_mode, char *err,
		    size_t errlen);

static int
listen_parse_port(const char *s, in_port_t *port)
{
	unsigned int	v;
	char		err[64];

	if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
		return -1;
	if (parse_uint(s, 0, 65535, &v, err, sizeof(err)) == -1)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/*
 * The host of an IPv4 or IPv6 socket address as text, without brackets
 * ("127.0.0.1", "::1"), and its port; -1 for another family or an
 * address shorter than its family's.
 */
int
laddr_ip(const struct sockaddr *sa, socklen_t len, char *host,
    size_t hostlen, unsigned int *port)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;

	if (sa->sa_family == AF_INET && len >= sizeof(*sin)) {
		if (inet_ntop(AF_INET, &sin->sin_addr, host, hostlen) == NULL)
			return -1;
		*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6)) {
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, hostlen) ==
		    NULL)
			return -1;
		*port = ntohs(sin6->sin6_port);
	} else
		return -1;
	return 0;
}

/* Canonical text of a socket address: "1.2.3.4:80", "[::1]:80", "unix:/p". */
void
laddr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	const struct sockaddr_un	*sun = (const void *)sa;
	const size_t			 off = offsetof(struct sockaddr_un,
					    sun_path);
	char				 host[INET6_ADDRSTRLEN];
	unsigned int			 port;

	if (laddr_ip(sa, len, host, sizeof(host), &port) == 0)
		snprintf(buf, buflen, sa->sa_family == AF_INET ? "%s:%u" :
		    "[%s]:%u", host, port);
	else if (sa->sa_family == AF_UNIX && len > off &&
	    sun->sun_path[0] != '\0')
		snprintf(buf, buflen, "unix:%.*s", (int)(len - off),
		    sun->sun_path);
	else if (sa->sa_family == AF_UNIX)
		snprintf(buf, buflen, "unix");
	else
		snprintf(buf, buflen, "family %d", sa->sa_family);
}

/* "unix:/absolute/path" into *out. */
static int
listen_parse_unix(const char *spec, struct laddr *out, char *err,
    size_t errlen)
{
	struct sockaddr_un	*sun = (void *)&out->ss;
	const char		*path = spec + 5;

	if (path[0] != '/') {
		snprintf(err, errlen, "'%s': the unix socket path must be "
		    "absolute", spec);
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "'%s': the unix socket path is longer "
		    "than %zu bytes", spec, sizeof(sun->sun_path) - 1);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	out->family = AF_UNIX;
	out->len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	snprintf(out->text, sizeof(out->text), "unix:%s", path);
	return 0;
}

/*
 * Parse one `listen` value: "HOST:PORT" with a numeric IPv4 host,
 * "[IPv6]:PORT", "*:PORT" (all IPv4 and all IPv6 addresses: two entries)
 * or "unix:/absolute/path".  Fills out[0] (and out[1]), sets *n.
 */
int
listen_parse(const char *spec, struct laddr out[2], size_t *n, char *err,
    size_t errlen)
{
	const char	*colon;
	char		 host[INET6_ADDRSTRLEN + 2];
	in_port_t	 port;
	size_t		 hlen;

	memset(out, 0, 2 * sizeof(*out));
	*n = 0;
	if (strncmp(spec, "unix:", 5) == 0) {
		if (listen_parse_unix(spec, &out[0], err, errlen) == -1)
			return -1;
		*n = 1;
		return 0;
	}

	colon = strrchr(spec, ':');
	if (colon == NULL || listen_parse_port(colon + 1, &port) == -1)
		goto bad;
	hlen = colon - spec;
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';

	if (strcmp(host, "*") == 0) {
		struct sockaddr_in *sin = (void *)&out[0].ss;
		struct sockaddr_in6 *sin6 = (void *)&out[1].ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = port;
		out[0].family = AF_INET;
		out[0].len = sizeof(*sin);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = port;
		out[1].family = AF_INET6;
		out[1].len = sizeof(*sin6);
		*n = 2;
	} else if (host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *sin6 = (void *)&out[0].ss;

		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		out[0].family = AF_INET6;
		out[0].len = sizeof(*sin6);
		*n = 1;
	} else {
		struct sockaddr_in *sin = (void *)&out[0].ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		out[0].family = AF_INET;
		out[0].len = sizeof(*sin);
		*n = 1;
	}
	laddr_format((struct sockaddr *)&out[0].ss, out[0].len, out[0].text,
	    sizeof(out[0].text));
	if (*n == 2)
		laddr_format((struct sockaddr *)&out[1].ss, out[1].len,
		    out[1].text, sizeof(out[1].text));
	return 0;
 bad:
	snprintf(err, errlen, "invalid address '%s' (expected IPv4:PORT, "
	    "[IPv6]:PORT, *:PORT or unix:/path, with PORT 0-65535)", spec);
	return -1;
}

/*
 * A unix socket path: the directory (opened through fsafe: no symlink of
 * another user followed) in *dirfd, the last component in name.
 */
static int
listen_unix_dir(const struct laddr *a, int *dirfd, char *name, size_t len,
    char *err, size_t errlen)
{
	char		 dir[PATH_MAX];
	const char	*base;

	if (fsafe_split(a->text + 5, dir, sizeof(dir), &base, err, errlen) == -1)
		return -1;
	if (strlcpy(name, base, len) >= len) {
		snprintf(err, errlen, "%s: name too long", a->text);
		return -1;
	}
	if ((*dirfd = fsafe_opendir(dir, 0, err, errlen)) == -1)
		return -1;
	return 0;
}

/* A sockaddr_un for name, relative to the current directory. */
static socklen_t
listen_unix_addr(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strlcpy(sun->sun_path, name, sizeof(sun->sun_path));
	return offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1;
}

/*
 * In the directory dirfd (the current one): if name exists, replace it if
 * it is a socket nobody listens on any more (a stale one); refuse
 * anything else, symlinks included.
 */
static int
listen_unix_stale(int dirfd, const char *name, const char *text, char *err,
    size_t errlen)
{
	struct sockaddr_un	sun;
	struct stat		st;
	socklen_t		len;
	int			fd, rc, saved;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : (snprintf(err, errlen,
		    "stat %s: %s", text + 5, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", text + 5);
		return -1;
	}
	len = listen_unix_addr(&sun, name);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, len);
	saved = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s is in use by a running server",
		    text + 5);
		return -1;
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "connect %s: %s", text + 5,
		    strerror(saved));
		return -1;
	}
	if (fsafe_unlink(dirfd, name, st.st_dev, st.st_ino) == -1 &&
	    errno != ENOENT) {
		snprintf(err, errlen, "unlink stale socket %s: %s", text + 5,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Bind fd to the unix address a with unix_mode, atomically (the umask),
 * in its directory reached through fsafe and entered with fchdir(2) for
 * the time of the bind: a symlink planted in the path, or a parent
 * swapped meanwhile, cannot send it elsewhere.  Records the socket
 * file's identity in l.
 */
static int
listen_unix_bind(int fd, struct listener *l, const struct laddr *a,
    mode_t unix_mode, char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	struct stat		st;
	char			name[sizeof(sun.sun_path)];
	mode_t			old_umask;
	socklen_t		len;
	int			dirfd, cwd, rc = -1;

	if (listen_unix_dir(a, &dirfd, name, sizeof(name), err, errlen) == -1)
		return -1;
	if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fchdir(dirfd) == -1) {
		snprintf(err, errlen, "%s: %s", a->text, strerror(errno));
		goto out;
	}
	if (listen_unix_stale(dirfd, name, a->text, err, errlen) == 0) {
		len = listen_unix_addr(&sun, name);
		old_umask = umask(~unix_mode & 0777);
		rc = bind(fd, (struct sockaddr *)&sun, len);
		umask(old_umask);
		if (rc == -1)
			snprintf(err, errlen, "bind %s: %s", a->text,
			    strerror(errno));
		else if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			l->unix_dev = st.st_dev;
			l->unix_ino = st.st_ino;
			l->unix_mode = unix_mode;
		}
	}
	if (fchdir(cwd) == -1)
		rc = -1;
 out:
	if (cwd != -1)
		close(cwd);
	close(dirfd);
	return rc;
}

/*
 * Give the unix socket of l a new mode (a reload changed unix_mode): on
 * the socket file this listener made, found without following a
 * symlink and checked by identity; something else at its path (it was
 * replaced) is left alone, with an error.
 */
int
listen_set_mode_priv(struct listener *l, mode_t mode, char *err,
    size_t errlen)
{
	struct stat	st;
	char		name[PATH_MAX], proc[64];
	int		dirfd, fd, rc = -1;

	if (l->addr.family != AF_UNIX || l->unix_ino == 0 ||
	    l->unix_mode == mode)
		return 0;
	if (listen_unix_dir(&l->addr, &dirfd, name, sizeof(name), err,
	    errlen) == -1)
		return -1;
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != l->unix_dev || st.st_ino != l->unix_ino)
		snprintf(err, errlen, "%s: the socket file was replaced or "
		    "removed: its mode is not changed", l->addr.text);
	else {
		/* chmod(2) through the descriptor: the inode checked above */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if ((rc = chmod(proc, mode)) == -1)
			snprintf(err, errlen, "chmod %s: %s", l->addr.text,
			    strerror(errno));
		else
			l->unix_mode = mode;
	}
	if (fd != -1)
		close(fd);
	close(dirfd);
	return rc;
}

/*
 * Open, bind and listen on a; fill l.  TCP sockets get SO_REUSEADDR and
 * TCP_NODELAY, IPv6 ones IPV6_V6ONLY; unix sockets replace a stale socket file and get
 * unix_mode, atomically (through the umask).  The fd is close-on-exec and
 * blocking.
 */
int
listen_open_priv(struct listener *l, const struct laddr *a, int backlog,
    mode_t unix_mode, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);
	int			fd, on = 1, rc;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->addr = *a;
	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket %s: %s", a->text,
		    strerror(errno));
		return -1;
	}
	if (a->family != AF_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (a->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	/* Accepted sockets inherit it: no per-connection system call. */
	if (a->family != AF_UNIX &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		goto fail;
	if (a->family == AF_UNIX)
		rc = listen_unix_bind(fd, l, a, unix_mode, err, errlen);
	else if ((rc = bind(fd, (const struct sockaddr *)&a->ss, a->len)) ==
	    -1)
		snprintf(err, errlen, "bind %s: %s", a->text, strerror(errno));
	if (rc == -1) {
		close(fd);
		return -1;
	}
	if (listen(fd, backlog) == -1)
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    a->family != AF_UNIX)
		laddr_format((struct sockaddr *)&ss, sslen, l->bound,
		    sizeof(l->bound));
	else
		strlcpy(l->bound, a->text, sizeof(l->bound));
	l->fd = fd;
	return 0;
 fail:
	snprintf(err, errlen, "%s: %s", a->text, strerror(errno));
	close(fd);
	listen_close(l, 1);
	return -1;
}

/*
 * Whether a TCP address can be bound on this host (an address of one of
 * its interfaces, or a wildcard): a trial bind to port 0, so that a
 * configuration check finds an address that is not here.  Unix
 * addresses always pass.
 */
int
listen_check_local(const struct laddr *a, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss = a->ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	int			 fd, on = 1, rc;

	if (a->family == AF_INET) {
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			return 0;
		sin->sin_port = 0;
	} else if (a->family == AF_INET6) {
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return 0;
		sin6->sin6_port = 0;
	} else
		return 0;
	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "%s: %s", a->text, strerror(errno));
		return -1;
	}
	if (a->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	rc = bind(fd, (struct sockaddr *)&ss, a->len);
	if (rc == -1 && errno == EADDRNOTAVAIL)
		snprintf(err, errlen, "%s: not an address of this host",
		    a->text);
	else if (rc == -1)
		snprintf(err, errlen, "%s: %s", a->text, strerror(errno));
	close(fd);
	return rc;
}

/*
 * Close a listener; with unlink_path, remove its unix socket file if the
 * path still names the socket we created (reached without following a
 * symlink: anything else there is left alone).
 */
void
listen_close(struct listener *l, int unlink_path)
{
	char	name[PATH_MAX], err[256];
	int	dirfd;

	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	if (unlink_path && l->addr.family == AF_UNIX && l->unix_ino != 0 &&
	    listen_unix_dir(&l->addr, &dirfd, name, sizeof(name), err,
	    sizeof(err)) == 0) {
		(void)fsafe_unlink(dirfd, name, l->unix_dev, l->unix_ino);
		close(dirfd);
	}
	l->unix_ino = 0;
}
