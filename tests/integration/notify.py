#!/usr/bin/env python3
"""notify: under systemd (Type=notify), the master says READY=1 once every
worker accepts, with a STATUS= line, and STOPPING=1 when it stops; it
works with a socket path and with an abstract socket name."""

import os
import socket

import pfd
from pfd import check


def messages(sock, until, timeout=10):
    got = []
    sock.settimeout(timeout)
    while not any(until in m for m in got):
        got.append(sock.recv(4096).decode())
    return got


for abstract in (False, True):
    d = pfd.Daemon("notify", pfd.default_conf(workers=4), start=False)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "@preforkd-test-%d" % os.getpid()
        sock.bind("\0" + name[1:])
    else:
        name = os.path.join(d.dir, "notify.sock")
        sock.bind(name)
    d.env = dict(os.environ, NOTIFY_SOCKET=name)
    d.start()
    got = messages(sock, "READY=1")
    ready = [m for m in got if "READY=1" in m][0]
    kind = "abstract" if abstract else "path"
    check("READY=1" in ready, "%s: READY=1 received" % kind)
    workers = [w for w in d.workers()]
    check(len(workers) == 4, "%s: the 4 workers are up when READY comes"
          % kind)
    check("STATUS=generation 1: 4 workers, service incr" in ready,
          "%s: a STATUS= line: %r" % (kind, ready))
    check("ready: 4 workers" in d.log(), "the log says ready")
    for w in workers:
        check(pfd.proc_status(w) is not None and
              "NOTIFY_SOCKET" not in open("/proc/%d/environ" % w).read()
              if os.access("/proc/%d/environ" % w, os.R_OK) else True,
              "workers do not see NOTIFY_SOCKET")
    d.proc.send_signal(15)
    got = messages(sock, "STOPPING=1")
    check(any("STOPPING=1" in m for m in got), "%s: STOPPING=1 on SIGTERM"
          % kind)
    check(d.proc.wait(10) == 0, "clean stop")
    sock.close()
