#!/usr/bin/env python3
"""exec: service = exec runs a program per connection, UCSPI style.  The
worker that accepted becomes the program (same pid); it has the
connection on 0 and 1, stderr to the log (escaped), the UCSPI variables
and worker_env only, the worker's identity and no_new_privs, no other
descriptor.  The pool bounds how many run at once; request_timeout ends a
long one; exit statuses are logged; a reload does not cut a running
program; status shows it; bad programs are configuration errors."""

import json
import os
import pwd
import socket
import subprocess
import time

import pfd
from pfd import check

PY = "/usr/bin/python3"
ROOT = pfd.is_root()
USER = 'user = "nobody"\n' if ROOT else ""
UID = pwd.getpwnam("nobody").pw_uid if ROOT else os.geteuid()


def argv(*words):
    return "{ %s }" % ", ".join(json.dumps(w) for w in words)


def conf(*words, **opts):
    o = {"workers": 2, "service": '"exec"', "exec": argv(*words)}
    o.update(opts)
    return pfd.default_conf(**o) + USER


def recv_all(s):
    """Everything s receives until the peer closes, as text."""
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out.decode(errors="replace")


def env_of(text):
    return dict(line.split("=", 1) for line in text.splitlines())


def read_all(addr, send=b"", timeout=10):
    s = pfd.connect(addr, timeout=timeout)
    if send:
        s.sendall(send)
        s.shutdown(socket.SHUT_WR)
    return recv_all(s)


# The environment: UCSPI variables and worker_env, nothing else.
d = pfd.Daemon("exec", conf("/usr/bin/env",
                            worker_env='{ "FOO=bar" }'))
s = pfd.connect(d.port())
cport = s.getsockname()[1]
env = env_of(recv_all(s))
want = {"PROTO": "TCP", "TCPREMOTEIP": "127.0.0.1",
        "TCPREMOTEPORT": str(cport), "TCPLOCALIP": "127.0.0.1",
        "TCPLOCALPORT": str(d.port()), "FOO": "bar"}
check(env == want, "the program's whole environment is UCSPI + worker_env: "
      "%r" % env)

# Who the program is: the worker that accepted, dropped, fenced.
WHO = ("import os,sys\n"
       "print(os.getpid(), os.geteuid(), sorted(os.listdir('/proc/self/fd')))\n"
       "print([l for l in open('/proc/self/status') "
       "if l.startswith('NoNewPrivs')][0].split()[1])\n"
       "sys.stderr.write('oops \\x1b[31m red\\n')\n"
       "sys.exit(int(os.environ.get('CODE', '0')))\n")
d.write_conf(conf(PY, "-c", WHO, workers=1, worker_env='{ "CODE=3" }'))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, "reload to a python program: %r" % (r.stdout +
                                                              r.stderr))
pfd.wait_for(lambda: len(d.workers()) == 1, what="one worker")
worker = d.workers()[0]
out = read_all(d.port()).splitlines()
pid, euid, fds = out[0].split(" ", 2)
check(int(pid) == worker, "the worker that accepted became the program "
      "(pid %s, worker %d)" % (pid, worker))
check(int(euid) == UID, "the program runs as uid %d: %s" % (UID, euid))
check(fds == "['0', '1', '2', '3']", "descriptors 0, 1, 2 only (3: the "
      "listing itself): %s" % fds)
check(out[1] == "1", "no_new_privs: %r" % out[1])
d.wait_log(r"program %d for 127\.0\.0\.1:\d+ exited with status 3 after "
           r"\d+ ms" % worker, what="the exit status logged")
check("oops \\x1b[31m red" in d.log(), "stderr is logged, escaped")

# The pool bounds concurrency: 2 workers, 2 programs at a time.
WAIT = ("import sys\nprint('start', flush=True)\nsys.stdin.readline()\n"
        "print('bye', flush=True)\n")
d.write_conf(conf(PY, "-c", WAIT, workers=2))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, "reload to a waiting program")
pfd.wait_for(lambda: len(d.workers()) == 2, what="two workers")
clients = []
for i in range(2):
    c = pfd.connect(d.port())
    check(c.makefile("rb").readline() == b"start\n", "program %d runs" % i)
    clients.append(c)
third = pfd.connect(d.port())
third.settimeout(1.0)
try:
    got = third.recv(10)
except socket.timeout:
    got = None
check(got is None, "a third client waits while two programs run: %r" % got)
st = d.status()
check(st.count("busy") >= 2 and "127.0.0.1:%d" % clients[0].getsockname()[1]
      in st, "status shows the running programs and their clients: %r" % st)

# A reload does not cut a running program.
running = d.workers()
d.write_conf(conf(PY, "-c", WAIT, workers=2, worker_env='{ "X=1" }'))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, "reload while programs run")
clients[0].sendall(b"done\n")
clients[0].settimeout(10)
check(clients[0].makefile("rb").read() == b"bye\n", "the running program "
      "ends on its own terms after the reload")
third.settimeout(10)
check(third.makefile("rb").readline() == b"start\n", "the third client is "
      "served by the new generation")
for c in clients[1:] + [third]:
    c.sendall(b"done\n")
    c.close()
pfd.wait_for(lambda: not any(p in d.workers() for p in running),
             what="the programs of the old generation to be gone")

# request_timeout ends a program that runs too long.
d.write_conf(conf(PY, "-c", "import time\ntime.sleep(60)\n",
                  request_timeout="1s"))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, "reload to a slow program")
t0 = time.monotonic()
out = read_all(d.port(), timeout=30)
check(time.monotonic() - t0 < 20, "the slow program was cut")
d.wait_log(r"killed by SIGTERM for request_timeout", what="the kill logged")
check(d.stop() == 0, "clean stop")

# On a unix listener: the peer's credentials.
u = pfd.Daemon("exec-unix", "", start=False)
u.write_conf('listen = { "unix:@DIR@/s.sock" }\nworkers = 1\n'
             'service = "exec"\nexec = %s\n' % argv("/usr/bin/env") + USER)
u.start()
s = socket.socket(socket.AF_UNIX)
s.connect(os.path.join(u.dir, "s.sock"))
env = env_of(recv_all(s))
check(env.get("PROTO") == "UNIX" and env.get("UNIXREMOTEEUID") ==
      str(os.geteuid()) and env.get("UNIXREMOTEPID") == str(os.getpid()),
      "unix listener: PROTO=UNIX and the peer's credentials: %r" % env)
check(u.stop() == 0, "clean stop")

# Bad programs are configuration errors.
t = pfd.Daemon("exec-bad", "", start=False)
for words, want in ((("relative",), "is not an absolute path"),
                    (("/nonexistent/prog",), "No such file"),
                    ((), "needs exec = {")):
    t.write_conf(conf(*words))
    r = subprocess.run([pfd.PREFORKD, "-t", "-c", t.conf_path],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and want in r.stderr and "exec" in r.stderr,
          "exec = %r refused: %r" % (words, r.stderr.strip()))
if ROOT:
    noexec = os.path.join(t.dir, "noexec")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(noexec, 0o744)      # root may run it, nobody may not
    t.write_conf(conf(noexec))
    r = subprocess.run([pfd.PREFORKD, "-t", "-c", t.conf_path],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "Permission denied for the worker user" in
          r.stderr, "a program the worker user cannot run is refused: %r"
          % r.stderr.strip())

# The README's example runs as printed.
with open(os.path.join(os.environ["top_srcdir"], "README.md")) as f:
    sect = f.read().split("\n## Your own service: a program per "
                          "connection\n", 1)[1]
example = sect.split("\n```\n", 1)[1].split("\n```\n", 1)[0]
x = pfd.Daemon("exec-readme", example + "\nlisten = { \"127.0.0.1:0\" }\n"
               + USER)
out = read_all(x.port(), send=b"ping\n")
check(out == "hello 127.0.0.1\nping\n", "the README's exec example: %r"
      % out)
check(x.stop() == 0, "clean stop")
