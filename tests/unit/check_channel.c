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
 * check_channel: the workers' channel to the master (channel.c) and how
 * the pool believes it (pool_channel()): every datagram belongs to the
 * process the kernel names as its sender, so a message can only concern
 * its sender; a message from a process that is not the slot's worker
 * (another worker, or one already gone, whose slot has a successor)
 * changes nothing (issue 8, B6).
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* A child that sends event on fd, then exits; reaped before return. */
static pid_t
send_from_child(int fd, uint32_t event, int count)
{
	pid_t	pid;
	int	status, i;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (i = 0; i < count; i++)
			chan_send(fd, event);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return pid;
}

static int
count_fds(void)
{
	DIR	*d = opendir("/proc/self/fd");
	int	 n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* The kernel names the sender, whatever the datagram says. */
START_TEST(test_channel_sender)
{
	char		buf[64];
	uint32_t	ev = 0;
	pid_t		pid, from;
	int		fd[2];
	ssize_t		n;

	ck_assert_int_eq(chan_open(fd), 0);
	pid = send_from_child(fd[1], EV_RETIRING, 1);
	n = chan_recv(fd[0], buf, sizeof(buf), &from);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(from, pid);
	ck_assert(chan_event(buf, n, &ev));
	ck_assert_uint_eq(ev, EV_RETIRING);
	ck_assert_int_eq(chan_recv(fd[0], buf, sizeof(buf), &from), -1);
	/* text is not an event */
	ck_assert(!chan_event("retiring", 8, &ev));
	chan_close(fd);
}
END_TEST

/* Descriptors sent along are never installed in the master. */
START_TEST(test_channel_no_fds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
	}		 cbuf;
	struct msghdr	 msg;
	struct iovec	 iov = { "x\n", 2 };
	struct cmsghdr	*c;
	char		 buf[64];
	pid_t		 from;
	int		 fd[2], before, i, fds[8];

	ck_assert_int_eq(chan_open(fd), 0);
	for (i = 0; i < 8; i++)
		fds[i] = STDERR_FILENO;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	ck_assert_int_eq(sendmsg(fd[1], &msg, 0), 2);
	before = count_fds();
	ck_assert_int_eq(chan_recv(fd[0], buf, sizeof(buf), &from), 2);
	ck_assert_int_eq(from, getpid());
	ck_assert_int_eq(count_fds(), before);
	chan_close(fd);
}
END_TEST

/*
 * pool_channel(): a retirement concerns its sender only, once per life;
 * a message from a process that is not a live worker of the table (here:
 * one gone, whose slot went to a successor) is ignored.
 */
START_TEST(test_channel_pool_attribution)
{
	struct pool		 pool;
	struct generation	 g;
	struct errlist		 errs = { 0 };
	pid_t			 gone;
	unsigned int		 i;
	int64_t			 deadline;

	memset(&g, 0, sizeof(g));
	g.conf = conf_defaults(&errs);
	ck_assert_ptr_nonnull(g.conf);
	pool_init(&pool, 8);
	for (i = 0; i < 8; i++)
		pool.slots[i].gen = &g;

	/* slot 0: a successor (this process stands for it); the message
	   comes from its predecessor, already reaped */
	pool.slots[0].pid = getpid();
	gone = send_from_child(pool.chan[1], EV_RETIRING, 1);
	ck_assert_int_ne(gone, getpid());
	pool_channel(&pool, now_ms());
	ck_assert_int_eq(pool.slots[0].retiring, 0);
	ck_assert_int_eq(pool.slots[0].announced, 0);

	/* slot 3: the sender is the slot's worker (the table says so) */
	pool.slots[3].pid = send_from_child(pool.chan[1], EV_READY, 1);
	pool_channel(&pool, now_ms());
	ck_assert_int_eq(pool.slots[3].ready, 1);
	ck_assert_int_eq(pool.slots[0].ready, 0);

	/* slot 5: it says 100 times that it retires: once counts */
	pool.slots[5].pid = send_from_child(pool.chan[1], EV_RETIRING, 100);
	pool_channel(&pool, now_ms());
	ck_assert_int_eq(pool.slots[5].retiring, 1);
	ck_assert_int_eq(pool.slots[5].announced, 1);
	deadline = pool.slots[5].deadline_ms;
	ck_assert_int_gt(deadline, 0);
	ck_assert_int_eq(pool.slots[0].retiring, 0);
	ck_assert_int_eq(pool.slots[3].retiring, 0);

	for (i = 0; i < 8; i++)
		pool.slots[i].pid = 0;
	pool_free(&pool);
	conf_free(g.conf);
	errlist_free(&errs);
}
END_TEST

static Suite *
channel_suite(void)
{
	Suite	*s = suite_create("channel");
	TCase	*tc;

	tc = tcase_create("channel");
	tcase_add_test(tc, test_channel_sender);
	tcase_add_test(tc, test_channel_no_fds);
	tcase_add_test(tc, test_channel_pool_attribution);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(channel_suite());
}
