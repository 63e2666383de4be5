#!/usr/bin/env python3
"""reloadwake: a connection that arrives just as a reload tells the old
generation to go is served at once, never left in the listen queue.

Workers polling several listeners wait with EPOLLEXCLUSIVE: the kernel
wakes one of them per connection.  An old worker woken for a connection
and then told to retire used to close its listeners before accepting it,
leaving the connection queued with every other worker asleep until the
next connection or the listener's read_timeout (30 s here).  The window
is microseconds wide on an idle machine: two CPU hogs owned by the test
widen it (before the fix, 10 to 20 of 60 such reloads stalled).

One client, alone, connects right after each of 60 reloads, alternating
a two-listener configuration (epoll) and a one-listener one (blocking
accept on the same, shared, TCP socket); each session must complete
within 5 s."""

import atexit
import re
import signal
import socket
import subprocess
import sys
import time

import pfd
from pfd import check

TWO = """listen = { "127.0.0.1:0", "unix:@DIR@/b.sock" }
workers = 4
read_timeout = 30s
"""
ONE = """listen = { "127.0.0.1:0" }
workers = 3
read_timeout = 30s
"""
RELOADS = 60

hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(2)]


def stop_hogs():
    for h in hogs:
        if h.poll() is None:
            h.send_signal(signal.SIGKILL)
            h.wait()


atexit.register(stop_hogs)

d = pfd.Daemon("reloadwake", TWO)
port = d.port()
d.wait_workers(4)
stalled, served = [], 0
for i in range(RELOADS):
    d.write_conf(ONE if i % 2 else TWO)
    r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        pfd.fail("reload %d refused: %s" % (i + 1, r.stderr.strip()))
    t0 = time.monotonic()
    s = pfd.connect(port, timeout=5)
    try:
        check_greeting = pfd.recv_exact(s, 1) == b"*"
        s.sendall(b"^ok$")
        if not check_greeting or pfd.recv_exact(s, 2) != b"pl":
            pfd.fail("reload %d: a wrong answer" % (i + 1))
        served += 1
    except (socket.timeout, TimeoutError):
        stalled.append((i + 1, round(time.monotonic() - t0, 1)))
    finally:
        s.close()
stop_hogs()

pfd.log("%d sessions right after a reload, %d stalled" %
        (served + len(stalled), len(stalled)))
check(not stalled, "every connection made as the old generation goes is "
      "served (stalled: reload, seconds %s)" % stalled)
check(served == RELOADS, "%d sessions served" % served)
check(len(re.findall(r"accepting, \d+ ms after", d.log())) == RELOADS,
      "%d reloads, each accepted" % RELOADS)
check(d.stop() == 0, "clean stop")
