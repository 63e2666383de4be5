#!/usr/bin/env python3
"""respawn: a worker killed with SIGKILL is replaced, the log says why,
and no other worker's client notices anything."""

import os
import signal
import time

import pfd
# worker_connections = 1 where this test is about one connection per
# worker (tests/integration/mux.py covers many): PFD_WORKER_CONNECTIONS
# runs leave it so.
from pfd import check

d = pfd.Daemon("respawn", pfd.default_conf(worker_connections=1, workers=4))
port = d.port()
before = d.wait_workers(4)

# Two clients in the middle of sessions, each held by its own worker.
a, b = pfd.connect(port), pfd.connect(port)
for c in (a, b):
    pfd.recv_exact(c, 1)
    c.sendall(b"^open")
    check(pfd.recv_exact(c, 4) == b"pqfo", "client mid-frame")


def holder(c):
    inode = pfd.server_inode(port, c.getsockname()[1])
    return [w for w in d.workers() if inode in pfd.socket_inodes(w)][0]


wa, wb = holder(a), holder(b)
check(wa != wb, "the two clients are held by different workers")

# Kill the worker serving a: a loses its connection, b does not.
os.kill(wa, signal.SIGKILL)
d.wait_log(r"worker %d exited: killed by SIGKILL" % wa,
           what="the log line for the killed worker")
try:
    a.sendall(b"x")
    lost = a.recv(10) == b""
except (ConnectionResetError, BrokenPipeError):
    lost = True
check(lost, "the killed worker's own client sees its connection end")
b.sendall(b" still here$")
want = pfd.incr_expect(b"^ still here$")
check(pfd.recv_exact(b, len(want)) == want, "the other client is served "
      "as if nothing happened")
b.close()
a.close()

after = d.wait_workers(4)
check(wa not in after and len(after) == 4, "the pool is back to 4 workers")
new = set(after) - set(before)
check(len(new) == 1, "exactly one new worker pid (%s)" % sorted(new))

# Kill all but one, one after the other: each is replaced, service goes on.
for w in list(after)[:3]:
    os.kill(w, signal.SIGKILL)
    d.wait_log(r"worker %d exited: killed by SIGKILL" % w)
    pfd.incr_session(port)
final = d.wait_workers(4)
check(len(final) == 4, "still 4 workers after 3 more kills")
check("back-off" not in d.log(), "four isolated kills do not trigger the "
      "crash-loop back-off")
for i in range(50):
    pfd.incr_session(port, (b"^%d$" % i,))
check(True, "service goes on after the kills")

# A crash is named by its signal (SIGABRT: sanitizers leave it alone).
w = d.workers()[0]
os.kill(w, signal.SIGABRT)
d.wait_log(r"worker %d exited: killed by SIGABRT" % w)
check(True, "a SIGABRT death is logged with its signal name")
check(d.stop() == 0, "clean stop")
