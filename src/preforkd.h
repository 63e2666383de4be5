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
 * preforkd internal header: the core structures shared by the modules,
 * the exit-code contract between workers and master, and the prototypes
 * grouped by the file that defines them.
 */

#ifndef PREFORKD_H
#define PREFORKD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>

#include <preforkd/handler.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/*
 * Exit codes: the contract between a worker and the master, and the
 * master's own status for its caller (systemd RestartPreventExitStatus=).
 */
#define EXIT_RETIRED	0	/* worker: retired on purpose (request cap) */
#define EXIT_USAGE	64	/* EX_USAGE: bad command line */
#define EXIT_TEMPFAIL	75	/* EX_TEMPFAIL: worker failed, respawn */
#define EXIT_PERMANENT	78	/* EX_CONFIG: cannot work as configured,
				   do not respawn; config errors */

#define PREFORKD_MAX_WORKERS	4096
#define LADDR_TEXTLEN		128	/* "unix:" + sun_path, "[v6]:port" */
#define NAME_MAXLEN		64	/* service, user and group names */

/* A listen address, parsed from the configuration. */
struct laddr {
	int			 family;	/* AF_INET, AF_INET6, AF_UNIX */
	socklen_t		 len;
	struct sockaddr_storage	 ss;
	char			 text[LADDR_TEXTLEN];	/* canonical form */
};

/* An open listening socket, owned by the master, inherited by workers. */
struct listener {
	int		 fd;
	struct laddr	 addr;		/* as configured */
	char		 bound[LADDR_TEXTLEN];	/* as bound (real port) */
	int		 timeouts_inherited;	/* accepted sockets get the
					   listener's SO_RCVTIMEO/SNDTIMEO */
	dev_t		 unix_dev;	/* AF_UNIX: the socket file we made, */
	ino_t		 unix_ino;	/* unlinked at close only if still ours */
};

/* The immutable result of parsing the configuration file. */
struct conf {
	char		 file[PATH_MAX];
	char		 service[NAME_MAXLEN];
	struct laddr	*listen;
	size_t		 nlisten;
	int		 backlog;
	mode_t		 unix_mode;
	char		 user[NAME_MAXLEN];	/* "" = do not switch */
	char		 group[NAME_MAXLEN];
	uid_t		 uid;
	gid_t		 gid;
	gid_t		*groups;	/* the user's supplementary groups */
	int		 ngroups;
	unsigned int	 workers;
	unsigned int	 max_requests;		/* 0 = no cap */
	unsigned int	 max_requests_jitter;
	int		 read_timeout_ms;	/* 0 = none */
	int		 write_timeout_ms;
	char		 chroot[PATH_MAX];	/* "" = none */
	int		 core_dumps;		/* worker_core_dumps */
	unsigned int	 rlimit_nofile;		/* 0 = inherited */
	char		 pidfile[PATH_MAX];	/* "" = none */
	int		 log_target;		/* LOG_TO_* */
	char		 log_file[PATH_MAX];
	int		 log_level;		/* LOG_DEBUG ... LOG_ERR */
	int		 syslog_facility;	/* LOG_DAEMON ... */
};

/* A list of error messages, collected before they are reported. */
struct errlist {
	char		**msg;
	size_t		  n;
};

/* Scoreboard: one shared slot per worker, written only by that worker. */
#define SB_EMPTY	0
#define SB_STARTING	1	/* forked, dropping privileges, init */
#define SB_IDLE		2	/* waiting in accept */
#define SB_BUSY		3	/* serving a connection */
#define SB_EXITING	4	/* retiring */

#define SB_EXIT_NONE		0	/* still running, or died suddenly */
#define SB_EXIT_REQUESTS	1	/* served its request cap */
#define SB_EXIT_HANDLER		2	/* the handler asked to retire */

struct sb_slot {
	pid_t			 pid;
	uint32_t		 generation;
	uint32_t		 state;		/* SB_* */
	uint32_t		 exit_reason;	/* SB_EXIT_* */
	uint64_t		 served;	/* connections served */
};

struct scoreboard {
	struct sb_slot		*slots;
	unsigned int		 nslots;
	size_t			 size;		/* of the mapping */
};

/* What one worker process owns. */
struct worker {
	unsigned int		 slot;
	unsigned int		 generation;
	pid_t			 master_pid;
	const struct conf	*conf;
	struct listener		*listeners;	/* the master's table */
	size_t			 nlisteners;
	const struct handler	*handler;
	struct handler_env	 env;
	void			*hdata;
	unsigned long		 served;
	unsigned long		 cap;		/* 0 = no cap */
	int			 epfd;		/* -1 with one listener */
	struct sb_slot		*sb;		/* this worker's slot */
};

/* One entry of the master's process table. */
struct slot {
	pid_t			 pid;		/* 0 = empty */
	unsigned int		 generation;
	int64_t			 started_ms;	/* monotonic */
};

/* The master's pool of workers and its respawn policy state. */
struct pool {
	struct slot		*slots;
	unsigned int		 nslots;
	unsigned int		 generation;
	int			 stopping;
	/* crash-loop throttle */
	unsigned int		 failures;	/* consecutive early crashes */
	int64_t			 backoff_ms;	/* current delay, 0 = none */
	int64_t			 next_spawn_ms;	/* no fork before this time */
	int			 permanent;	/* a worker exited 78 */
};

/* The master's state (one per process, passed explicitly). */
struct master {
	struct conf		*conf;
	struct listener		*listeners;
	size_t			 nlisteners;
	struct pool		 pool;
	struct scoreboard	 sb;
	int			 foreground;
};

/* conf.c */
struct conf	*conf_load(const char *path, struct errlist *errs);
struct conf	*conf_parse_buf(const char *name, const char *text,
		    struct errlist *errs);
struct conf	*conf_defaults(struct errlist *errs);
int		 conf_strip_comments(char *text);
void		 conf_free(struct conf *conf);

/* listen.c */
int		 listen_parse(const char *spec, struct laddr out[2], size_t *n,
		    char *err, size_t errlen);
int		 listen_open_priv(struct listener *l, const struct laddr *a,
		    int backlog, mode_t unix_mode, char *err, size_t errlen);
void		 listen_close(struct listener *l, int unlink_path);
void		 laddr_format(const struct sockaddr *sa, socklen_t len,
		    char *buf, size_t buflen);

/* util.c */
int		 parse_duration_ms(const char *s, int *ms, char *err,
		    size_t errlen);
int		 parse_uint(const char *s, unsigned int min, unsigned int max,
		    unsigned int *val, char *err, size_t errlen);
int64_t		 now_ms(void);
int		 socket_set_timeouts(int fd, int read_ms, int write_ms);
void		 errlist_add(struct errlist *errs, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 errlist_free(struct errlist *errs);
const char	*signame(int signo);

/* log.c */
#define LOG_TO_AUTO	-1	/* stderr in the foreground or under
				   systemd, else syslog */
#define LOG_TO_STDERR	0
#define LOG_TO_SYSLOG	1
#define LOG_TO_FILE	2
void		 log_init(int target, int level);
int		 log_open(int target, int level, int facility, const char *path,
		    int foreground, char *err, size_t errlen);
int		 log_gettarget(void);
int		 log_reopen(void);
int		 log_pipe_fd(void);
void		 log_pipe_drain(void);
void		 log_worker_init(void);
void		 log_worker_reopen(void);
void		 log_procinit(const char *name, int fatal_status, int child);
int		 log_getlevel(void);
void		 log_setlevel(int level);
void		 vlog(int prio, const char *fmt, va_list ap)
		    __attribute__((format(printf, 2, 0)));
void		 log_msg(int prio, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_warn(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_notice(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_info(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
__dead void	 fatal(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
__dead void	 fatalx(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
__dead void	 fatalx_status(int status, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* sig.c */
void		 sig_master_init(sigset_t *waitmask);
void		 sig_worker_init(void);
int		 sig_take(int signo);

/* privsep.c */
int		 privsep_lookup(const char *user, const char *group, uid_t *uid,
		    gid_t *gid, char *err, size_t errlen);
int		 privsep_groups(const char *user, gid_t gid, gid_t **groups,
		    int *ngroups, char *err, size_t errlen);
void		 privsep_drop(const struct conf *conf);

/* notify.c */
int		 notify_enabled(void);
void		 notify(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

/* pool.c */
void		 pool_init(struct pool *pool, unsigned int nslots);
void		 pool_free(struct pool *pool);
unsigned long	 pool_request_cap(unsigned int max, unsigned int jitter,
		    uint32_t rnd);
int		 pool_maintain(struct master *m, int64_t now);
int		 pool_reap(struct master *m);
void		 pool_signal(struct pool *pool, int signo);
unsigned int	 pool_count(const struct pool *pool);

/* scoreboard.c */
int		 sb_create(struct scoreboard *sb, unsigned int nslots);
void		 sb_destroy(struct scoreboard *sb);
void		 sb_reset(struct sb_slot *slot, pid_t pid, uint32_t generation);
void		 sb_set_state(struct sb_slot *slot, uint32_t state);
void		 sb_set_exit(struct sb_slot *slot, uint32_t reason);
void		 sb_served(struct sb_slot *slot, uint64_t served);
struct sb_slot	 sb_read(const struct sb_slot *slot);

/* worker.c */
__dead void	 worker_main(struct worker *w);

/* master.c */
int		 master_open(struct master *m);
int		 master_run(struct master *m);

/* handlers/handlers.c */
int			 handler_register(const struct handler *h);
const struct handler	*handler_find(const char *name);
const struct handler	*handler_at(size_t i);

#endif /* PREFORKD_H */
