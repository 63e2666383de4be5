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
 * sockq.c: the accept queue of a listening socket, as the kernel sees it.
 *
 * Reports how many connections wait in a listener's accept queue and its
 * backlog, for the status report (what php-fpm calls the "listen queue").
 * TCP (IPv4, IPv6): TCP_INFO, which for a socket in LISTEN state carries
 * the queue length in tcpi_unacked and the backlog in tcpi_sacked.  Unix
 * stream sockets have no TCP_INFO and SIOCINQ refuses listeners, so they
 * are asked for through NETLINK_SOCK_DIAG (UNIX_DIAG_RQLEN): one query for
 * the socket's inode, or, if the kernel refuses that, a dump of the
 * listening unix sockets filtered by inode.
 *
 * Owns nothing that outlives a call: the netlink socket is opened and
 * closed each time.  Runs in the master (any user: sock_diag needs no
 * privilege for unix sockets).  A leaf module: it never logs; on failure
 * it returns -1 with "listen queue of fd N: ..." in the caller's buffer.
 * Everything read from the kernel is checked (source, type, sequence,
 * lengths, inode) before use.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/unix_diag.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define SOCKQ_MSGLEN	256	/* a message before its prefix */
#define SOCKQ_RCVBUF	8192	/* one netlink datagram (the kernel sizes
				   dump batches to the reader's buffer) */
#define SOCKQ_TIMEOUT_S	1	/* the kernel answers at once: a bound */

/* What one netlink message said. */
#define SOCKQ_NEXT	0	/* not ours or not it: read on */
#define SOCKQ_FOUND	1	/* the counts are filled */
#define SOCKQ_DONE	2	/* end of the dump, socket not in it */
#define SOCKQ_FAIL	3	/* an error: message (and kernel errno) */

struct sockq_query {
	uint32_t	 ino;		/* the socket's inode */
	uint32_t	 seq;		/* of our request */
	int		 dump;		/* a dump, not a single-inode query */
	unsigned int	 queued;
	unsigned int	 backlog;
	int		 kerr;		/* errno the kernel answered, or 0 */
	char		 msg[SOCKQ_MSGLEN];
};

static int	sockq_tcp(int fd, unsigned int *queued, unsigned int *backlog,
		    char *msg, size_t msglen);
static int	sockq_unix(int fd, unsigned int *queued, unsigned int *backlog,
		    char *msg, size_t msglen);
static int	sockq_diag(int nl, struct sockq_query *q);
static int	sockq_diag_send(int nl, struct sockq_query *q);
static int	sockq_diag_recv(int nl, struct sockq_query *q);
static int	sockq_diag_msg(const struct nlmsghdr *nlh,
		    struct sockq_query *q);
static int	sockq_diag_unix(const struct nlmsghdr *nlh,
		    struct sockq_query *q);
static void	sockq_msg(struct sockq_query *q, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * The number of connections waiting in the accept queue of the listening
 * socket fd (TCP over IPv4 or IPv6, or unix stream) and its backlog.
 * 0, or -1 with a message in err.  A handful of system calls; no logging.
 */
int
sockq_listen(int fd, unsigned int *queued, unsigned int *backlog, char *err,
    size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	char			msg[SOCKQ_MSGLEN];
	int			rc;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		snprintf(msg, sizeof(msg), "getsockname: %s", strerror(errno));
		rc = -1;
	} else if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
		rc = sockq_tcp(fd, queued, backlog, msg, sizeof(msg));
	else if (ss.ss_family == AF_UNIX)
		rc = sockq_unix(fd, queued, backlog, msg, sizeof(msg));
	else {
		snprintf(msg, sizeof(msg), "address family %d is neither "
		    "TCP nor unix", ss.ss_family);
		rc = -1;
	}
	if (rc == -1)
		snprintf(err, errlen, "listen queue of fd %d: %s", fd, msg);
	return rc;
}

/* TCP: TCP_INFO of a socket in LISTEN state. */
static int
sockq_tcp(int fd, unsigned int *queued, unsigned int *backlog, char *msg,
    size_t msglen)
{
	struct tcp_info	ti;
	socklen_t	len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1) {
		if (errno == ENOPROTOOPT || errno == EOPNOTSUPP)
			snprintf(msg, msglen, "not a TCP socket");
		else
			snprintf(msg, msglen, "getsockopt TCP_INFO: %s",
			    strerror(errno));
		return -1;
	}
	if (len < offsetof(struct tcp_info, tcpi_sacked) +
	    sizeof(ti.tcpi_sacked)) {
		snprintf(msg, msglen, "TCP_INFO too short (%u bytes)",
		    (unsigned int)len);
		return -1;
	}
	if (ti.tcpi_state != TCP_LISTEN) {
		snprintf(msg, msglen, "not listening (TCP state %u)",
		    ti.tcpi_state);
		return -1;
	}
	*queued = ti.tcpi_unacked;
	*backlog = ti.tcpi_sacked;
	return 0;
}

/*
 * Unix: sock_diag by inode.  The single-inode query works on current
 * kernels; a dump of the listening unix sockets is the fallback when the
 * kernel refuses it (but not when it says that no such socket exists:
 * a dump would not find it either).
 */
static int
sockq_unix(int fd, unsigned int *queued, unsigned int *backlog, char *msg,
    size_t msglen)
{
	static uint32_t		seq;
	struct sockq_query	q;
	struct stat		st;
	struct timeval		tv = { SOCKQ_TIMEOUT_S, 0 };
	int			nl, rc;

	if (fstat(fd, &st) == -1) {
		snprintf(msg, msglen, "fstat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_ino == 0 ||
	    st.st_ino > UINT32_MAX) {
		snprintf(msg, msglen, "no socket inode");
		return -1;
	}
	memset(&q, 0, sizeof(q));
	q.ino = (uint32_t)st.st_ino;
	if ((nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1) {
		snprintf(msg, msglen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		snprintf(msg, msglen, "netlink SO_RCVTIMEO: %s",
		    strerror(errno));
		close(nl);
		return -1;
	}
	q.seq = ++seq;
	rc = sockq_diag(nl, &q);
	if (rc == -1 && q.kerr != 0 && q.kerr != ENOENT) {
		q.dump = 1;
		q.seq = ++seq;
		rc = sockq_diag(nl, &q);
	}
	close(nl);
	if (rc == -1) {
		strlcpy(msg, q.msg, msglen);
		return -1;
	}
	*queued = q.queued;
	*backlog = q.backlog;
	return 0;
}

/* One request and its answer: 0 with the counts, or -1 with q->msg. */
static int
sockq_diag(int nl, struct sockq_query *q)
{
	q->kerr = 0;
	q->msg[0] = '\0';
	if (sockq_diag_send(nl, q) == -1)
		return -1;
	return sockq_diag_recv(nl, q);
}

static int
sockq_diag_send(int nl, struct sockq_query *q)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	req;
	}			msg;
	struct sockaddr_nl	kernel;
	ssize_t			n;

	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(msg.req));
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | (q->dump ? NLM_F_DUMP : 0);
	msg.nlh.nlmsg_seq = q->seq;
	msg.req.sdiag_family = AF_UNIX;
	msg.req.udiag_states = 1U << TCP_LISTEN;
	msg.req.udiag_ino = q->ino;
	msg.req.udiag_show = UDIAG_SHOW_RQLEN;
	msg.req.udiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	n = sendto(nl, &msg, msg.nlh.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel));
	if (n != (ssize_t)msg.nlh.nlmsg_len) {
		sockq_msg(q, "sock_diag send: %s", n == -1 ?
		    strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/*
 * Read answers until one settles the query.  Datagrams that are not from
 * the kernel, messages of another sequence number and sockets of another
 * inode are skipped; a truncated datagram is an error.
 */
static int
sockq_diag_recv(int nl, struct sockq_query *q)
{
	union {
		struct nlmsghdr	nlh;
		char		buf[SOCKQ_RCVBUF];
	}			u;
	struct sockaddr_nl	from;
	struct iovec		iov;
	struct msghdr		mh;
	const struct nlmsghdr	*nlh;
	ssize_t			n;
	int			left, r;	/* int: NLMSG_OK's type */

	for (;;) {
		iov.iov_base = u.buf;
		iov.iov_len = sizeof(u.buf);
		memset(&mh, 0, sizeof(mh));
		memset(&from, 0, sizeof(from));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((n = recvmsg(nl, &mh, 0)) == -1) {
			if (errno == EINTR)
				continue;
			sockq_msg(q, "sock_diag receive: %s",
			    errno == EAGAIN || errno == EWOULDBLOCK ?
			    "no answer from the kernel" : strerror(errno));
			return -1;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			sockq_msg(q, "sock_diag answer truncated");
			return -1;
		}
		if (mh.msg_namelen < sizeof(from) ||
		    from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;	/* not from the kernel */
		left = (int)n;
		for (nlh = &u.nlh; NLMSG_OK(nlh, left);
		    nlh = NLMSG_NEXT(nlh, left)) {
			r = sockq_diag_msg(nlh, q);
			if (r == SOCKQ_FOUND)
				return 0;
			if (r == SOCKQ_FAIL)
				return -1;
			if (r == SOCKQ_DONE) {
				sockq_msg(q, "not listening (not among the "
				    "listening unix sockets)");
				return -1;
			}
		}
	}
}

/* One netlink message of an answer: SOCKQ_*. */
static int
sockq_diag_msg(const struct nlmsghdr *nlh, struct sockq_query *q)
{
	const struct nlmsgerr	*e;

	if (nlh->nlmsg_seq != q->seq)
		return SOCKQ_NEXT;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
			sockq_msg(q, "sock_diag: short error message");
			return SOCKQ_FAIL;
		}
		e = NLMSG_DATA(nlh);
		if (e->error == 0)
			return SOCKQ_NEXT;	/* an acknowledgement */
		q->kerr = e->error < 0 && e->error > -4096 ? -e->error : EIO;
		sockq_msg(q, "sock_diag %s of inode %u: %s",
		    q->dump ? "dump" : "query", q->ino, strerror(q->kerr));
		return SOCKQ_FAIL;
	case NLMSG_DONE:
		if (q->dump)
			return SOCKQ_DONE;
		sockq_msg(q, "sock_diag: no answer for inode %u", q->ino);
		return SOCKQ_FAIL;
	case SOCK_DIAG_BY_FAMILY:
		return sockq_diag_unix(nlh, q);
	default:
		return SOCKQ_NEXT;
	}
}

/* A unix_diag_msg: ours if it has our inode; then it must be listening
   and carry UNIX_DIAG_RQLEN. */
static int
sockq_diag_unix(const struct nlmsghdr *nlh, struct sockq_query *q)
{
	const struct unix_diag_msg	*m;
	const struct unix_diag_rqlen	*rql;
	const struct rtattr		*rta;
	int				 len;	/* RTA_OK's type */

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return SOCKQ_NEXT;
	m = NLMSG_DATA(nlh);
	if (m->udiag_family != AF_UNIX || m->udiag_ino != q->ino)
		return SOCKQ_NEXT;
	if (m->udiag_state != TCP_LISTEN) {
		sockq_msg(q, "not listening (unix socket state %u)",
		    m->udiag_state);
		return SOCKQ_FAIL;
	}
	len = (int)(nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	rta = (const struct rtattr *)((const char *)m +
	    NLMSG_ALIGN(sizeof(*m)));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type != UNIX_DIAG_RQLEN ||
		    RTA_PAYLOAD(rta) < sizeof(*rql))
			continue;
		rql = RTA_DATA(rta);
		q->queued = rql->udiag_rqueue;
		q->backlog = rql->udiag_wqueue;
		return SOCKQ_FOUND;
	}
	sockq_msg(q, "sock_diag: no queue length for inode %u", q->ino);
	return SOCKQ_FAIL;
}

static void
sockq_msg(struct sockq_query *q, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
}
