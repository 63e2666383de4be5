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
 * pidlock.c: the pidfile, and who holds it.
 *
 * The running master holds a POSIX write lock on its pidfile for as long
 * as it lives; the kernel, not the file's content, says who that is
 * (F_GETLK reports the holder's pid).  The clients (`-s`, `status`)
 * signal or talk to a master only if the pid the lock names is the pid
 * the file says: a pid planted in a stale file, or in a file another
 * user could write, is never signalled.
 *
 * The file is created through fsafe (no symlink followed, no file of
 * another user adopted, mode 0644), in a directory made if missing.
 * libbsd's pidfile_open() does none of this (it follows symlinks and
 * locks with flock(2), which does not name the holder), hence this file.
 *
 * Runs in the master (take, write, release) and in the client commands
 * (holder).  A leaf: never logs, errors go to the caller's buffer.
 * WARNING: POSIX locks belong to the process and vanish when it closes
 * any descriptor of the file: the master opens it once and keeps it.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

static int	pidlock_lock(int fd, short type, int cmd, pid_t *holder);

/* F_SETLK (cmd) a lock of type on the whole file, or F_GETLK its holder. */
static int
pidlock_lock(int fd, short type, int cmd, pid_t *holder)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, cmd, &fl) == -1)
		return -1;
	if (holder != NULL)
		*holder = fl.l_type == F_UNLCK ? 0 : fl.l_pid;
	return 0;
}

/*
 * Create or open the pidfile path and lock it.  Returns 0; or -1 with
 * *other the pid of the running master that holds it (0 for any other
 * failure, described in err).
 */
int
pidlock_take(struct pidlock *pl, const char *path, pid_t *other, char *err,
    size_t errlen)
{
	struct stat	st;
	const char	*name;
	char		 dir[PATH_MAX];

	memset(pl, 0, sizeof(*pl));
	pl->fd = pl->dirfd = -1;
	*other = 0;
	if (fsafe_split(path, dir, sizeof(dir), &name, err, errlen) == -1)
		return -1;
	strlcpy(pl->path, path, sizeof(pl->path));
	strlcpy(pl->name, name, sizeof(pl->name));
	if ((pl->fd = fsafe_open(path, O_RDWR | O_CREAT, 0644, 1, &pl->dirfd,
	    err, errlen)) == -1)
		return -1;
	if (pidlock_lock(pl->fd, F_WRLCK, F_SETLK, NULL) == -1) {
		if ((errno == EAGAIN || errno == EACCES) &&
		    pidlock_lock(pl->fd, F_WRLCK, F_GETLK, other) == 0 &&
		    *other > 0)
			snprintf(err, errlen, "already running, pid %ld "
			    "(pidfile %s)", (long)*other, path);
		else
			snprintf(err, errlen, "pidfile %s: lock: %s", path,
			    strerror(errno));
		pidlock_release(pl);
		return -1;
	}
	if (fstat(pl->fd, &st) == 0) {
		pl->dev = st.st_dev;
		pl->ino = st.st_ino;
	}
	return 0;
}

/* Write our pid into the locked pidfile. */
int
pidlock_write(struct pidlock *pl, char *err, size_t errlen)
{
	char	buf[32];
	int	n;

	if (pl->fd == -1)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pl->fd, 0) == -1 || pwrite(pl->fd, buf, n, 0) != n) {
		snprintf(err, errlen, "pidfile %s: %s", pl->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove the pidfile if it is still ours, and let go of the lock. */
void
pidlock_release(struct pidlock *pl)
{
	if (pl->fd != -1 && pl->dirfd != -1 && pl->ino != 0)
		(void)fsafe_unlink(pl->dirfd, pl->name, pl->dev, pl->ino);
	if (pl->fd != -1)
		close(pl->fd);
	if (pl->dirfd != -1)
		close(pl->dirfd);
	pl->fd = pl->dirfd = -1;
	pl->ino = 0;
}

/*
 * The pid of the master that holds the pidfile path, for a client: 0 if
 * the file is not locked (stale: err says so), -1 with err if it cannot
 * be read or its content does not name the holder of the lock.
 */
pid_t
pidlock_holder(const char *path, char *err, size_t errlen)
{
	char		 buf[32];
	const char	*errstr;
	ssize_t		 n;
	pid_t		 holder;
	long long	 pid;
	int		 fd;

	if ((fd = fsafe_open(path, O_RDONLY, 0, 0, NULL, err, errlen)) == -1)
		return -1;
	if (pidlock_lock(fd, F_WRLCK, F_GETLK, &holder) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (holder == 0) {
		snprintf(err, errlen, "stale pidfile %s", path);
		return 0;
	}
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pid = strtonum(buf, 2, INT_MAX, &errstr);
	if (errstr != NULL) {
		snprintf(err, errlen, "%s: no pid in the pidfile (locked by "
		    "pid %ld)", path, (long)holder);
		return -1;
	}
	if (pid != holder) {
		snprintf(err, errlen, "%s says pid %lld but pid %ld holds it: "
		    "not trusted", path, pid, (long)holder);
		return -1;
	}
	return holder;
}
