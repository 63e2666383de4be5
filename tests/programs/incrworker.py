#!/usr/bin/env python3
"""incrworker: a long-running worker for `service = program`, standard
library only, as any socket-activated program is written: it takes its
listening socket from descriptor 3 (LISTEN_FDS, LISTEN_PID), says
READY=1 and a STATUS= on NOTIFY_SOCKET when there is one, and serves the
incr protocol (greeting '*', every byte of a ^...$ frame sent back plus
one) one connection at a time.

Arguments: --crash-at-start (exit 1 at once), --never-ready (serve but
never send READY=1), --ignore-term (SIGTERM ignored), --tag TEXT (in its
STATUS=).  It writes its
LISTEN_* variables to stderr at start, and the signal it stops on; on
SIGTERM or SIGINT it finishes the connection in hand, then exits 0."""

import os
import signal
import socket
import sys


def notify(msg):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(msg.encode(), path)
    finally:
        s.close()


stopping = False
lsock = None


def stop(signo, frame):
    """Stop accepting (the listener is closed: a blocked accept() fails);
    the connection in hand, if any, is finished first."""
    global stopping
    sys.stderr.write("stopping on %s\n" % signal.Signals(signo).name)
    sys.stderr.flush()
    stopping = True
    lsock.close()


def serve(c):
    c.sendall(b"*")
    inside = False
    while True:
        data = c.recv(4096)
        if not data:
            return
        out = bytearray()
        for b in data:
            if inside and b == ord("$"):
                inside = False
            elif inside:
                out.append((b + 1) % 256)
            elif b == ord("^"):
                inside = True
        if out:
            c.sendall(bytes(out))


def main():
    args = sys.argv[1:]
    if "--crash-at-start" in args:
        sys.exit(1)
    tag = args[args.index("--tag") + 1] if "--tag" in args else "incr"
    sys.stderr.write("LISTEN_FDS=%s LISTEN_PID=%s LISTEN_FDNAMES=%s "
                     "pid=%d\n" % (os.environ.get("LISTEN_FDS"),
                                   os.environ.get("LISTEN_PID"),
                                   os.environ.get("LISTEN_FDNAMES"),
                                   os.getpid()))
    sys.stderr.flush()
    if (os.environ.get("LISTEN_PID") != str(os.getpid()) or
            os.environ.get("LISTEN_FDS") != "1"):
        sys.exit(2)
    global lsock
    lsock = socket.socket(fileno=3)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    if "--ignore-term" in args:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    served = 0
    if "--never-ready" not in args:
        notify("READY=1\nSTATUS=%s ready" % tag)
    while not stopping:
        try:
            c, _ = lsock.accept()
        except OSError:
            if stopping:
                continue        # closed by stop()
            raise
        try:
            serve(c)
        except OSError:
            pass
        finally:
            c.close()
        served += 1
        notify("STATUS=%s served %d" % (tag, served))
    sys.exit(0)


main()
