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
 * conf_service.c: what the service is and what it needs.  A built-in
 * (incr, echo: its service_args checked here, by its own check()), a
 * loadable module (`service = module`, `module = NAME` in module_dir or
 * an absolute path), a program per connection (`service = exec`, `exec =
 * { argv }`) or a long-running program per worker (`service = program`,
 * `program = { argv }` and its readiness and stop options).
 *
 * What can be checked without running the service's code is checked
 * here; a module's own check() and the programs' files are checked
 * later in a process dropped like a worker (pool_probe.c), never in the
 * master.  Settings that do nothing for the chosen kind are warnings.
 *
 * Part of the configuration module (conf_int.h).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conf_int.h"

#define CONF_ARGV_MAX	256	/* words of exec or program */

static const struct {
	const char	*name;
	int		 kind;
} service_kinds[] = {
	{ "module",	SERVICE_MODULE },
	{ "exec",	SERVICE_EXEC },
	{ "program",	SERVICE_PROGRAM },
};

/* The kind of service name is, or -1 for none. */
int
conf_service_kind(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(service_kinds) / sizeof(service_kinds[0]); i++)
		if (strcmp(service_kinds[i].name, name) == 0)
			return service_kinds[i].kind;
	return handler_find(name) != NULL ? SERVICE_BUILTIN : -1;
}

/* service: a built-in's name, or module, exec, program. */
int
conf_str_service(const char *opt, const char *v, char *err, size_t len)
{
	char	names[256] = "";
	size_t	i;

	if (conf_service_kind(v) != -1)
		return 0;
	for (i = 0; handler_at(i) != NULL; i++) {
		if (i > 0)
			strlcat(names, ", ", sizeof(names));
		strlcat(names, handler_at(i)->name, sizeof(names));
	}
	snprintf(err, len, "unknown service '%s' (built-in services: %s; "
	    "or module, exec, program)", v, names);
	return -1;
}

/*
 * module: a name (letters, digits, '.', '-', '_'; found in module_dir,
 * ".so" added if it has no such ending) or an absolute path.
 */
int
conf_str_module(const char *opt, const char *v, char *err, size_t len)
{
	const char	*p;

	if (*v == '\0' || *v == '/')
		return 0;
	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
			break;
	if (*p == '\0' && *v != '.')
		return 0;
	snprintf(err, len, "'%s' is neither a module name (letters, digits, "
	    "'.', '-', '_') nor an absolute path", v);
	return -1;
}

/* Whether the option opt was written in the file (not a default). */
static int
conf_set(const char *opt)
{
	struct conf_line	*cl = conf_line(opt);

	return cl->line > 0 || cl->nassign > 0;
}

static int
conf_where(const char *opt)
{
	struct conf_line	*cl = conf_line(opt);

	return cl->line > 0 ? cl->line : cl->nassign > 0 ? cl->assign[0] : 0;
}

/* Warn about opt, set but doing nothing with this kind of service. */
static void	conf_service_mux(const struct conf *conf);

static void
conf_service_idle(const char *opt, const char *why)
{
	if (conf_set(opt))
		conf_warn(conf_where(opt), opt, "has no effect %s", why);
}

/* The words of the list opt (exec or program) in conf->argv. */
static void
conf_service_argv(cfg_t *cfg, struct conf *conf, const char *opt)
{
	size_t	i, n = cfg_size(cfg, opt);
	int	line = conf_where(opt);

	if (line == 0)
		line = conf_where("service");
	if (n == 0) {
		conf_error(line, opt, "service = %s needs %s = { \"/path/to/"
		    "program\", \"argument\", ... }", opt, opt);
		return;
	}
	if (n > CONF_ARGV_MAX) {
		conf_error(line, opt, "%zu words, at most %d", n,
		    CONF_ARGV_MAX);
		return;
	}
	if (*cfg_getnstr(cfg, opt, 0) != '/') {
		conf_error(line, opt, "'%s' is not an absolute path (no "
		    "search in PATH, no shell)", cfg_getnstr(cfg, opt, 0));
		return;
	}
	if ((conf->argv = calloc(n + 1, sizeof(char *))) == NULL)
		fatal("conf");
	for (i = 0; i < n; i++)
		if ((conf->argv[i] = strdup(cfg_getnstr(cfg, opt, i))) == NULL)
			fatal("conf");
}

/* The module's path: module itself, or module_dir/module[.so]. */
static void
conf_service_module(cfg_t *cfg, struct conf *conf)
{
	const char	*m = cfg_getstr(cfg, "module");
	const char	*dir = cfg_getstr(cfg, "module_dir");
	size_t		 len = strlen(m);
	int		 n;

	if (*m == '\0') {
		conf_error(conf_where("service"), "module", "service = module "
		    "needs module = NAME (in module_dir) or an absolute path");
		return;
	}
	if (*m == '/')
		n = snprintf(conf->module, sizeof(conf->module), "%s", m);
	else
		n = snprintf(conf->module, sizeof(conf->module), "%s/%s%s",
		    dir, m, len > 3 && strcmp(m + len - 3, ".so") == 0 ? "" :
		    ".so");
	if (n < 0 || (size_t)n >= sizeof(conf->module))
		conf_error(conf_where("module"), "module", "the path is too "
		    "long");
}

/* service_args: copied; a built-in's own check() reads them now. */
static void
conf_service_args(cfg_t *cfg, struct conf *conf)
{
	const struct handler	*h = handler_find(conf->service);
	struct conf_line	*cl = conf_line("service_args");
	size_t			 i, n = cfg_size(cfg, "service_args");
	char			 err[512];
	int			 line = cl->nitems > 0 ? cl->items[0] : 0;

	if ((conf->service_args = calloc(n + 1, sizeof(char *))) == NULL)
		fatal("conf");
	for (i = 0; i < n; i++)
		if ((conf->service_args[i] = strdup(cfg_getnstr(cfg,
		    "service_args", i))) == NULL)
			fatal("conf");
	if (n == 0 || conf->service_kind == SERVICE_MODULE)
		return;		/* a module's check() runs in a probe */
	if (conf->service_kind != SERVICE_BUILTIN)
		conf_warn(line, "service_args", "has no effect with service "
		    "= %s (arguments go in the %s list)", conf->service,
		    conf->service);
	else if (h->check == NULL)
		conf_error(line, "service_args", "service %s takes no "
		    "arguments", h->name);
	else if (h->check((const char *const *)conf->service_args, err,
	    sizeof(err)) == -1)
		conf_error(line, "service_args", "%s", err);
}

/* What a program worker cannot do: the daemon does not see its
   connections. */
static void
conf_service_program(struct conf *conf)
{
	static const char *const unseen[] = {
		"max_requests", "max_requests_jitter", "request_timeout",
		"request_timeout_soft", "read_timeout", "write_timeout",
		"defer_accept",
	};
	size_t	i;

	for (i = 0; i < sizeof(unseen) / sizeof(unseen[0]); i++)
		conf_service_idle(unseen[i], "with service = program (the "
		    "program sees the connections, preforkd does not)");
	if (conf->max_workers > 0)
		conf_error(conf_where("max_workers"), "max_workers", "a "
		    "dynamic pool needs to know which workers are idle, and a "
		    "program does not say: use workers, and SIGTTIN/SIGTTOU");
	if (conf->program_ready != READY_DELAY)
		conf_service_idle("program_ready_delay", "with program_ready "
		    "= notify");
}

/*
 * The service's kind and what it needs (after a clean parse, conf->service
 * already checked).  Problems go to the parse's list.
 */
void
conf_service(cfg_t *cfg, struct conf *conf)
{
	static const char *const program_opts[] = {
		"program_ready", "program_ready_delay",
		"program_start_timeout", "program_stop_signal",
	};
	size_t	i;

	if ((conf->service_kind = conf_service_kind(conf->service)) == -1) {
		conf->service_kind = SERVICE_BUILTIN;	/* reported already */
		return;
	}
	conf->service_line = conf_where(conf->service_kind == SERVICE_MODULE ?
	    "module" : conf->service_kind == SERVICE_BUILTIN ? "service" :
	    conf->service);
	if (conf->service_line == 0)
		conf->service_line = conf_where("service");
	conf->args_line = conf_where("service_args");
	conf->mux_line = conf_where("worker_connections");
	if (conf->service_kind == SERVICE_MODULE)
		conf_service_module(cfg, conf);
	else {
		conf_service_idle("module", "without service = module");
		conf_service_idle("module_dir", "without service = module");
	}
	if (conf->service_kind == SERVICE_EXEC ||
	    conf->service_kind == SERVICE_PROGRAM)
		conf_service_argv(cfg, conf, conf->service);
	if (conf->service_kind != SERVICE_EXEC)
		conf_service_idle("exec", "without service = exec");
	if (conf->service_kind != SERVICE_PROGRAM) {
		conf_service_idle("program", "without service = program");
		for (i = 0; i < sizeof(program_opts) / sizeof(program_opts[0]);
		    i++)
			conf_service_idle(program_opts[i], "without service "
			    "= program");
	} else
		conf_service_program(conf);
	if (conf->service_kind == SERVICE_EXEC) {
		conf_service_idle("max_requests", "with service = exec (each "
		    "program serves one connection)");
		conf_service_idle("request_timeout_soft", "with service = "
		    "exec (a program has no backtrace to give)");
	}
	conf_service_args(cfg, conf);
	conf_service_mux(conf);
}

/*
 * worker_connections > 1 runs serve() for many connections in one
 * process: only for a service that waits in handler I/O alone (it says
 * so, given its arguments).  A module says it in the probe.
 */
static void
conf_service_mux(const struct conf *conf)
{
	const struct handler	*h;
	int			 line = conf_where("worker_connections");

	if (conf->worker_connections <= 1) {
		conf_service_idle("keepalive_timeout", "with "
		    "worker_connections = 1 (nothing is parked)");
		return;
	}
	if (conf->service_kind == SERVICE_EXEC ||
	    conf->service_kind == SERVICE_PROGRAM)
		conf_error(line, "worker_connections", "must be 1 with "
		    "service = %s (a program serves its connection itself)",
		    conf->service);
	else if (conf->service_kind == SERVICE_BUILTIN &&
	    (h = handler_find(conf->service)) != NULL &&
	    !handler_multiplexes(h, (const char *const *)conf->service_args))
		conf_error(line, "worker_connections", "must be 1 with "
		    "service %s%s: it blocks outside handler I/O, so one "
		    "connection would stall the others", h->name,
		    conf->service_args != NULL && conf->service_args[0] !=
		    NULL ? " and these service_args" : "");
}
