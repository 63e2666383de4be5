#!/usr/bin/env python3
"""graceful: SIGQUIT stops accepting at once and lets connections in
progress finish (exit 0); one still busy after graceful_timeout is
terminated, with a log line naming it and its client; SIGTTIN and SIGTTOU
add and retire one worker within the limits."""

import os
import signal
import socket
import time

import re
import pfd
from pfd import check

d = pfd.Daemon("graceful", pfd.default_conf(workers=3, graceful_timeout="30s"))
port = d.port()
d.wait_workers(3)
c = pfd.connect(port)
check(pfd.recv_exact(c, 1) == b"*", "a client in a session")
c.sendall(b"^ab")
pfd.recv_exact(c, 2)
os.kill(d.pid, signal.SIGQUIT)
d.wait_log(r"graceful stop: waiting for")


def refused():
    """The listening socket is gone once the master and every worker
    (each in its SIGUSR2 handler) closed their copies."""
    try:
        pfd.connect(port, timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


pfd.wait_for(refused, timeout=5, what="new connections to be refused")
check(True, "after SIGQUIT new connections are refused")
c.sendall(b"cd$")
check(pfd.recv_exact(c, 2) == b"de", "the connection in progress is still "
      "served")
check(d.proc.poll() is None, "the master waits for it")
c.close()
check(d.proc.wait(10) == 0, "once it is done, the master exits 0")
check(len(re.findall(r"exited: stopped after", d.log())) == 3,
      "each worker's exit says 'stopped'")

# A client that never finishes: terminated after graceful_timeout.
d = pfd.Daemon("graceful-timeout", pfd.default_conf(
    workers=2, graceful_timeout="1s", read_timeout="60s"))
port = d.port()
d.wait_workers(2)
c = pfd.connect(port)
pfd.recv_exact(c, 1)
client = "127.0.0.1:%d" % c.getsockname()[1]
os.kill(d.pid, signal.SIGQUIT)
d.wait_log(r"still reading with %s after graceful_timeout: SIGTERM" % client,
           timeout=10)
check(True, "a worker still busy at graceful_timeout is named with its "
      "client and terminated")
check(d.proc.wait(10) == 0, "the master exits 0")
check(c.recv(1) == b"", "the stalled client's connection is closed")
c.close()

# SIGTTIN, SIGTTOU.
d = pfd.Daemon("graceful-ttin", pfd.default_conf(workers=2))
d.wait_workers(2)
r = pfd.subprocess.run([pfd.PREFORKD, "-s", "ttin", "-c", d.conf_path])
check(r.returncode == 0, "preforkd -s ttin sends SIGTTIN")
d.wait_workers(3)
check(True, "SIGTTIN: one worker more")
check("gen 1, 3 workers" in pfd.cmdline(d.pid), "the master's title says 3")
os.kill(d.pid, signal.SIGTTOU)
d.wait_log(r"exited: retired: SIGTTOU", count=1)
os.kill(d.pid, signal.SIGTTOU)      # (signals sent together coalesce)
d.wait_log(r"exited: retired: SIGTTOU", count=2)
d.wait_workers(1)
check(True, "SIGTTOU twice: one worker left")
os.kill(d.pid, signal.SIGTTOU)
d.wait_log(r"SIGTTOU: the pool stays at 1 worker\b")
time.sleep(0.3)
check(len(d.workers()) == 1, "never below one worker")
pfd.incr_session(d.port())
check(d.stop() == 0, "clean stop")
