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
 * fsafe.c: how root reaches the files it creates, writes or removes
 * (pidfile, log file, control socket, unix listeners) without following
 * another user's symlink and without adopting another user's file.
 *
 * fsafe_opendir() walks an absolute directory path one component at a
 * time from "/", each step relative to the directory opened before it:
 * a symlink is followed only if root (or the effective user) owns it, so
 * /var/run -> /run works and a link planted by anyone else is refused;
 * missing directories are created (0755, owned by the caller).  The
 * directory descriptor it returns pins the directory: what happens to
 * the path afterwards cannot redirect the *at() calls made through it.
 * fsafe_open() opens or creates a regular file in such a directory with
 * O_NOFOLLOW and refuses anything but a single-link regular file of the
 * caller's own.
 *
 * A leaf: never logs; errors go to the caller's buffer.  Runs in the
 * master (as root in production) and in the client commands.
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

#define FSAFE_MAXLINKS	40	/* as the kernel's ELOOP limit */

struct fsafe_walk;

static int	fsafe_trusted(const struct stat *st);
static int	fsafe_stat(struct fsafe_walk *w, const char *comp, int create,
		    struct stat *st, char *err, size_t errlen);
static int	fsafe_link(struct fsafe_walk *w, const char *comp,
		    const struct stat *st, const char *rest, char *err,
		    size_t errlen);
static int	fsafe_enter(struct fsafe_walk *w, const char *comp,
		    const struct stat *st, char *err, size_t errlen);

/* Owned by root or by us: nobody else can have changed it. */
static int
fsafe_trusted(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* A walk through a path: the directory reached, and its name. */
struct fsafe_walk {
	int	 fd;			/* O_PATH, of the directory reached */
	char	 at[PATH_MAX];		/* its path, for messages */
	char	 buf[PATH_MAX];		/* what is left to walk */
	int	 links;			/* symlinks followed so far */
};

/*
 * The entry comp of the directory reached, in *st; with create, a
 * missing one is made a directory (0755).
 */
static int
fsafe_stat(struct fsafe_walk *w, const char *comp, int create,
    struct stat *st, char *err, size_t errlen)
{
	if (fstatat(w->fd, comp, st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT || !create) {
		snprintf(err, errlen, "%s/%s: %s", w->at, comp, strerror(errno));
		return -1;
	}
	if (mkdirat(w->fd, comp, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s/%s: %s", w->at, comp,
		    strerror(errno));
		return -1;
	}
	if (fstatat(w->fd, comp, st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(err, errlen, "%s/%s: %s", w->at, comp, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * comp is a symlink (st): follow it if root or we own it, by walking its
 * target and then rest (from / for an absolute target).
 */
static int
fsafe_link(struct fsafe_walk *w, const char *comp, const struct stat *st,
    const char *rest, char *err, size_t errlen)
{
	char	link[PATH_MAX], tmp[PATH_MAX];
	ssize_t	n;

	if (!fsafe_trusted(st)) {
		snprintf(err, errlen, "%s/%s is a symlink owned by uid %u: not "
		    "followed", w->at, comp, (unsigned)st->st_uid);
		return -1;
	}
	if (++w->links > FSAFE_MAXLINKS || (n = readlinkat(w->fd, comp, link,
	    sizeof(link) - 1)) <= 0 || (size_t)n >= sizeof(link) - 1) {
		snprintf(err, errlen, "%s/%s: cannot resolve the symlink",
		    w->at, comp);
		return -1;
	}
	link[n] = '\0';
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", link, rest) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s/%s: path too long", w->at, comp);
		return -1;
	}
	strlcpy(w->buf, tmp, sizeof(w->buf));
	if (link[0] == '/') {
		w->at[0] = '\0';
		close(w->fd);
		if ((w->fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) ==
		    -1) {
			snprintf(err, errlen, "open /: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Step into the directory comp (st) of the directory reached. */
static int
fsafe_enter(struct fsafe_walk *w, const char *comp, const struct stat *st,
    char *err, size_t errlen)
{
	char	*slash;
	int	 nfd;

	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s/%s is not a directory", w->at, comp);
		return -1;
	}
	nfd = openat(w->fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (nfd == -1) {
		snprintf(err, errlen, "%s/%s: %s", w->at, comp, strerror(errno));
		return -1;
	}
	close(w->fd);
	w->fd = nfd;
	if (strcmp(comp, "..") != 0) {
		strlcat(w->at, "/", sizeof(w->at));
		strlcat(w->at, comp, sizeof(w->at));
	} else if ((slash = strrchr(w->at, '/')) != NULL)
		*slash = '\0';
	return 0;
}

/*
 * Open directory path (absolute) as an O_PATH descriptor, following only
 * trusted symlinks; with create, make the missing directories (mode
 * 0755).  Returns the descriptor, or -1 with the reason in err.
 */
int
fsafe_opendir(const char *path, int create, char *err, size_t errlen)
{
	struct fsafe_walk	 w;
	struct stat		 st;
	char			 rest[PATH_MAX], *p, *comp, *slash;

	memset(&w, 0, sizeof(w));
	if (*path != '/' || strlcpy(w.buf, path, sizeof(w.buf)) >=
	    sizeof(w.buf)) {
		snprintf(err, errlen, "%s: not an absolute path of at most %d "
		    "bytes", path, PATH_MAX - 1);
		return -1;
	}
	if ((w.fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "open /: %s", strerror(errno));
		return -1;
	}
	for (p = w.buf; ; ) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return w.fd;
		comp = p;
		if ((slash = strchr(p, '/')) != NULL)
			*slash++ = '\0';
		strlcpy(rest, slash != NULL ? slash : "", sizeof(rest));
		p = slash != NULL ? slash : comp + strlen(comp);
		if (strcmp(comp, ".") == 0)
			continue;
		if (fsafe_stat(&w, comp, create, &st, err, errlen) == -1)
			break;
		if (S_ISLNK(st.st_mode)) {
			if (fsafe_link(&w, comp, &st, rest, err, errlen) == -1)
				break;
			p = w.buf;
		} else if (fsafe_enter(&w, comp, &st, err, errlen) == -1)
			break;
	}
	if (w.fd != -1)
		close(w.fd);
	return -1;
}

/*
 * The directory part and the last component of path, in dir and name.
 * Returns -1 (err) if path has no directory part or no name.
 */
int
fsafe_split(const char *path, char *dir, size_t dirlen, const char **name,
    char *err, size_t errlen)
{
	const char	*slash = strrchr(path, '/');

	if (*path != '/' || slash == NULL || slash[1] == '\0') {
		snprintf(err, errlen, "%s: not an absolute path to a file",
		    path);
		return -1;
	}
	if ((size_t)(slash - path) + 2 > dirlen) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (slash == path)
		strlcpy(dir, "/", dirlen);
	else {
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	*name = slash + 1;
	return 0;
}

/*
 * Check an open file: a regular file with one link, owned by root or by
 * us.  Opened for writing, it must be ours, and a mode that lets group or
 * others write is narrowed.
 */
int
fsafe_check(int fd, const char *path, int writing, char *err, size_t errlen)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (writing ? st.st_uid != geteuid() : !fsafe_trusted(&st)) {
		snprintf(err, errlen, "%s is owned by uid %u, not by uid %u: "
		    "not used (remove it)", path, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		return -1;
	}
	if (st.st_nlink != 1) {
		snprintf(err, errlen, "%s has %lu hard links: not used "
		    "(remove it)", path, (unsigned long)st.st_nlink);
		return -1;
	}
	if (writing && (st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    fchmod(fd, st.st_mode & 0755) == -1) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Open (flags may hold O_CREAT, with mode) the regular file path: its
 * directory through fsafe_opendir() (created if create_dirs), the file
 * itself without following a symlink, then fsafe_check().  The directory
 * descriptor goes to *dirfd if dirfd is not NULL (else it is closed).
 * Returns the file descriptor (close-on-exec), or -1 with err.
 */
int
fsafe_open(const char *path, int flags, mode_t mode, int create_dirs,
    int *dirfd, char *err, size_t errlen)
{
	struct stat	 st;
	char		 dir[PATH_MAX];
	const char	*name;
	int		 dfd, fd, saved;

	if (fsafe_split(path, dir, sizeof(dir), &name, err, errlen) == -1 ||
	    (dfd = fsafe_opendir(dir, create_dirs, err, errlen)) == -1)
		return -1;
	fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK, mode);
	if (fd == -1) {
		saved = errno;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			snprintf(err, errlen, "%s is a symlink (owned by uid "
			    "%u): not followed", path, (unsigned)st.st_uid);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(saved));
		close(dfd);
		return -1;
	}
	if (fsafe_check(fd, path, (flags & O_ACCMODE) != O_RDONLY, err,
	    errlen) == -1) {
		close(fd);
		close(dfd);
		return -1;
	}
	if (dirfd != NULL)
		*dirfd = dfd;
	else
		close(dfd);
	return fd;
}

/*
 * Remove name from the directory dirfd if it is still the file (dev,
 * ino) we made; anything else there is left alone.  Returns 0 if it was
 * removed.
 */
int
fsafe_unlink(int dirfd, const char *name, dev_t dev, ino_t ino)
{
	struct stat	st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    st.st_dev != dev || st.st_ino != ino)
		return -1;
	return unlinkat(dirfd, name, 0);
}

/*
 * Whether users other than root and us can change what is in the
 * directory dirfd (write it without the sticky bit, or own it): a
 * reason to warn.  Fills why and returns 1, or returns 0.
 */
int
fsafe_dir_exposed(int dirfd, char *why, size_t whylen)
{
	struct stat	st;

	if (fstat(dirfd, &st) == -1)
		return 0;
	if (!fsafe_trusted(&st)) {
		snprintf(why, whylen, "owned by uid %u", (unsigned)st.st_uid);
		return 1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(why, whylen, "writable by %s",
		    st.st_mode & S_IWOTH ? "everyone" : "its group");
		return 1;
	}
	return 0;
}

/*
 * Whether st (of path) is safe from everyone but root and us: owned by
 * one of us, and not writable by group or others (a directory may be,
 * with the sticky bit: then nobody else can replace what we own in it).
 */
static int
fsafe_guarded(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (!fsafe_trusted(st))
		snprintf(err, errlen, "%s is owned by uid %u", path,
		    (unsigned)st->st_uid);
	else if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !S_ISLNK(st->st_mode) &&	/* a link's mode means nothing */
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		snprintf(err, errlen, "%s is writable by %s", path,
		    st->st_mode & S_IWOTH ? "everyone" : "its group");
	else
		return 0;
	return -1;
}

/* path and every directory above it, guarded (fsafe_guarded()). */
static int
fsafe_guarded_path(const char *path, char *err, size_t errlen)
{
	struct stat	st;
	char		buf[PATH_MAX], *slash;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	for (;;) {
		if (lstat(buf, &st) == -1) {
			snprintf(err, errlen, "%s: %s", buf, strerror(errno));
			return -1;
		}
		if (fsafe_guarded(buf, &st, err, errlen) == -1)
			return -1;
		if ((slash = strrchr(buf, '/')) == NULL || slash == buf) {
			if (slash == buf && buf[1] != '\0') {
				buf[1] = '\0';
				continue;
			}
			return 0;
		}
		*slash = '\0';
	}
}

/*
 * A file whose contents workers will run (a module, a program): an
 * absolute path to a regular file that only root or we can have
 * written, as can the directories that lead to it, and to what it
 * resolves to if symlinks are on the way.  Only stats: root opens
 * nothing here.  0, or -1 with the reason in err.
 */
int
fsafe_code(const char *path, char *err, size_t errlen)
{
	struct stat	st;
	char		real[PATH_MAX], why[PATH_MAX + 64];

	if (*path != '/') {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	if (realpath(path, real) == NULL || stat(real, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	if (fsafe_guarded_path(path, why, sizeof(why)) == -1 ||
	    fsafe_guarded_path(real, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: not trusted: %s (whoever can "
		    "write it chooses the code workers run)", path, why);
		return -1;
	}
	return 0;
}
