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
 * channel.c: what workers tell the master, and who told it.
 *
 * One unix datagram socketpair.  Every worker inherits the sending end:
 * as its stdout and stderr, so that whatever it (or a library, or a
 * program it becomes) writes reaches the master, and as the descriptor
 * it sends its events on.  The master reads the other end with
 * SO_PASSCRED: for every datagram the kernel says which process sent it,
 * a pid no worker can forge (SCM_CREDENTIALS of an unprivileged sender
 * may only name itself).  The master attributes each datagram to the
 * slot of that pid in its own table, so that a worker can speak only
 * for itself: an event claims nothing, it happens to its sender.
 *
 * Events are fixed-size datagrams with a magic that text written to
 * stderr does not start with; anything else is output.
 *
 * A leaf: no logging.  The receiving side runs in the master, the
 * sending side in workers.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define CHAN_MAGIC	"\0PFD"	/* not text: stderr lines never start so */
#define CHAN_SNDTIMEO_S	5	/* a worker waits this long for room */

struct chan_event {
	char		magic[4];
	uint32_t	event;
};

/*
 * Make the socketpair: fd[0] the master's (non-blocking, credentials
 * passed), fd[1] the workers' (blocking, but for CHAN_SNDTIMEO_S at most:
 * a master that does not read cannot hang a worker for ever).
 */
int
chan_open(int fd[2])
{
	struct timeval	tv = { CHAN_SNDTIMEO_S, 0 };
	int		on = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fd) == -1)
		return -1;
	if (setsockopt(fd[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1 ||
	    fcntl(fd[0], F_SETFL, O_NONBLOCK) == -1 ||
	    setsockopt(fd[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		chan_close(fd);
		return -1;
	}
	return 0;
}

void
chan_close(int fd[2])
{
	if (fd[0] != -1)
		close(fd[0]);
	if (fd[1] != -1)
		close(fd[1]);
	fd[0] = fd[1] = -1;
}

/*
 * Master: one datagram into buf (truncated to len), its sender in *pid
 * (0 if the kernel gave none).  Returns its length, or -1 (EAGAIN when
 * there is nothing more).
 */
ssize_t
chan_recv(int fd, void *buf, size_t len, pid_t *pid)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	}		 cbuf;
	struct msghdr	 msg;
	struct iovec	 iov = { buf, len };
	struct cmsghdr	*c;
	struct ucred	 cred;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	*pid = 0;
	do {
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*pid = cred.pid;
		}
	return (size_t)n > len ? (ssize_t)len : n;
}

/* Master: whether a datagram is an event, and which (EV_*). */
int
chan_event(const void *buf, size_t len, uint32_t *event)
{
	struct chan_event	ev;

	if (len != sizeof(ev))
		return 0;
	memcpy(&ev, buf, sizeof(ev));
	if (memcmp(ev.magic, CHAN_MAGIC, sizeof(ev.magic)) != 0)
		return 0;
	*event = ev.event;
	return 1;
}

/*
 * Worker: tell the master event (EV_*).  Best effort: if the master does
 * not take it within CHAN_SNDTIMEO_S, it is lost, and the master learns
 * the same later (at the worker's exit).
 */
void
chan_send(int fd, uint32_t event)
{
	struct chan_event	ev;

	memcpy(ev.magic, CHAN_MAGIC, sizeof(ev.magic));
	ev.event = event;
	(void)send(fd, &ev, sizeof(ev), MSG_NOSIGNAL);
}
