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
 * ucspi.c: the environment of a program run for one connection.
 *
 * `service = exec` runs a program per connection with the connection on
 * its fds 0 and 1, the UCSPI model of tcpserver(1) (ucspi-tcp) and
 * unixserver (ucspi-unix).  ucspi_env() builds its whole environment, a
 * clean one: the variables that describe the connection, then the
 * configured worker_env entries, and nothing else.
 *
 *  - TCP (IPv4 and IPv6): PROTO=TCP, TCPLOCALIP and TCPLOCALPORT (from
 *    getsockname(fd)), TCPREMOTEIP and TCPREMOTEPORT (from peer, or
 *    getpeername(fd) if peer is NULL).  IPv6 addresses without
 *    brackets, without scope; an IPv4-mapped IPv6 address (a dual-stack
 *    socket) as plain IPv4.  No TCPLOCALHOST, TCPREMOTEHOST or
 *    TCPREMOTEINFO: they need DNS and ident lookups we do not make.
 *  - Unix: PROTO=UNIX; UNIXLOCALPATH if the local address has a name:
 *    its path as it is, or for an abstract socket '@' and the name
 *    escaped (escape_bytes(): printable ASCII as it is, every other byte
 *    as \xHH, since a NUL cannot be in the environment); then
 *    UNIXREMOTEPID, UNIXREMOTEEUID and UNIXREMOTEEGID from SO_PEERCRED,
 *    all three left out if the call fails or names no process.
 *  - Then every entry of keep ("NAME=VALUE", NULL-terminated, may be
 *    NULL) in its order, except one that names a connection variable:
 *    PROTO or a name that starts with TCPLOCAL, TCPREMOTE, TCP6LOCAL,
 *    TCP6REMOTE, UNIXLOCAL or UNIXREMOTE (every UCSPI flavour's).  Those
 *    describe the connection, so only this function sets them: a
 *    configured TCPREMOTEIP does not override the real one, nor appear
 *    on a unix connection that has none.  An entry without '=' is
 *    dropped too.
 *
 * The strings are written into buf (buflen bytes), env (envmax
 * pointers) points to them and ends with NULL.  UCSPI_ENV_MAX is the
 * most connection variables there are and UCSPI_ENV_BUFLEN bytes always
 * hold them: env of UCSPI_ENV_MAX + (entries of keep) + 1 pointers and a
 * buf of UCSPI_ENV_BUFLEN + (bytes of keep, NULs included) always do.
 * Returns the number of entries, or -1 with env empty and err saying
 * why: buf or env too small, fd not a socket, or an address that is
 * neither IP nor unix.
 *
 * A leaf: no logging.  Runs in a worker, before the exec.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "preforkd.h"

/* The environment being built. */
struct ucspi_out {
	char		*buf;
	size_t		 buflen, used;
	char		**env;
	size_t		 envmax, n;
	int		 full;		/* an entry did not fit */
};

static int	ucspi_add(struct ucspi_out *o, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static const struct sockaddr *ucspi_unmap(const struct sockaddr *sa,
		    socklen_t *len, struct sockaddr_in *sin);
static int	ucspi_ip(struct ucspi_out *o, const char *which,
		    const struct sockaddr *sa, socklen_t len, char *err,
		    size_t errlen);
static int	ucspi_tcp(struct ucspi_out *o, int fd,
		    const struct sockaddr *local, socklen_t llen,
		    const struct sockaddr *peer, socklen_t peerlen, char *err,
		    size_t errlen);
static int	ucspi_unix_path(const struct sockaddr *sa, socklen_t len,
		    char *out, size_t outlen);
static int	ucspi_unix(struct ucspi_out *o, int fd,
		    const struct sockaddr *local, socklen_t llen);
static int	ucspi_reserved(const char *entry);

/* Append one "NAME=VALUE" to o; -1 (and o->full) if it does not fit. */
static int
ucspi_add(struct ucspi_out *o, const char *fmt, ...)
{
	va_list	ap;
	size_t	room = o->buflen - o->used;
	int	n;

	if (o->n + 1 >= o->envmax || room == 0) {
		o->full = 1;
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		o->full = 1;
		return -1;
	}
	o->env[o->n++] = o->buf + o->used;
	o->env[o->n] = NULL;
	o->used += (size_t)n + 1;
	return 0;
}

/* An IPv4-mapped IPv6 address as the IPv4 address (in sin) it is. */
static const struct sockaddr *
ucspi_unmap(const struct sockaddr *sa, socklen_t *len,
    struct sockaddr_in *sin)
{
	const struct sockaddr_in6	*sin6 = (const void *)sa;

	if (sa->sa_family != AF_INET6 || *len < sizeof(*sin6) ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return sa;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = sin6->sin6_port;
	memcpy(&sin->sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	*len = sizeof(*sin);
	return (const struct sockaddr *)sin;
}

/* TCP<which>IP and TCP<which>PORT of an IP address. */
static int
ucspi_ip(struct ucspi_out *o, const char *which, const struct sockaddr *sa,
    socklen_t len, char *err, size_t errlen)
{
	struct sockaddr_in	sin;
	char			host[INET6_ADDRSTRLEN];
	unsigned int		port;

	sa = ucspi_unmap(sa, &len, &sin);
	if (laddr_ip(sa, len, host, sizeof(host), &port) == -1) {
		snprintf(err, errlen, "the %s address is not an IP address "
		    "(family %d, %u bytes)", which[0] == 'L' ? "local" :
		    "remote", sa->sa_family, (unsigned int)len);
		return -1;
	}
	if (ucspi_add(o, "TCP%sIP=%s", which, host) == -1 ||
	    ucspi_add(o, "TCP%sPORT=%u", which, port) == -1)
		return -1;
	return 0;
}

static int
ucspi_tcp(struct ucspi_out *o, int fd, const struct sockaddr *local,
    socklen_t llen, const struct sockaddr *peer, socklen_t peerlen,
    char *err, size_t errlen)
{
	struct sockaddr_storage	ss;

	if (peer == NULL) {
		peerlen = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &peerlen) == -1) {
			snprintf(err, errlen, "getpeername: %s",
			    strerror(errno));
			return -1;
		}
		peer = (struct sockaddr *)&ss;
	}
	if (ucspi_add(o, "PROTO=TCP") == -1 ||
	    ucspi_ip(o, "LOCAL", local, llen, err, errlen) == -1 ||
	    ucspi_ip(o, "REMOTE", peer, peerlen, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * The name of a unix socket address: its path, or '@' and its abstract
 * name escaped; 0 if it has none.
 */
static int
ucspi_unix_path(const struct sockaddr *sa, socklen_t len, char *out,
    size_t outlen)
{
	const struct sockaddr_un	*sun = (const void *)sa;
	const size_t			 off = offsetof(struct sockaddr_un,
					    sun_path);
	size_t				 n;

	if (len <= off)
		return 0;
	n = len - off;
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (sun->sun_path[0] != '\0') {
		snprintf(out, outlen, "%.*s",
		    (int)strnlen(sun->sun_path, n), sun->sun_path);
		return 1;
	}
	out[0] = '@';
	escape_bytes(out + 1, outlen - 1, sun->sun_path + 1, n - 1);
	return 1;
}

static int
ucspi_unix(struct ucspi_out *o, int fd, const struct sockaddr *local,
    socklen_t llen)
{
	struct ucred	cred;
	socklen_t	clen = sizeof(cred);
	char		path[4 * sizeof(struct sockaddr_un)];

	if (ucspi_add(o, "PROTO=UNIX") == -1)
		return -1;
	if (ucspi_unix_path(local, llen, path, sizeof(path)) &&
	    ucspi_add(o, "UNIXLOCALPATH=%s", path) == -1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    clen != sizeof(cred) || cred.pid <= 0)
		return 0;
	if (ucspi_add(o, "UNIXREMOTEPID=%ld", (long)cred.pid) == -1 ||
	    ucspi_add(o, "UNIXREMOTEEUID=%lu", (unsigned long)cred.uid) ==
	    -1 ||
	    ucspi_add(o, "UNIXREMOTEEGID=%lu", (unsigned long)cred.gid) == -1)
		return -1;
	return 0;
}

/* Whether a keep entry is malformed or names a connection variable. */
static int
ucspi_reserved(const char *entry)
{
	static const char *const prefixes[] = {
		"TCPLOCAL", "TCPREMOTE", "TCP6LOCAL", "TCP6REMOTE",
		"UNIXLOCAL", "UNIXREMOTE",
	};
	const char	*eq;
	size_t		 i, len;

	if ((eq = strchr(entry, '=')) == NULL || eq == entry)
		return 1;
	len = eq - entry;
	if (len == 5 && strncmp(entry, "PROTO", 5) == 0)
		return 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (len >= strlen(prefixes[i]) &&
		    strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/*
 * Build the environment of a program serving the connection fd: see the
 * top of this file.  Returns the number of entries in env, or -1.
 */
int
ucspi_env(int fd, const struct sockaddr *peer, socklen_t peerlen,
    char *const *keep, char *buf, size_t buflen, char **env, size_t envmax,
    char *err, size_t errlen)
{
	struct ucspi_out	o = { .buf = buf, .buflen = buflen, .env = env,
				    .envmax = envmax };
	struct sockaddr_storage	local;
	socklen_t		llen = sizeof(local);
	size_t			i;
	int			rc;

	if (envmax > 0)
		env[0] = NULL;
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return -1;
	}
	if (local.ss_family == AF_INET || local.ss_family == AF_INET6)
		rc = ucspi_tcp(&o, fd, (struct sockaddr *)&local, llen, peer,
		    peerlen, err, errlen);
	else if (local.ss_family == AF_UNIX)
		rc = ucspi_unix(&o, fd, (struct sockaddr *)&local, llen);
	else {
		snprintf(err, errlen, "a socket of family %d is neither TCP "
		    "nor unix", local.ss_family);
		return -1;
	}
	for (i = 0; rc == 0 && keep != NULL && keep[i] != NULL; i++)
		if (!ucspi_reserved(keep[i]))
			rc = ucspi_add(&o, "%s", keep[i]);
	if (rc == 0)
		return (int)o.n;
	if (o.full)
		snprintf(err, errlen, "the environment does not fit in %zu "
		    "bytes and %zu entries", buflen, envmax);
	if (envmax > 0)
		env[0] = NULL;
	return -1;
}
