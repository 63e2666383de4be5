#!/usr/bin/env python3
"""listeners: IPv4, IPv6, "*:PORT" and unix listeners, several at once
(each worker polls them with EPOLLEXCLUSIVE), unix socket files created
with unix_mode, stale ones replaced, removed at exit."""

import os
import socket
import stat

import pfd
from pfd import check


def has_ipv6():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


if not has_ipv6():
    pfd.skip("no IPv6 loopback on this machine")

# IPv4 + IPv6 + unix at once.
d = pfd.Daemon("listeners", 'listen = { "127.0.0.1:0", "[::1]:0", '
               '"unix:@DIR@/incr.sock" }\nworkers = 3\nunix_mode = 0600\n',
               start=False)
# a stale socket file left by a dead server is replaced
stale = socket.socket(socket.AF_UNIX)
stale.bind(os.path.join(d.dir, "incr.sock"))
stale.close()
d.start()
addrs = d.addresses()
check(len(addrs) == 3, "three listeners: %s" % addrs)
check(addrs[1].startswith("[::1]:"), "IPv6 listener on ::1")
check(addrs[2] == "unix:%s/incr.sock" % d.dir, "unix listener")
path = os.path.join(d.dir, "incr.sock")
check(stat.S_IMODE(os.stat(path).st_mode) == 0o600,
      "the unix socket has unix_mode 0600")
check(True, "a stale socket file was replaced")
for a in addrs:
    for i in range(20):
        pfd.incr_session(a, (b"^%s %d$" % (a.encode(), i),))
    check(True, "20 sessions on %s" % a)
# all three at the same time, each held by a different worker
held = [pfd.connect(a) for a in addrs]
for c in held:
    check(pfd.recv_exact(c, 1) == b"*", "concurrent greeting")
for c in held:
    c.close()
check(d.stop() == 0, "clean stop")
check(not os.path.exists(path), "the unix socket file is removed at exit")

# "*:PORT": all IPv4 and all IPv6 addresses on one port.
probe = socket.socket(socket.AF_INET6)
probe.bind(("::", 0))
port = probe.getsockname()[1]
probe.close()
d = pfd.Daemon("listeners-any", 'listen = { "*:%d" }\nworkers = 2\n' % port)
check(d.addresses() == ["0.0.0.0:%d" % port, "[::]:%d" % port],
      "*:%d binds 0.0.0.0 and [::] (v6only)" % port)
pfd.incr_session("127.0.0.1:%d" % port)
pfd.incr_session("[::1]:%d" % port)
check(True, "served over IPv4 and IPv6 on the same port")
check(d.stop() == 0, "clean stop")

# A live unix socket is not stolen.
d1 = pfd.Daemon("listeners-live", 'listen = { "unix:@DIR@/s.sock" }\n'
                'workers = 1\n')
sock = os.path.join(d1.dir, "s.sock")
d2 = pfd.Daemon("listeners-live2", 'listen = { "unix:%s" }\n' % sock,
                start=False)
d2.start(wait=False)
rc = d2.proc.wait(10)
check(rc == 1 and "is in use by a running server" in d2.log(),
      "a second server refuses a unix socket in use (exit %s)" % rc)
pfd.incr_session("unix:" + sock)
check(True, "the first server still serves it")
check(d1.stop() == 0, "clean stop")
