#!/usr/bin/env python3
"""timeout: a client that stalls is closed at read_timeout, one that does
not read is closed at write_timeout, and the worker goes back to accept."""

import socket
import time

import pfd
from pfd import check

d = pfd.Daemon("timeout", pfd.default_conf(
    workers=1, read_timeout="300ms", write_timeout="300ms"))
port = d.port()
d.wait_workers(1)

# Silent client: greeted, then closed by the server.
s = pfd.connect(port)
check(pfd.recv_exact(s, 1) == b"*", "greeted")
t0 = time.monotonic()
check(s.recv(10) == b"", "a silent client is closed by the server")
pfd.log("closed after %.2fs (read_timeout 300ms)" % (time.monotonic() - t0))
d.wait_log(r"read timeout \(300 ms\), connection closed")
check(True, "the log says why")

# A client that stalls mid-frame.
s2 = pfd.connect(port)
pfd.recv_exact(s2, 1)
s2.sendall(b"^ab")
check(pfd.recv_exact(s2, 2) == b"bc", "mid-frame bytes answered")
check(s2.recv(10) == b"", "then the stalled client is closed")
s2.close()

# The single worker is free again: a new client is served.
pfd.incr_session(port, (b"^next$",))
check(True, "the worker went back to accept and serves the next client")
check(len(d.workers()) == 1, "the same single worker")
s.close()
check(d.stop() == 0, "clean stop")

# write_timeout: echo to a client that sends a lot and never reads.
d = pfd.Daemon("timeout-write", pfd.default_conf(
    service="echo", workers=1, read_timeout="5s", write_timeout="300ms"))
port = d.port()
s = pfd.connect(port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(0.05)
sent = 0
deadline = time.monotonic() + 10
closed = False
while time.monotonic() < deadline:
    try:
        sent += s.send(b"x" * 65536)
    except socket.timeout:
        if "write timeout" in d.log():
            break
    except (BrokenPipeError, ConnectionResetError):
        closed = True
        break
d.wait_log(r"write timeout \(300 ms\), connection closed")
check(True, "a client that does not read is closed at write_timeout "
      "(after %d bytes sent)" % sent)
s.close()
s = pfd.connect(port)
s.sendall(b"ping")
check(pfd.recv_exact(s, 4) == b"ping", "the worker serves the next client")
s.close()
check(d.stop() == 0, "clean stop")

# Unix sockets do not inherit the listener's timeouts (TCP ones do): the
# worker sets them per connection, and they hold there too.
d = pfd.Daemon("timeout-unix", 'listen = { "unix:@DIR@/t.sock", '
               '"127.0.0.1:0" }\nworkers = 1\nread_timeout = 300ms\n')
for addr in ("unix:%s/t.sock" % d.dir, d.addresses()[1]):
    s = pfd.connect(addr)
    check(pfd.recv_exact(s, 1) == b"*", "%s: greeted" % addr)
    check(s.recv(10) == b"", "%s: a silent client is closed at "
          "read_timeout" % addr)
    s.close()
pfd.incr_session("unix:%s/t.sock" % d.dir)
check(True, "and the worker serves the next one")
check(d.stop() == 0, "clean stop")
