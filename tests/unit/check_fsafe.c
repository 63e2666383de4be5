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
 * check_fsafe: how root reaches its files (fsafe.c).  Directories are
 * walked from / one component at a time; symlinks are followed only if
 * root (or we) own them; missing directories are made on request; files
 * are opened without following a symlink, and only a single-link regular
 * file of our own is used.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static void
path_in(char *buf, size_t len, const char *name)
{
	tu_path(buf, len, tmpdir, name);
}

/* The directory fsafe_opendir() reached is the one meant. */
static void
assert_same_dir(int fd, const char *path)
{
	struct stat	a, b;

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(stat(path, &b), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
}

START_TEST(test_fsafe_walk)
{
	char	err[512], p[PATH_MAX], q[PATH_MAX];
	int	fd;

	/* missing directories: refused, or made */
	path_in(p, sizeof(p), "a/b/c");
	ck_assert_int_eq(fsafe_opendir(p, 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	fd = fsafe_opendir(p, 1, err, sizeof(err));
	assert_same_dir(fd, p);
	/* ".", "..", repeated slashes */
	ck_assert_int_lt(snprintf(q, sizeof(q), "%s//a/./b/../b/c/", tmpdir),
	    (int)sizeof(q));
	assert_same_dir(fsafe_opendir(q, 0, err, sizeof(err)), p);
	/* our own symlink (relative and absolute) is followed */
	path_in(q, sizeof(q), "rel");
	ck_assert_int_eq(symlink("a/b", q), 0);
	path_in(q, sizeof(q), "rel/c");
	assert_same_dir(fsafe_opendir(q, 0, err, sizeof(err)), p);
	path_in(q, sizeof(q), "abs");
	path_in(p, sizeof(p), "a");
	ck_assert_int_eq(symlink(p, q), 0);
	assert_same_dir(fsafe_opendir(q, 0, err, sizeof(err)), p);
	/* a file on the way is not a directory; relative paths refused */
	path_in(p, sizeof(p), "file");
	tu_write_file(p, "x", 1);
	path_in(q, sizeof(q), "file/x");
	ck_assert_int_eq(fsafe_opendir(q, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is not a directory"));
	ck_assert_int_eq(fsafe_opendir("rel/a", 0, err, sizeof(err)), -1);
	/* a loop of symlinks ends */
	path_in(p, sizeof(p), "loop");
	ck_assert_int_eq(symlink("loop", p), 0);
	path_in(q, sizeof(q), "loop/x");
	ck_assert_int_eq(fsafe_opendir(q, 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot resolve"));
}
END_TEST

START_TEST(test_fsafe_open)
{
	char	err[512], p[PATH_MAX], q[PATH_MAX];
	int	fd, dfd;
	struct stat st;

	path_in(p, sizeof(p), "new/made.pid");
	fd = fsafe_open(p, O_RDWR | O_CREAT, 0666, 1, &dfd, err, sizeof(err));
	ck_assert_msg(fd != -1, "%s", err);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode) && st.st_uid == geteuid());
	/* ours, but writable by others: narrowed */
	ck_assert_int_eq(fchmod(fd, 0666), 0);
	close(fd);
	fd = fsafe_open(p, O_WRONLY, 0, 0, NULL, err, sizeof(err));
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	close(fd);
	ck_assert_int_eq(fsafe_unlink(dfd, "made.pid", st.st_dev, st.st_ino),
	    0);
	close(dfd);
	/* a symlink in its place is not followed, even ours */
	path_in(q, sizeof(q), "target");
	tu_write_file(q, "keep", 4);
	ck_assert_int_eq(symlink(q, p), 0);
	ck_assert_int_eq(fsafe_open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0,
	    NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is a symlink"));
	ck_assert_int_eq(stat(q, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	unlink(p);
	/* a second link to a file: not used */
	ck_assert_int_eq(link(q, p), 0);
	ck_assert_int_eq(fsafe_open(p, O_WRONLY, 0, 0, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "hard links"));
	unlink(p);
	/* a directory is not a regular file */
	path_in(p, sizeof(p), "new");
	ck_assert_int_eq(fsafe_open(p, O_RDONLY, 0, 0, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
}
END_TEST

/* As root: another user's symlink and file are refused. */
START_TEST(test_fsafe_other_users)
{
	struct passwd	*pw;
	char		 err[512], p[PATH_MAX], q[PATH_MAX];

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "SKIP test_fsafe_other_users: needs root and "
		    "the nobody user\n");
		return;
	}
	path_in(p, sizeof(p), "theirs");
	ck_assert_int_eq(symlink(tmpdir, p), 0);
	ck_assert_int_eq(lchown(p, pw->pw_uid, pw->pw_gid), 0);
	path_in(q, sizeof(q), "theirs/x");
	ck_assert_int_eq(fsafe_opendir(q, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "symlink owned by uid"));
	path_in(p, sizeof(p), "their.pid");
	tu_write_file(p, "1\n", 2);
	ck_assert_int_eq(chown(p, pw->pw_uid, pw->pw_gid), 0);
	ck_assert_int_eq(fsafe_open(p, O_RDWR | O_CREAT, 0644, 0, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is owned by uid"));
	/* to read, root's or ours only: theirs is refused too */
	ck_assert_int_eq(fsafe_open(p, O_RDONLY, 0, 0, NULL, err,
	    sizeof(err)), -1);
}
END_TEST

static Suite *
fsafe_suite(void)
{
	Suite	*s = suite_create("fsafe");
	TCase	*tc = tcase_create("fsafe");

	tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir);
	tcase_add_test(tc, test_fsafe_walk);
	tcase_add_test(tc, test_fsafe_open);
	tcase_add_test(tc, test_fsafe_other_users);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(fsafe_suite());
}
