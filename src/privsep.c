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
 * privsep.c: the privilege fence.  The only file that may change the
 * process credentials (setgroups, setresgid, setresuid) or set
 * PR_SET_NO_NEW_PRIVS.
 *
 * privsep_lookup() and privsep_groups() run in the master at
 * configuration time; privsep_drop() runs in every new worker before it
 * touches a socket, and never returns if the drop cannot be made and
 * proven permanent: the worker then exits EXIT_PERMANENT and the master
 * stops instead of respawning workers that would run with the wrong
 * identity.
 */

#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/*
 * Resolve a user name (uid and primary gid) and/or a group name (gid,
 * which then overrides the primary group).  Any pointer may be NULL.
 */
int
privsep_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	if (user != NULL) {
		errno = 0;
		if ((pw = getpwnam(user)) == NULL) {
			snprintf(err, errlen, "unknown user '%s'", user);
			return -1;
		}
		if (uid != NULL)
			*uid = pw->pw_uid;
		if (gid != NULL)
			*gid = pw->pw_gid;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "unknown group '%s'", group);
			return -1;
		}
		if (gid != NULL)
			*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * The supplementary groups of user (with gid as the primary group), as
 * the worker will set them.  Resolved in the master so that a worker
 * never needs the group database (nor a chroot with /etc/group).
 */
int
privsep_groups(const char *user, gid_t gid, gid_t **groups, int *ngroups,
    char *err, size_t errlen)
{
	gid_t	*g = NULL, *ng;
	int	 n = 16, prev;

	for (;;) {
		if ((ng = reallocarray(g, n, sizeof(*g))) == NULL) {
			free(g);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		g = ng;
		prev = n;
		if (getgrouplist(user, gid, g, &n) != -1)
			break;
		if (n <= prev)
			n = prev * 2;
		if (n > 65536) {
			free(g);
			snprintf(err, errlen, "user '%s' is in too many groups",
			    user);
			return -1;
		}
	}
	*groups = g;
	*ngroups = n;
	return 0;
}

/*
 * Become conf->uid/conf->gid for good, in a new worker.  Order matters:
 * groups, then gid, then uid (the uid change removes the right to change
 * the others).  Then prove it: no id is 0 any more and setuid(0) fails.
 */
void
privsep_drop(const struct conf *conf)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;

	if (geteuid() != 0) {
		if (conf->uid != geteuid())
			fatalx_status(EXIT_PERMANENT, "cannot switch to user "
			    "%s: the master does not run as root", conf->user);
		goto nnp;
	}
	if (setgroups(conf->ngroups, conf->groups) == -1)
		fatalx_status(EXIT_PERMANENT, "setgroups: %s", strerror(errno));
	if (setresgid(conf->gid, conf->gid, conf->gid) == -1)
		fatalx_status(EXIT_PERMANENT, "setresgid %u: %s",
		    (unsigned)conf->gid, strerror(errno));
	if (setresuid(conf->uid, conf->uid, conf->uid) == -1)
		fatalx_status(EXIT_PERMANENT, "setresuid %u: %s",
		    (unsigned)conf->uid, strerror(errno));
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != conf->uid || euid != conf->uid || suid != conf->uid ||
	    rgid != conf->gid || egid != conf->gid || sgid != conf->gid)
		fatalx_status(EXIT_PERMANENT, "privilege drop to %s did not "
		    "take effect", conf->user);
	if (conf->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx_status(EXIT_PERMANENT, "privilege drop to %s is not "
		    "permanent: setuid(0) succeeded", conf->user);
	if (conf->gid != 0 && conf->uid != 0 &&
	    (setgid(0) != -1 || setegid(0) != -1))
		fatalx_status(EXIT_PERMANENT, "privilege drop to %s is not "
		    "permanent: setgid(0) succeeded", conf->user);
 nnp:
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatalx_status(EXIT_PERMANENT, "prctl(PR_SET_NO_NEW_PRIVS): %s",
		    strerror(errno));
}
