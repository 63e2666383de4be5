#!/usr/bin/env python3
"""retirerace: a worker's retirement counts for that worker's life only
(issue 8, B6).  With max_requests = 1 every connection retires a worker;
bursts of short connections used to let a stale "retiring" message of a
worker already gone mark its successor in the same slot, and the pool
settled one worker above its target, with an idle worker marked
retiring.  After the bursts the pool must settle at its target, with no
worker retiring.  Two CPU hogs run meanwhile: a busy master reads the
message after it replaced the worker, which is when it went wrong."""

import json
import os
import signal
import subprocess
import sys
import threading

import pfd
from pfd import check

d = pfd.Daemon("retirerace", pfd.default_conf(workers=3, max_requests=1))
port = d.port()
d.wait_workers(3)


def burst(n):
    for i in range(n):
        try:
            pfd.incr_session(port)
        except OSError:
            pass


def status():
    r = subprocess.run([pfd.PREFORKD, "-c", d.conf_path, "status",
                        "--json"], capture_output=True, text=True)
    return json.loads(r.stdout)


hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for i in range(2)]
pfd.atexit.register(lambda: [h.kill() for h in hogs])
worst = None
for round in range(40):
    threads = [threading.Thread(target=burst, args=(20,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def settled():
        st = status()
        w = st["workers"]
        return st if w["total"] == 3 and w["idle"] == 3 else None
    st = pfd.wait_for(settled, timeout=10, what="the pool to settle at 3 "
                      "idle workers after burst %d: %s" % (round, status()))
    worst = st
for h in hogs:
    h.kill()
    h.wait()
check(worst["workers"]["retiring"] == 0 and worst["workers"]["total"] == 3,
      "after 40 bursts of 80 connections the pool settles at its target "
      "every time, nobody retiring")
check(d.stop() == 0, "clean stop")
