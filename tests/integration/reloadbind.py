#!/usr/bin/env python3
"""reloadbind: a reload is all or nothing for the listeners too (issue 8,
E24).  When the second of two new addresses cannot be bound, the reload
is refused with FILE:LINE, the first new address is let go at once (its
port is free again), and the running generation keeps its own."""

import socket
import subprocess

import pfd
from pfd import check


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


old = free_port()
d = pfd.Daemon("reloadbind", pfd.default_conf(
    workers=2, listen='{ "127.0.0.1:%d" }' % old))
d.wait_workers(2)
new = free_port()
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
taken = busy.getsockname()[1]
d.write_conf(pfd.default_conf(
    workers=2, listen='{ "127.0.0.1:%d",\n"127.0.0.1:%d",\n"127.0.0.1:%d" }'
    % (old, new, taken)))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 1 and "%s:3: listen: bind 127.0.0.1:%d: Address "
      "already in use" % (d.conf_path, taken) in r.stderr,
      "the reload is refused, naming the line: %r" % r.stderr.strip())
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", new))
    freed = True
except OSError:
    freed = False
s.close()
check(freed, "the new address it bound first is free again (%d)" % new)
pfd.incr_session(old)
check(True, "the old address still serves")
busy.close()
check(d.stop() == 0, "clean stop")
