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
#include <sys/queue.h>
#include <sys/socket.h>

#include <poll.h>

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

#define PLURAL(n)	((n) == 1 ? "" : "s")	/* "%u worker%s" */

#define PREFORKD_MAX_WORKERS	4096
#define PREFORKD_MAX_CONNECTIONS 65536	/* worker_connections */
#define LADDR_TEXTLEN		128	/* "unix:" + sun_path, "[v6]:port" */
#define NAME_MAXLEN		64	/* service, user and group names */

/* A listen address, parsed from the configuration. */
struct laddr {
	int			 family;	/* AF_INET, AF_INET6, AF_UNIX */
	socklen_t		 len;
	struct sockaddr_storage	 ss;
	char			 text[LADDR_TEXTLEN];	/* canonical form */
	int			 line;		/* in the configuration file */
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
	mode_t		 unix_mode;	/* its mode */
	unsigned int	 refs;		/* generations holding it (lset.c) */
};

/* The pidfile, locked by the running master (pidlock.c). */
struct pidlock {
	char		 path[PATH_MAX];
	char		 name[NAME_MAX + 1];	/* in its directory */
	int		 fd;		/* -1 = none */
	int		 dirfd;
	dev_t		 dev;
	ino_t		 ino;
};

/* The immutable result of parsing the configuration file. */
/* What serves the connections (conf->service_kind). */
#define SERVICE_BUILTIN	0	/* a handler compiled in: incr, echo */
#define SERVICE_MODULE	1	/* a handler in a shared object */
#define SERVICE_EXEC	2	/* a program per connection (UCSPI) */
#define SERVICE_PROGRAM	3	/* a program per worker (socket activation) */

/* When a program worker counts as ready (conf->program_ready). */
#define READY_DELAY	0	/* program_ready_delay after its start */
#define READY_NOTIFY	1	/* when it sends READY=1 (sd_notify) */

struct conf {
	char		 file[PATH_MAX];
	char		 service[NAME_MAXLEN];
	int		 service_kind;		/* SERVICE_* */
	char		 module[PATH_MAX];	/* SERVICE_MODULE: its path */
	char		**argv;			/* SERVICE_EXEC, _PROGRAM */
	int		 program_ready;		/* READY_* */
	int		 program_ready_delay_ms;
	int		 program_start_timeout_ms;	/* to be ready */
	int		 program_stop_signal;	/* to retire a program */
	int		 check_timeout_ms;	/* the service's check */
	int		 service_line;	/* of module, exec or program */
	int		 args_line;	/* of service_args */
	int		 mux_line;	/* of worker_connections */
	char		**service_args;		/* NULL-terminated */
	char		**worker_env;		/* "NAME=VALUE", NULL-term. */
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
	unsigned int	 worker_connections;	/* at once per worker */
	int		 keepalive_timeout_ms;	/* parked idle, N > 1 */
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
	int		 graceful_timeout_ms;	/* draining workers, then TERM */
	int		 max_worker_age_ms;	/* 0 = none */
	int		 max_worker_age_jitter_ms;
	uint64_t	 max_worker_rss_kb;	/* 0 = none */
	unsigned int	 workers_max;		/* SIGTTIN's limit */
	unsigned int	 max_workers;		/* 0: static pool */
	unsigned int	 min_spare;		/* dynamic: idle workers */
	unsigned int	 max_spare;
	unsigned int	 max_spawn_rate;	/* dynamic: forks per second */
	int		 request_timeout_soft_ms;	/* backtrace; 0 = none */
	int		 request_timeout_ms;		/* kill; 0 = none */
	int		 defer_accept_ms;	/* TCP_DEFER_ACCEPT, 0 = off */
	char		 control_socket[PATH_MAX];	/* "" = none */
	int		 control_socket_auto;	/* unset: next to the pidfile */
};

/* One problem found (a configuration error or warning). */
struct errmsg {
	int		 line;		/* 0 = none */
	int		 warning;	/* 1: reported, not fatal */
	char		*text;		/* the message alone */
};

/*
 * Problems collected before they are reported: records (rec), and the
 * text each is printed as (msg: "FILE:LINE: option: message").
 */
struct errlist {
	char		**msg;
	size_t		  n;
	struct errmsg	 *rec;
};

/*
 * The pool's room: two generations of the largest pool during a reload,
 * plus replacements started while workers retire.
 */
#define PREFORKD_MAX_SLOTS	(3 * PREFORKD_MAX_WORKERS)

/* Scoreboard: one shared slot per worker, written only by that worker. */
#define SB_EMPTY	0
#define SB_STARTING	1	/* forked, dropping privileges, init */
#define SB_IDLE		2	/* waiting in accept */
#define SB_READING	3	/* in a connection, waiting for the client */
#define SB_BUSY		4	/* in a connection, working */
#define SB_RETIRING	5	/* finishing its last connection, or leaving */
#define SB_NSTATES	6

/* Why a worker left on its own (the master knows the reasons it gave). */
#define SB_EXIT_NONE		0	/* still running, or died suddenly */
#define SB_EXIT_REQUESTS	1	/* served its request cap */
#define SB_EXIT_HANDLER		2	/* the handler asked to retire */
#define SB_EXIT_AGE		3	/* reached max_worker_age */
#define SB_EXIT_RSS		4	/* grew past max_worker_rss */
#define SB_EXIT_TOLD		5	/* the master told it to (SIGUSR2) */
#define SB_EXIT_EXEC		6	/* became its connection's program */

#define SB_CLIENTLEN		48

struct sb_slot {
	pid_t			 pid;
	uint32_t		 generation;
	uint32_t		 state;		/* SB_* */
	uint32_t		 exit_reason;	/* SB_EXIT_* */
	uint64_t		 served;	/* connections served */
	int64_t			 changed_ms;	/* last state change (monotonic) */
	uint64_t		 rss_kb;	/* peak, sampled once a second */
	uint64_t		 waited;	/* connections that were queued
						   when it came to take them */
	char			 client[SB_CLIENTLEN];	/* "addr:port" */
	uint32_t		 active;	/* worker_connections > 1: */
	uint32_t		 parked;	/* connections it holds */
};

struct scoreboard {
	char			*base;		/* slot i at base + i * stride */
	unsigned int		 nslots;
	size_t			 stride;	/* a page: see sb_isolate() */
	size_t			 size;		/* of the mapping */
};

/* What a worker tells the master on the channel (channel.c). */
#define EV_RETIRING	1	/* it decided to retire after this
				   connection: start its replacement now */
#define EV_READY	2	/* it reached accept(2) for the first time */

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
	int64_t			 started_ms;
	int64_t			 retire_at_ms;	/* max_worker_age, 0 = never */
	int64_t			 rss_at_ms;	/* when the RSS was sampled */
	uint64_t		 rss_kb;
	uint64_t		 waited;	/* accepted from a queue */
	int			 epfd;		/* -1 with one listener */
	int			 event_fd;	/* the channel to the master */
	uint32_t		 leaving;	/* SB_EXIT_* once decided */
	struct sb_slot		*sb;		/* this worker's slot */
	const char		*notify;	/* program: NOTIFY_SOCKET */
	int			 last;		/* the connection in hand is its
						   last (request cap) */
};

/* A worker's output on its way to the log (log.c): the line in progress
   and the rate limit. */
struct wout {
	char			*buf;		/* LOG_WORKER_LINE bytes */
	size_t			 len;
	int64_t			 stamp_ms;	/* of the last refill */
	unsigned int		 tokens;	/* lines it may still log */
	unsigned int		 dropped;
};

/* Why the master ended a worker (struct slot.told). */
#define TOLD_NONE	0
#define TOLD_RELOAD	1	/* an older generation */
#define TOLD_STOP	2	/* graceful stop */
#define TOLD_IDLE	3	/* too many idle workers */
#define TOLD_TTOU	4	/* SIGTTOU */
#define TOLD_AGE	5	/* program: max_worker_age */
#define TOLD_RSS	6	/* program: max_worker_rss */

/* A listening socket's set (lset.c): the listeners of a generation,
   shared with the generations that name the same addresses. */
struct lset {
	struct listener		**l;
	size_t			  n;
};

/*
 * A generation (gen.c): a configuration, its listeners, the size of its
 * pool and the state of its back-off and sizing; current, previous (a
 * reload waits for the new one), or draining.
 */
struct generation {
	TAILQ_ENTRY(generation)	 entry;
	unsigned int		 id;
	struct conf		*conf;
	struct lset		 ls;
	unsigned int		 target;	/* workers it should have */
	unsigned int		 workers;	/* live ones (the pool counts) */
	int			 permanent;	/* one exited 78 before accept */
	/* crash-loop back-off (pool_exit.c) */
	unsigned int		 failures;	/* consecutive early crashes */
	int64_t			 backoff_ms;	/* current delay, 0 = none */
	int64_t			 next_spawn_ms;	/* no spawn before this time */
	/* dynamic pool (pool_size.c) */
	unsigned int		 spawn_step;	/* 1, 2, 4 ... max_spawn_rate */
	int64_t			 max_logged_ms;	/* "max_workers reached" */
};

/* The generations alive: current, previous, and draining ones. */
struct gens {
	struct generation	*cur;
	struct generation	*prev;		/* while a reload waits */
	TAILQ_HEAD(, generation) all;
};

/* One entry of the master's process table (pool.c only). */
struct slot {
	pid_t			 pid;		/* 0 = empty */
	struct generation	*gen;
	int64_t			 started_ms;	/* monotonic */
	int			 retiring;	/* no longer counts in the pool */
	int			 told;		/* TOLD_*: why it was retired */
	int64_t			 deadline_ms;	/* then SIGTERM, 0 = none */
	int			 termed;	/* SIGTERM sent (SIGKILL next) */
	int			 timed_out;	/* killed for request_timeout */
	int			 oom;		/* killed by the OOM killer */
	int64_t			 soft_for_ms;	/* busy period already traced */
	int			 ready;		/* EV_READY: it reached accept */
	int			 announced;	/* EV_RETIRING, once per life */
	int			 start_failed;	/* program: never ready */
	int64_t			 retire_at_ms;	/* program: max_worker_age */
	struct wout		 out;		/* its output, on the way */
};

/* Why workers ended, for the metrics (worker_exits_total{reason}). */
#define XR_REQUESTS	0
#define XR_AGE		1
#define XR_RSS		2
#define XR_HANDLER	3
#define XR_RELOAD	4
#define XR_IDLE		5
#define XR_RESIZE	6
#define XR_STOP		7
#define XR_CRASH	8
#define XR_TIMEOUT	9
#define XR_OOM		10
#define XR_FAILED	11
#define XR_KILLED	12	/* still busy after graceful_timeout */
#define XR_EXEC		13	/* an exec program's end */
#define XR_COUNT	14

/*
 * The master's pool of workers (pool.c, pool_exit.c, pool_size.c): the
 * slot table, the scoreboard and the channel, and what the pool counts.
 * Only those files read the slot table; the others ask.
 */
struct pool {
	struct slot		*slots;
	unsigned int		 nslots;
	struct scoreboard	 sb;
	int			 stopping;	/* 1 fast, 2 graceful */
	int			 chan[2];	/* workers -> master */
	unsigned int		 chan_hint;	/* slot of the last sender */
	struct wout		 strays;	/* output of workers' children */
	int64_t			 ceiling_since_ms;	/* at the ceiling */
	int64_t			 ceiling_logged_ms;
	int64_t			 fork_backoff_ms;	/* after fork() failed */
	int64_t			 next_fork_ms;
	int64_t			 next_tick_ms;	/* sizing and timeouts check */
	uint64_t		 oom_kills;	/* /proc/vmstat oom_kill seen */
	/* counted for the status report */
	uint64_t		 exits[XR_COUNT];
	uint64_t		 served_dead;	/* by workers now gone */
	uint64_t		 conns_lost;	/* held by workers that died */
	uint64_t		 waited_dead;
	uint64_t		 max_reached;	/* max_workers reached */
	int			 notify_fd;	/* programs' NOTIFY_SOCKET */
	char			 notify_name[108];	/* "@preforkd/..." */
};

/* A live worker, as the status report reads it (pool_row()). */
struct pool_row {
	unsigned int		 slot;
	pid_t			 pid;
	unsigned int		 generation;
	int			 retiring;
	int64_t			 started_ms;
	struct sb_slot		 sb;
};

/* Reload verdicts (reload.c), for the master to act on. */
#define RELOAD_NONE	0	/* nothing new */
#define RELOAD_MERGED	1	/* one is running: one more after it */
#define RELOAD_REFUSED	2	/* refused: errors, the old one serves */
#define RELOAD_STARTED	3	/* a new generation starts */
#define RELOAD_READY	4	/* the new generation accepts */
#define RELOAD_UNDONE	5	/* it could not start: the old one is back */
#define RELOAD_DONE	6	/* the old generation is gone */

/* The reload in progress (from SIGHUP to the old generation gone). */
struct reload {
	int			 active;	/* old workers still draining */
	int			 pending;	/* a SIGHUP came meanwhile */
	int			 ready;		/* the new generation accepts */
	int64_t			 started_ms;
	unsigned int		 ok, failed;	/* counters */
	unsigned int		 seq;		/* reloads started */
	int			 verbose;	/* -v: log level debug */
	struct errlist		 warnings;	/* for the verdict */
};

/* A client of the control socket (control.c). */
#define CONTROL_MAX_CLIENTS	8
struct control_client {
	int			 fd;		/* -1 = free */
	char			 buf[256];
	size_t			 len;
	int64_t			 since_ms;
	uint64_t		 seq;		/* order of arrival */
	unsigned int		 wait_reload;	/* answer after this reload */
	int			 asked;		/* a request was taken */
};

/* A request of a control client, for the master to answer. */
#define CONTROL_STATUS	1
#define CONTROL_RELOAD	2
#define CONTROL_BAD	3
struct control_req {
	int			 client;
	int			 type;		/* CONTROL_* */
	char			 arg[32];	/* the status format */
};

/* The control socket and its clients. */
struct control {
	int			 fd;		/* -1 = none */
	struct listener		 sock;
	struct control_client	 clients[CONTROL_MAX_CLIENTS];
};

/* What the status report is made of (status.c). */
struct status_src {
	const struct pool	*pool;
	const struct gens	*gens;
	const struct reload	*reload;
	int64_t			 started_ms;
};

/* The master's state (one per process; master.c alone uses it). */
struct master {
	struct gens		 gens;
	struct pool		 pool;
	struct reload		 reload;
	struct control		 ctl;
	int			 foreground;
	int			 verbose;
	const char		*pidfile;	/* -p, for every generation */
	int64_t			 started_ms;
	int			 ready;		/* the first workers accept */
	unsigned int		 titled_gen;	/* what the title says */
	unsigned int		 titled_target;
};

/* conf.c */
struct conf	*conf_load(const char *path, struct errlist *errs);
struct conf	*conf_parse_buf(const char *name, const char *text,
		    struct errlist *errs);
struct conf	*conf_defaults(struct errlist *errs);
struct conf	*conf_load_lenient(const char *path);
int		 conf_strip_comments(char *text);
void		 conf_set_pidfile(struct conf *conf, const char *pidfile);
void		 conf_free(struct conf *conf);

/* notifymsg.c */
#define NOTIFY_MSG_MAX		4096	/* bytes of a datagram read */
#define NOTIFY_STATUS_MAX	128	/* STATUS= kept, bytes */
#define NOTIFY_FDNAME_MAX	255	/* a LISTEN_FDNAMES name, bytes */
/* One sd_notify datagram, as parsed (every field 0 unless said). */
struct notify_msg {
	int		 ready;		/* READY=1 */
	int		 reloading;	/* RELOADING=1 */
	int		 stopping;	/* STOPPING=1 */
	int		 watchdog;	/* WATCHDOG=1 */
	int		 has_status;	/* STATUS= seen */
	char		 status[NOTIFY_STATUS_MAX];	/* escaped, maybe
					   cut with "..." */
	int		 has_mainpid;
	pid_t		 mainpid;	/* MAINPID=, > 0 */
	int		 has_errno;
	int		 errnum;	/* ERRNO=, 0 to 4095 */
	unsigned int	 unknown;	/* assignments ignored (other keys,
					   bad values, malformed lines) */
};
int		 notify_parse(const void *buf, size_t len, struct notify_msg *m,
		    char *err, size_t errlen);
int		 notify_fdnames(char *const *names, size_t n, char *out,
		    size_t outlen, char *err, size_t errlen);

/* channel.c */
int		 chan_open(int fd[2]);
void		 chan_close(int fd[2]);
ssize_t		 chan_recv(int fd, void *buf, size_t len, pid_t *pid);
int		 chan_event(const void *buf, size_t len, uint32_t *event);
void		 chan_send(int fd, uint32_t event);

/* fsafe.c */
int		 fsafe_opendir(const char *path, int create, char *err,
		    size_t errlen);
int		 fsafe_split(const char *path, char *dir, size_t dirlen,
		    const char **name, char *err, size_t errlen);
int		 fsafe_check(int fd, const char *path, int writing, char *err,
		    size_t errlen);
int		 fsafe_open(const char *path, int flags, mode_t mode,
		    int create_dirs, int *dirfd, char *err, size_t errlen);
int		 fsafe_unlink(int dirfd, const char *name, dev_t dev, ino_t ino);
int		 fsafe_dir_exposed(int dirfd, char *why, size_t whylen);
int		 fsafe_code(const char *path, char *err, size_t errlen);

/* pidlock.c */
int		 pidlock_take(struct pidlock *pl, const char *path,
		    pid_t *other, char *err, size_t errlen);
int		 pidlock_write(struct pidlock *pl, char *err, size_t errlen);
void		 pidlock_release(struct pidlock *pl);
pid_t		 pidlock_holder(const char *path, char *err, size_t errlen);

/* listen.c */
int		 listen_parse(const char *spec, struct laddr out[2], size_t *n,
		    char *err, size_t errlen);
int		 listen_open_priv(struct listener *l, const struct laddr *a,
		    int backlog, mode_t unix_mode, char *err, size_t errlen);
void		 listen_close(struct listener *l, int unlink_path);
int		 listen_check_local(const struct laddr *a, char *err,
		    size_t errlen);
int		 listen_set_mode_priv(struct listener *l, mode_t mode,
		    char *err, size_t errlen);
int		 laddr_ip(const struct sockaddr *sa, socklen_t len,
		    char *host, size_t hostlen, unsigned int *port);
void		 laddr_format(const struct sockaddr *sa, socklen_t len,
		    char *buf, size_t buflen);

/* ucspi.c */
#define UCSPI_ENV_MAX		5	/* connection variables, at most */
#define UCSPI_ENV_BUFLEN	1024	/* bytes that always hold them */
int		 ucspi_env(int fd, const struct sockaddr *peer,
		    socklen_t peerlen, char *const *keep, char *buf,
		    size_t buflen, char **env, size_t envmax, char *err,
		    size_t errlen);

/* util.c */
int		 parse_duration_ms(const char *s, int *ms, char *err,
		    size_t errlen);
int		 parse_uint(const char *s, unsigned int min, unsigned int max,
		    unsigned int *val, char *err, size_t errlen);
int		 parse_size_kb(const char *s, uint64_t *kb, char *err,
		    size_t errlen);
int64_t		 now_ms(void);
int		 socket_set_timeouts(int fd, int read_ms, int write_ms);
void		 errlist_add(struct errlist *errs, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 errlist_add_at(struct errlist *errs, const char *file,
		    int line, const char *option, int warning,
		    const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));
size_t		 errlist_errors(const struct errlist *errs, size_t from);
void		 errlist_sort(struct errlist *errs, size_t from);
void		 errlist_print(const struct errlist *errs, FILE *f);
void		 errlist_free(struct errlist *errs);
const char	*signame(int signo);
size_t		 escape_bytes(char *dst, size_t dstlen, const void *src,
		    size_t len);

/* log.c */
#define LOG_TO_AUTO	-1	/* stderr in the foreground or under
				   systemd, else syslog */
#define LOG_TO_STDERR	0
#define LOG_TO_SYSLOG	1
#define LOG_TO_FILE	2
#define LOG_TO_MASTER	3	/* a worker: through the channel */
#define LOG_WORKER_LINE		1024	/* longer lines are split */
#define LOG_WORKER_RATE		100	/* lines a second per worker ... */
#define LOG_WORKER_BURST	500	/* ... after a burst of this many */
void		 log_init(int target, int level);
int		 log_open(int target, int level, int facility, const char *path,
		    int foreground, char *err, size_t errlen);
int		 log_resolve_target(int target, int foreground);
void		 log_tee(int fd, int owned);
int		 log_gettarget(void);
int		 log_reopen(void);
void		 log_worker_init(int fd);
void		 log_worker_output(struct wout *o, pid_t pid, int slot,
		    const char *data, size_t len, int64_t now);
void		 log_worker_flush(struct wout *o, pid_t pid, int slot);
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
void		 sig_worker_listeners(const struct listener *l, size_t n);
void		 sig_worker_accepting(int on);
void		 sig_worker_mux(sigset_t *waitmask);
void		 sig_backtrace_preload(void);
void		 sig_worker_backtrace(struct sb_slot *slot);
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
#define POOL_POLLFDS	2	/* pool_pollfds() at most */
nfds_t		 pool_pollfds(const struct pool *pool, struct pollfd *pfd);
void		 pool_input(struct pool *pool, const struct pollfd *pfd,
		    nfds_t n, int64_t now);
int		 pool_maintain(struct pool *pool, struct gens *gs, int64_t now);
int		 pool_ready(const struct pool *pool,
		    const struct generation *g);
int		 pool_row(const struct pool *pool, unsigned int *i,
		    struct pool_row *row);
void		 pool_retire_gen(struct pool *pool,
		    const struct generation *g, int others, int told,
		    int grace_ms, int64_t now);
void		 pool_stop(struct pool *pool, int grace_ms, int64_t now);
void		 pool_signal(struct pool *pool, int signo);

/* pool_slot.c */
unsigned int	 pool_count(const struct pool *pool);
int		 pool_slot_of(struct pool *pool, pid_t pid);
void		 pool_retire(struct pool *pool, struct slot *s, int told,
		    int grace_ms, int64_t now);
void		 pool_channel(struct pool *pool, int64_t now);

/* pool_exit.c */
int		 pool_reap(struct pool *pool, int64_t now);
uint64_t	 pool_oom_kills(void);
uint64_t	 pool_proc_number(const char *path, const char *key);
int64_t		 pool_backoff_check(struct pool *pool, struct generation *g,
		    int64_t now);
void		 pool_reset_backoff(struct generation *g);

/* pool_size.c */
int64_t		 pool_tick(struct pool *pool, struct generation *g,
		    int64_t now);
void		 pool_resize(struct pool *pool, struct generation *g,
		    int delta, int64_t now);

/* pool_program.c */
const char	*pool_notify_name(struct pool *pool);
void		 pool_notify(struct pool *pool, int64_t now);
void		 pool_notify_close(struct pool *pool);
int64_t		 pool_programs(struct pool *pool, int64_t now);
void		 pool_program_started(struct slot *s);

/* pool_probe.c */
int		 pool_probe(const struct conf *conf, struct errlist *errs);

/* lset.c */
int		 lset_build(const struct conf *conf, const struct lset *old,
		    struct lset *out, struct errlist *errs);
int		 lset_polled(const struct conf *conf);
void		 lset_mode(const struct conf *conf, struct lset *ls, int keep);
void		 lset_apply(const struct conf *conf, struct lset *ls,
		    struct errlist *warn);
void		 lset_release(struct lset *ls);
void		 lset_close(struct lset *ls);

/* gen.c */
void		 gen_init(struct gens *gs);
struct generation *gen_new(struct gens *gs, struct conf *conf,
		    struct errlist *errs);
void		 gen_switch(struct gens *gs, struct generation *g);
void		 gen_commit(struct gens *gs);
void		 gen_undo(struct gens *gs, struct errlist *warn);
void		 gen_collect(struct gens *gs);
void		 gen_close_listeners(struct gens *gs);
int		 gen_draining(const struct gens *gs);
void		 gen_free_all(struct gens *gs);

/* scoreboard.c */
int		 sb_create(struct scoreboard *sb, unsigned int nslots);
void		 sb_destroy(struct scoreboard *sb);
struct sb_slot	*sb_at(const struct scoreboard *sb, unsigned int i);
struct sb_slot	*sb_isolate(struct scoreboard *sb, unsigned int i);
void		 sb_reset(struct sb_slot *slot, uint32_t generation);
void		 sb_clear(struct sb_slot *slot);
void		 sb_set_state(struct sb_slot *slot, uint32_t state);
void		 sb_set_client(struct sb_slot *slot, const char *client);
void		 sb_set_exit(struct sb_slot *slot, uint32_t reason);
void		 sb_served(struct sb_slot *slot, uint64_t served,
		    uint64_t waited);
void		 sb_set_rss(struct sb_slot *slot, uint64_t rss_kb);
void		 sb_set_conns(struct sb_slot *slot, uint32_t active,
		    uint32_t parked);
struct sb_slot	 sb_read(const struct sb_slot *slot);
const char	*sb_state_name(uint32_t state);

/* detach.c */
void		 detach_start(int keep_stderr);
int		 detach_pending(void);
void		 detach_done(int status);

/* worker.c */
__dead void	 worker_main(struct worker *w);

/* worker_life.c */
uint32_t	 worker_leaving(struct worker *w);
void		 worker_announce(const struct worker *w, uint32_t event);
__dead void	 worker_exit(struct worker *w, uint32_t reason);
void		 worker_peer(const struct sockaddr_storage *ss, socklen_t sslen,
		    char *peer, size_t len);
uint64_t	 worker_rss(struct worker *w);
#define WORKER_ACCEPT_RETRY	0
#define WORKER_ACCEPT_SHORT	1
#define WORKER_BACKOFF_MS	100	/* after EMFILE, ENFILE, ENOBUFS */
int		 worker_accept_error(const struct listener *l, int err);
void		 worker_conn_log(const struct handler_conn *conn);

/* worker_mux.c */
__dead void	 worker_mux_main(struct worker *w);

/* worker_exec.c */
__dead void	 worker_exec(struct worker *w, int fd,
		    const struct sockaddr_storage *ss, socklen_t sslen);
__dead void	 worker_program(struct worker *w, const char *notify);
unsigned long	 worker_request_cap(unsigned int max, unsigned int jitter,
		    uint32_t rnd);

/* client.c */
int		 client_signal(const struct conf *conf, const char *cmd);
int		 client_reload(const struct conf *conf);
int		 client_status(const struct conf *conf, const char *format);

/* master.c */
int		 master_main(struct conf *conf, const char *pidfile,
		    int foreground, int verbose);

/* reload.c */
void		 reload_init(struct reload *r);
int		 reload_start(struct reload *r, struct gens *gs,
		    const char *pidfile, int verbose, struct errlist *errs);
int		 reload_progress(struct reload *r, struct gens *gs,
		    struct pool *pool, int64_t now, struct errlist *errs);
void		 reload_free(struct reload *r);

/* control.c */
int		 control_open(struct control *ctl, const char *path);
void		 control_close(struct control *ctl);
nfds_t		 control_pollfds(struct control *ctl, struct pollfd *pfd);
void		 control_dispatch(struct control *ctl, struct pollfd *pfd,
		    nfds_t n, int64_t now);
int		 control_next(struct control *ctl, struct control_req *req);
void		 control_reply(struct control *ctl, int client,
		    const char *text, size_t len);
void		 control_wait_reload(struct control *ctl, int client,
		    unsigned int seq);
void		 control_reload_done(struct control *ctl, unsigned int seq,
		    const char *text, size_t len);
int		 control_timeout(struct control *ctl, int64_t now);
void		 control_expire(struct control *ctl, int64_t now);

/* status.c */
size_t		 status_render(const struct status_src *src,
		    const char *format, char **out);

/* handler_io.c */
void		 handler_io_hook(void (*waiting)(int on));
/* Set by the worker: whether it exits after the connection in hand. */
void		 handler_io_draining_hook(int (*draining)(void));
/* After every serve(): frees what the readers buffered (conn->priv). */
void		 handler_conn_done(struct handler_conn *conn);
/* A worker serving many connections: where a read or write waits. */
#define HANDLER_WAIT_READ	1
#define HANDLER_WAIT_WRITE	2
void		 handler_io_suspend_hook(int (*suspend)(struct handler_conn *,
		    int, int));
int		 handler_conn_park(struct handler_conn *conn);

/* handlers/handlers.c */
int			 handler_abi_check(const struct handler *h,
			    char *err, size_t len);
int			 handler_multiplexes(const struct handler *h,
			    const char *const *args);
int			 handler_register(const struct handler *h);
const struct handler	*handler_load(const char *path, char *err,
			    size_t len);
const struct handler	*handler_find(const char *name);
const struct handler	*handler_at(size_t i);

/* sockq.c */
int		 sockq_listen(int fd, unsigned int *queued,
		    unsigned int *backlog, char *err, size_t errlen);

#endif /* PREFORKD_H */
