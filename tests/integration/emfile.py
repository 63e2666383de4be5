#!/usr/bin/env python3
"""emfile: a worker out of file descriptors backs off (no busy loop) and
logs at most once a second, then serves again once descriptors are free.
The fdhog test service holds two descriptors more than a worker needs,
so a limit that the master lives with leaves its worker none to accept
with."""

import os
import resource
import time

import pfd
from pfd import check

# The master: 0-2, the listener, the two ends of the event pipe (no
# pidfile, so no control socket).  The worker: 0-2, the listener, the
# event pipe and fdhog's two: every one of its 7 allowed descriptors is
# taken, so every accept(2) fails with EMFILE.
LIMIT = 7
pfd.PREFORKD = os.environ["PREFORKD_TEST"]


def limit():
    # a soft limit only: the hard one leaves room to raise it again
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, 64))


d = pfd.Daemon("emfile", pfd.default_conf(workers=1, pidfile='""',
                                          service="fdhog"),
               preexec_fn=limit)
port = d.port()
w = d.wait_workers(1)[0]
c = pfd.connect(port)               # queued: the worker cannot accept it
time.sleep(0.3)
cpu0 = pfd.cpu_seconds(w)
t0 = time.monotonic()
time.sleep(3)
cpu = pfd.cpu_seconds(w) - cpu0
elapsed = time.monotonic() - t0
n = d.log().count("Too many open files")
check(n >= 1, "EMFILE is logged (%d lines)" % n)
check(n <= elapsed + 2, "at most once a second (%d lines in %.1fs)"
      % (n, elapsed))
check(cpu < 0.5, "no busy loop: the worker used %.2fs CPU in %.1fs"
      % (cpu, elapsed))

# Free descriptors: the queued client is served.
check(pfd.set_nofile(w, 64, 64),
      "soft RLIMIT_NOFILE of the worker raised to 64")
c.settimeout(5)
check(pfd.recv_exact(c, 3) == b"ok\n", "once descriptors are available, "
      "the queued client is served")
c.close()
check(d.stop() == 0, "clean stop")
