#!/usr/bin/env python3
"""basic: the daemon serves incr and echo, names its processes, runs its
workers unprivileged and keeps client sockets out of the master."""

import os
import socket
import subprocess
import time

import pfd
from pfd import check

d = pfd.Daemon("basic", pfd.default_conf(workers=4))
port = d.port()
master = d.pid
workers = d.wait_workers(4)

# incr: the seed's session, chunk by chunk, state kept across chunks.
s = pfd.connect(port)
check(pfd.recv_exact(s, 1) == b"*", "incr greets with '*'")
for sent, want in ((b"^abc$de^abte$f", b"bcdbcuf"), (b"xyz^123", b"234"),
                   (b"25$^ab0000$abab", b"36bc1111")):
    s.sendall(sent)
    check(pfd.recv_exact(s, len(want)) == want,
          "incr answers %r with %r" % (sent, want))

# Answers come per chunk read, never waiting for the closing '$'.
s.sendall(b"^hello")
check(pfd.recv_exact(s, 5) == b"ifmmp", "an open frame is answered at once")
s.sendall(b" wor")
check(pfd.recv_exact(s, 4) == b"!xps", "and keeps being answered")
s.sendall(b"ld$ignored^\xff$")
check(pfd.recv_exact(s, 3) == b"me\x00", "'$' closes, 0xff wraps to 0x00")

# The master holds no client socket, ever: only its listeners.
mine = pfd.server_inode(port, s.getsockname()[1])
check(mine is not None, "the server side of the connection is visible")
check(mine not in pfd.socket_inodes(master), "the master does not hold "
      "the client connection")
owners = [w for w in d.workers() if mine in pfd.socket_inodes(w)]
check(len(owners) == 1, "exactly one worker holds it")
s.shutdown(socket.SHUT_WR)
check(s.recv(10) == b"", "client EOF ends the session cleanly")
s.close()

# Process titles.
check(pfd.cmdline(master).startswith("preforkd: master"),
      "master title is 'preforkd: master' (%r)" % pfd.cmdline(master))
check(all(pfd.cmdline(w).startswith("preforkd: worker") for w in workers),
      "worker titles are 'preforkd: worker'")

# Identities.
mst = pfd.proc_status(master)
if pfd.is_root():
    import pwd
    try:
        want = pwd.getpwnam("preforkd")
    except KeyError:
        want = pwd.getpwnam("nobody")
    check(mst["Uid"].split() == ["0"] * 4, "master keeps uid 0")
    for w in workers:
        st = pfd.proc_status(w)
        check(st["Uid"].split() == [str(want.pw_uid)] * 4,
              "worker %d runs as %s (Uid %s)" % (w, want.pw_name, st["Uid"]))
        check(st["Gid"].split() == [str(want.pw_gid)] * 4,
              "worker %d has gid %d in all four fields" % (w, want.pw_gid))
        check(st["NoNewPrivs"] == "1", "worker %d has no_new_privs" % w)
else:
    uid = str(os.getuid())
    for w in workers:
        check(pfd.proc_status(w)["Uid"].split() == [uid] * 4,
              "not root: worker %d keeps our uid" % w)
    pfd.log("note: not root, the privilege drop itself is tested as root "
            "only")

# Many sequential sessions all get full answers.
for i in range(200):
    pfd.incr_session(port, (b"^%d$" % i,))
check(True, "200 sequential incr sessions answered in full")
check(sorted(d.workers()) == sorted(workers), "no worker died meanwhile")

# Command line.
out = subprocess.run([pfd.PREFORKD, "-V"], capture_output=True, text=True)
check(out.returncode == 0 and out.stdout.startswith("preforkd "),
      "-V prints the version")
out = subprocess.run([pfd.PREFORKD, "-h"], capture_output=True, text=True)
check(out.returncode == 0 and "usage: preforkd" in out.stdout and
      "incr" in out.stdout and "echo" in out.stdout,
      "-h prints usage and the services")
out = subprocess.run([pfd.PREFORKD, "-x"], capture_output=True, text=True)
check(out.returncode == 64 and "usage:" in out.stderr,
      "an unknown flag prints usage and exits 64")
check(d.stop() == 0, "SIGTERM: the master exits 0")

# echo (RFC 862).
e = pfd.Daemon("basic-echo", pfd.default_conf(service="echo", workers=2))
s = pfd.connect(e.port())
for payload in (b"hello\n", bytes(range(256)), os.urandom(100000)):
    s.sendall(payload)
    check(pfd.recv_exact(s, len(payload)) == payload,
          "echo returns %d bytes unchanged" % len(payload))
s.close()
check(e.stop() == 0, "echo daemon stops cleanly")
