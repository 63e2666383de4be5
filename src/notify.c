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
 * notify.c: the systemd notification protocol (sd_notify(3)), for units
 * of Type=notify: READY=1 once the pool is up, RELOADING=1 and
 * MONOTONIC_USEC on a reload, STOPPING=1, STATUS= lines.
 *
 * Uses libsystemd when configure found it, else sends the datagram
 * itself (the protocol is one AF_UNIX datagram to $NOTIFY_SOCKET, a path
 * or an abstract name starting with '@').  Without $NOTIFY_SOCKET every
 * call is a no-op.  Master only: workers unset the variable.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "preforkd.h"

/* Is the service manager listening? */
int
notify_enabled(void)
{
	const char	*e = getenv("NOTIFY_SOCKET");

	return e != NULL && *e != '\0';
}

#ifndef HAVE_LIBSYSTEMD
static int
notify_send(const char *msg)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;
	socklen_t		 sunlen;
	int			 fd, rc;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sun.sun_path) || len < 2)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	sunlen = offsetof(struct sockaddr_un, sun_path) + len;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, sunlen) == -1 ? -1 : 0;
	close(fd);
	return rc;
}
#endif

/* Send one notification (several NAME=value lines are allowed). */
void
notify(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;
	int	rc;

	if (!notify_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
#ifdef HAVE_LIBSYSTEMD
	rc = sd_notify(0, msg) > 0 ? 0 : -1;
#else
	rc = notify_send(msg);
#endif
	if (rc == -1)
		log_debug("notify %s: failed", msg);
}
