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
 * sdworker.c: a `service = program` worker written against libsystemd,
 * as a systemd socket-activated service is: sd_listen_fds(3) for its
 * listening socket, sd_notify(3) for READY=1 and STATUS=; then the incr
 * protocol (greeting '*', frame bytes plus one), a connection at a time.
 * For tests/integration/program.py: nothing of preforkd's is used.
 */

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

static void
serve(int fd)
{
	char	buf[4096], out[4096];
	ssize_t	n, i;
	size_t	k;
	int	inside = 0;

	if (write(fd, "*", 1) != 1)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0, k = 0; i < n; i++) {
			if (inside && buf[i] == '$')
				inside = 0;
			else if (inside)
				out[k++] = (char)(buf[i] + 1);
			else if (buf[i] == '^')
				inside = 1;
		}
		if (k > 0 && write(fd, out, k) != (ssize_t)k)
			return;
	}
}

int
main(void)
{
	int	n, fd, served = 0;

	if ((n = sd_listen_fds(1)) != 1) {
		fprintf(stderr, "sd_listen_fds: %d\n", n);
		return 1;
	}
	if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		fprintf(stderr, "descriptor 3 is not a listening socket\n");
		return 1;
	}
	sd_notifyf(0, "READY=1\nSTATUS=sdworker %ld ready", (long)getpid());
	for (;;) {
		if ((fd = accept(SD_LISTEN_FDS_START, NULL, NULL)) == -1)
			continue;
		serve(fd);
		close(fd);
		sd_notifyf(0, "STATUS=sdworker served %d", ++served);
	}
}
