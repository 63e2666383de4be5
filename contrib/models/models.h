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
 * models.h: what the reference servers of contrib/models share (common.c)
 * and the event loop that sped.c lends to reuseport.c.
 */

#ifndef PREFORKD_MODELS_H
#define PREFORKD_MODELS_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>

#define MODEL_BACKLOG	511
#define MODEL_CHUNK	4096		/* as INCR_CHUNK in src/handlers/incr.c */
#define MODEL_NONBLOCK	0x1		/* model_listen() flags */
#define MODEL_REUSEPORT	0x2

struct model_opts {
	int	port;			/* -p; the bound port after model_listen() */
	int	workers;		/* -w, where the model has a pool */
	long	burn_us;		/* -b: CPU microseconds per frame */
	long	sleep_us;		/* -s: microseconds asleep per frame */
};

extern struct model_opts mopt;

void	model_init(int, char *[], const char *, int);
int	model_listen(int);
void	model_announce(void);
int	model_accept(int, int);
void	model_work(size_t);
void	model_serve(int);
void	model_stop_children(const sigset_t *, const pid_t *, int);
__attribute__((__noreturn__)) void sped_loop(int);

#endif /* PREFORKD_MODELS_H */
