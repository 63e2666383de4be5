#!/usr/bin/env python3
"""parallel: workers accept(2) in parallel on the shared socket: 16
concurrent incr clients are served at the same time, by distinct worker
pids, and a smaller pool serves more clients than it has workers."""

import socket
import threading

import pfd
# worker_connections = 1 where this test is about one connection per
# worker (tests/integration/mux.py covers many): PFD_WORKER_CONNECTIONS
# runs leave it so.
from pfd import check

# 16 workers, 16 clients held open at once: every one is greeted before
# any of them closes, and each is held by its own worker.
d = pfd.Daemon("parallel", pfd.default_conf(worker_connections=1, workers=16))
port = d.port()
d.wait_workers(16)
clients = [pfd.connect(port) for _ in range(16)]
for c in clients:
    check(pfd.recv_exact(c, 1) == b"*", "client %d greeted while the others "
          "are still connected" % c.getsockname()[1])
owner = {}
for c in clients:
    inode = pfd.server_inode(port, c.getsockname()[1])
    holders = [w for w in d.workers() if inode in pfd.socket_inodes(w)]
    check(len(holders) == 1, "connection %d is held by one worker"
          % c.getsockname()[1])
    owner[c] = holders[0]
check(len(set(owner.values())) == 16, "16 connections are held by 16 "
      "distinct workers at the same time")
for i, c in enumerate(clients):
    c.sendall(b"^client %d$" % i)
for i, c in enumerate(clients):
    want = pfd.incr_expect(b"^client %d$" % i)
    check(pfd.recv_exact(c, len(want)) == want, "client %d answered" % i)
    c.close()
d.stop()

# 4 workers, 16 concurrent clients doing several exchanges each: every
# client completes, and the load is spread over at least 4 worker pids.
d = pfd.Daemon("parallel-4", pfd.default_conf(worker_connections=1, workers=4))
port = d.port()
d.wait_workers(4)
served_by = []
errors = []
lock = threading.Lock()


def client(n):
    try:
        for k in range(20):
            s = pfd.connect(port)
            pfd.recv_exact(s, 1)
            inode = pfd.server_inode(port, s.getsockname()[1])
            frame = b"^%d-%d$" % (n, k)
            s.sendall(frame)
            want = pfd.incr_expect(frame)
            got = pfd.recv_exact(s, len(want))
            if got != want:
                raise ValueError("%r != %r" % (got, want))
            who = [w for w in d.workers() if inode in pfd.socket_inodes(w)]
            with lock:
                served_by.extend(who)
            s.close()
    except Exception as e:      # reported below, in the main thread
        with lock:
            errors.append("client %d: %r" % (n, e))


threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(not errors, "16 concurrent clients x 20 sessions all answered "
      "in full %s" % errors[:3])
check(len(set(served_by)) >= 4, "served by %d distinct worker pids (>= 4)"
      % len(set(served_by)))
check(d.stop() == 0, "clean stop")
