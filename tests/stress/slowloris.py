#!/usr/bin/env python3
"""slowloris: 10x the pool of idle connections, half sending nothing,
half one byte a second inside a frame: each holds a worker at most
read_timeout plus one read, so a client queued behind them all is served
after about (10x W / W) x (read_timeout + 1 s): the preforking model
serves slow clients in turn, it does not drop them unseen.  A dynamic
pool grows past them instead (max_workers).  defer_accept
keeps connections that send nothing from ever taking a worker (echo,
where the client speaks first): then the new client is served at once."""

import socket
import threading
import time

import pfd
from pfd import check

W, RT = 4, 1.0
d = pfd.Daemon("slowloris", pfd.default_conf(workers=W, read_timeout="1s",
                                             backlog=128))
port = d.port()
d.wait_workers(W)
stop = threading.Event()


def trickle(s):
    try:
        s.sendall(b"^")
        while not stop.is_set():
            s.sendall(b"a")
            time.sleep(1)
    except OSError:
        pass                    # closed by the server: expected


def queued_client(port, what):
    """10 x W slow clients (half trickling), then one that is timed: the
    seconds until it is greeted, its socket and the slow ones."""
    stop.clear()
    slow = [pfd.connect(port) for _ in range(10 * W)]
    for s in slow[1::2]:
        threading.Thread(target=trickle, args=(s,), daemon=True).start()
    time.sleep(0.2)
    t1 = time.monotonic()       # a legitimate client behind them all
    s = pfd.connect(port, timeout=120)
    check(pfd.recv_exact(s, 1) == b"*", what + "the new client is greeted")
    return time.monotonic() - t1, s, slow


wait, s, slow = queued_client(port, "")
s.sendall(b"^ok$")
pfd.recv_exact(s, 2)
s.close()
stop.set()
bound = 10 * (RT + 1) + 3
pfd.log("slowloris: %d slow connections (half trickling) on %d workers; a "
        "client queued behind them was served after %.2f s (read_timeout "
        "%.1f s; bound %.0f s)" % (10 * W, W, wait, RT, bound))
check(wait <= bound, "each slow client holds a worker at most read_timeout "
      "+ one read: the queue drains (%.2f s)" % wait)
# (with worker_connections > 1 the queued client is served at once, and
# the slow ones time out afterwards: wait for them)
d.wait_log(r"read timeout \(1000 ms\)", count=10 * W - W, timeout=15,
           what="the slow clients' read timeouts")
check(True, "the slow clients were closed at read_timeout")
for s in slow:
    s.close()
check(d.stop() == 0, "clean stop")

# A dynamic pool grows past the slow clients (spawns ramp 1, 2, 4 ... per
# second up to max_workers): the queued client waits for the ramp, not
# for the slow clients' timeouts.
# (one connection per worker: growing is what this part is about)
d = pfd.Daemon("slowloris-dynamic", pfd.default_conf(
    worker_connections=1, workers=W, min_spare=2, max_spare=8, max_workers=64, read_timeout="10s",
    backlog=128))
port = d.port()
d.wait_workers(W)
wait, s, slow = queued_client(port, "dynamic pool: ")
s.close()
stop.set()
grown = len(d.workers())
pfd.log("slowloris, dynamic pool (workers %d, max_workers 64, read_timeout "
        "10 s): %d slow connections; the queued client was served after "
        "%.2f s, the pool had grown to %d" % (W, 10 * W, wait, grown))
check(grown > 10 * W, "the pool grew past the slow clients (%d workers)"
      % grown)
check(wait < 10.0, "the queued client did not wait for read_timeout "
      "(%.2f s)" % wait)
for s in slow:
    s.close()
check(d.stop() == 0, "clean stop")

# defer_accept, echo (client speaks first): idle connections never reach a
# worker, the new client is served at once.
for defer in ("0", "30s"):
    d = pfd.Daemon("slowloris-defer", pfd.default_conf(
        service="echo", workers=W, read_timeout="1s", defer_accept=defer))
    port = d.port()
    d.wait_workers(W)
    idle = [pfd.connect(port) for _ in range(10 * W)]
    time.sleep(0.2)
    t1 = time.monotonic()
    c = pfd.connect(port, timeout=120)
    c.sendall(b"hi")
    pfd.recv_exact(c, 2)
    wait = time.monotonic() - t1
    c.close()
    pfd.log("echo, defer_accept = %s: %d idle connections, a new client "
            "answered after %.2f s" % (defer, 10 * W, wait))
    if defer != "0":
        check(wait < 1.5, "with defer_accept the idle connections take no "
              "worker (%.2f s)" % wait)
    for s in idle:
        s.close()
    check(d.stop() == 0, "clean stop")
