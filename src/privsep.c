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
 * process credentials (chroot, setgroups, setresgid, setresuid,
 * capabilities) or set PR_SET_NO_NEW_PRIVS.
 *
 * privsep_lookup() and privsep_groups() run in the master at
 * configuration time; privsep_drop() runs in every new worker before it
 * touches a socket, and never returns if the drop cannot be made and
 * proven permanent: the worker then exits EXIT_PERMANENT and the master
 * stops instead of respawning workers that would run with the wrong
 * identity.
 */

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

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

/* Drop every capability: effective, permitted, inheritable, ambient. */
static void
privsep_drop_caps(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];
	size_t				i;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		fatalx_status(EXIT_PERMANENT, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): "
		    "%s", strerror(errno));
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatalx_status(EXIT_PERMANENT, "capset: %s", strerror(errno));
	if (syscall(SYS_capget, &hdr, data) == -1)
		fatalx_status(EXIT_PERMANENT, "capget: %s", strerror(errno));
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted ||
		    data[i].inheritable)
			fatalx_status(EXIT_PERMANENT, "capabilities remain "
			    "after the drop");
}

/* Resource limits of a worker, set while it may still raise them. */
static void
privsep_limits(const struct conf *conf)
{
	struct rlimit	rl;

	if (conf->rlimit_nofile > 0) {
		rl.rlim_cur = rl.rlim_max = conf->rlimit_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatalx_status(EXIT_PERMANENT, "setrlimit(RLIMIT_NOFILE, "
			    "%u): %s", conf->rlimit_nofile, strerror(errno));
	}
	if (!conf->core_dumps) {
		rl.rlim_cur = rl.rlim_max = 0;
		if (setrlimit(RLIMIT_CORE, &rl) == -1)
			fatalx_status(EXIT_PERMANENT, "setrlimit(RLIMIT_CORE): "
			    "%s", strerror(errno));
	}
}

/*
 * Become conf->uid/conf->gid for good, in a new worker that has already
 * closed the descriptors it does not need.  Order matters: chroot (needs
 * root), limits (raising one needs root), groups, gid, then uid (the uid
 * change removes the right to change the others).  Then prove it: no id
 * is 0 any more, setuid(0) fails, no capability is left.  Then
 * no_new_privs, and no core dumps unless asked for.
 */
void
privsep_drop(const struct conf *conf)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;
	int	root = geteuid() == 0;

	if (!root && conf->uid != geteuid())
		fatalx_status(EXIT_PERMANENT, "cannot switch to user %s: the "
		    "master does not run as root", conf->user);
	if (*conf->chroot != '\0') {
		if (chroot(conf->chroot) == -1)
			fatalx_status(EXIT_PERMANENT, "chroot %s: %s",
			    conf->chroot, strerror(errno));
		if (chdir("/") == -1)
			fatalx_status(EXIT_PERMANENT, "chdir / in %s: %s",
			    conf->chroot, strerror(errno));
	}
	privsep_limits(conf);
	if (root) {
		if (setgroups(conf->ngroups, conf->groups) == -1)
			fatalx_status(EXIT_PERMANENT, "setgroups: %s",
			    strerror(errno));
		if (setresgid(conf->gid, conf->gid, conf->gid) == -1)
			fatalx_status(EXIT_PERMANENT, "setresgid %u: %s",
			    (unsigned)conf->gid, strerror(errno));
		if (setresuid(conf->uid, conf->uid, conf->uid) == -1)
			fatalx_status(EXIT_PERMANENT, "setresuid %u: %s",
			    (unsigned)conf->uid, strerror(errno));
	}
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != conf->uid || euid != conf->uid || suid != conf->uid ||
	    (root && (rgid != conf->gid || egid != conf->gid ||
	    sgid != conf->gid)))
		fatalx_status(EXIT_PERMANENT, "privilege drop to %s did not "
		    "take effect", conf->user);
	if (conf->uid != 0) {
		if (setuid(0) != -1 || seteuid(0) != -1)
			fatalx_status(EXIT_PERMANENT, "privilege drop to %s is "
			    "not permanent: setuid(0) succeeded", conf->user);
		if (conf->gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
			fatalx_status(EXIT_PERMANENT, "privilege drop to %s is "
			    "not permanent: setgid(0) succeeded", conf->user);
		/* A master with capabilities but not root (systemd
		   AmbientCapabilities=) passes them on: drop them. */
		privsep_drop_caps();
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatalx_status(EXIT_PERMANENT, "prctl(PR_SET_NO_NEW_PRIVS): %s",
		    strerror(errno));
	/* A uid change made the process undumpable; core dumps need it
	   dumpable again (WARNING: then the worker's memory is readable by
	   its user through /proc). */
	if (prctl(PR_SET_DUMPABLE, conf->core_dumps ? 1 : 0, 0, 0, 0) == -1)
		fatalx_status(EXIT_PERMANENT, "prctl(PR_SET_DUMPABLE): %s",
		    strerror(errno));
}
