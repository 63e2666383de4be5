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
 * testmod.c: a loadable module for the tests (tests/integration/module.py),
 * built several times: TESTMOD_VERSION (what it answers), TESTMOD_ABI (a
 * module built for another ABI), TESTMOD_NOSYM (no preforkd_handler).
 *
 * service_args, each "key=value":
 *   check=ok|refuse|crash|hang|uid   what check() does ("uid": refuses,
 *                                    saying the ids it runs with)
 *   init=ok|fail|crash|hang          what init() does
 * serve() answers one line: "v<VERSION> uid=<euid at init> check=<euid
 * at check, or -1 in this process>\n", then echoes lines until EOF.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <preforkd/handler.h>

#ifndef TESTMOD_VERSION
#define TESTMOD_VERSION	1
#endif

static long	init_uid = -1;
static long	check_uid = -1;

static const char *
arg(const char *const *args, const char *key)
{
	size_t	len = strlen(key);

	for (; args != NULL && *args != NULL; args++)
		if (strncmp(*args, key, len) == 0 && (*args)[len] == '=')
			return *args + len + 1;
	return "ok";
}

static void
act(const char *what)
{
	if (strcmp(what, "crash") == 0)
		raise(SIGSEGV);
	if (strcmp(what, "hang") == 0)
		for (;;)
			pause();
}

static int
testmod_check(const char *const *args, char *err, size_t errlen)
{
	const char	*what = arg(args, "check");

	check_uid = (long)geteuid();
	act(what);
	if (strcmp(what, "refuse") == 0) {
		snprintf(err, errlen, "check=refuse: refused as asked");
		return -1;
	}
	if (strcmp(what, "uid") == 0) {
		snprintf(err, errlen, "check ran as uid %ld euid %ld gid %ld",
		    (long)getuid(), (long)geteuid(), (long)getgid());
		return -1;
	}
	return 0;
}

static int
testmod_init(const struct handler_env *env, void **data)
{
	const char	*what = arg(env->args, "init");

	*data = NULL;
	init_uid = (long)geteuid();
	act(what);
	if (strcmp(what, "fail") == 0) {
		env->log(HANDLER_LOG_ERR, "init=fail: failing as asked");
		return -1;
	}
	return 0;
}

static int
testmod_serve(struct handler_conn *conn)
{
	char	buf[256];
	ssize_t	n;
	int	len;

	len = snprintf(buf, sizeof(buf), "v%d uid=%ld check=%ld\n",
	    TESTMOD_VERSION, init_uid, check_uid);
	if (handler_write(conn, buf, len) == -1)
		return HANDLER_CLOSE;
	while ((n = handler_read(conn, buf, sizeof(buf))) > 0)
		if (handler_write(conn, buf, n) == -1)
			return HANDLER_CLOSE;
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}

#ifdef TESTMOD_NOSYM		/* a shared object, but no module */
#define TESTMOD_SYMBOL	testmod_handler
#else
#define TESTMOD_SYMBOL	preforkd_handler
#endif

const struct handler TESTMOD_SYMBOL = {
#ifdef TESTMOD_ABI
	.abi = TESTMOD_ABI,
	.size = sizeof(struct handler),
#else
	HANDLER_HEADER,
#endif
	.name = "testmod",
	.description = "a module for the tests",
	.init = testmod_init,
	.serve = testmod_serve,
	.check = testmod_check,
};
