#!/usr/bin/env python3
"""badconf: a bad configuration is refused before anything starts, with
every error as FILE:LINE: option: message; -t checks without starting."""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile

import pfd
from pfd import check

tmp = tempfile.mkdtemp(prefix="badconf-",
                       dir=os.environ.get("TMPDIR", "/tmp"))
atexit.register(shutil.rmtree, tmp, True)


def conf(name, text):
    """A configuration file in the test's directory, with its own pidfile
    so that tests running in parallel never meet."""
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text + 'pidfile = "%s/%s.pid"\n' % (tmp, name))
    return p


def run(*args, timeout=10):
    return subprocess.run([pfd.PREFORKD] + list(args), capture_output=True,
                          text=True, timeout=timeout)


# A free port, to prove that a refused start binds nothing.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()

good = conf("good.conf", "# all defaults but the port\n"
            'listen = { "127.0.0.1:%d" }\nworkers = 2\n' % port)
r = run("-t", "-c", good)
check(r.returncode == 0 and "%s: configuration OK" % good in r.stdout,
      "-t on a good file prints 'configuration OK' and exits 0")

bad = conf("bad.conf", "\n".join([
    "# comments do not shift line numbers",
    'listen = { "127.0.0.1:%d",  # a comment inside the list' % port,
    '           "300.1.1.1:80" }',
    "workers = 0",
    "read_timeout = soon",
    "service = gopher",
    "",
]))
r = run("-t", "-c", bad)
check(r.returncode == 78, "-t on a bad file exits 78 (EX_CONFIG)")
lines = r.stderr.splitlines()
for want in (
        "%s:3: listen: invalid address '300.1.1.1:80'" % bad,
        "%s:4: workers: 0 is out of range (1 to 4096)" % bad,
        "%s:5: read_timeout: invalid duration 'soon'" % bad,
        "%s:6: service: unknown service 'gopher'" % bad):
    check(any(l.startswith("preforkd: " + want) for l in lines),
          "error reported: %s" % want)
check("%s: configuration has errors" % bad in r.stderr,
      "a closing line names the file")

# libconfuse stops at an unknown option; it is reported with its line.
unk = conf("unknown.conf", "workers = 2\n\n# x\ncolour = blue\n")
r = run("-t", "-c", unk)
check(r.returncode == 78 and
      "%s:4: colour: unknown option" % unk in r.stderr,
      "unknown option reported as FILE:LINE: option: unknown option")

# Starting with a bad file: refused before binding anything.
r = run("-f", "-c", bad)
check(r.returncode == 78, "starting with a bad file exits 78")
check("listening on" not in r.stderr and "started" not in r.stderr,
      "nothing was started")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.close()
check(True, "the port of the refused configuration is still free")

r = run("-t", "-c", os.path.join(tmp, "missing.conf"))
check(r.returncode == 78 and "missing.conf: cannot open: No such file"
      in r.stderr, "a missing file is named with the reason")

# A port already taken: a clear bind error, exit 1, no worker left.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
taken = conf("taken.conf", 'listen = { "127.0.0.1:%d" }\n'
             % busy.getsockname()[1])
r = run("-f", "-c", taken)
check(r.returncode == 1 and "bind 127.0.0.1:%d: Address already in use"
      % busy.getsockname()[1] in r.stderr, "bind failure is named, exit 1")
busy.close()

# The shipped sample configuration is valid.
sample = os.path.join(os.environ["top_builddir"], "etc", "preforkd.conf")
r = run("-t", "-c", sample)
check(r.returncode == 0, "the shipped etc/preforkd.conf is valid: %s"
      % r.stderr.strip())

if not pfd.is_root():
    other = conf("other.conf", 'user = "root"\nlisten = { "127.0.0.1:0" }\n')
    r = run("-f", "-c", other)
    check(r.returncode != 0 and "cannot switch workers to user root" in
          r.stderr, "not root: a user option that cannot apply is refused")
