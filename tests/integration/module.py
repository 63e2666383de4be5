#!/usr/bin/env python3
"""module: a loadable C module (service = module) serves; its code never
runs as root (check() in the probe and init() in workers report their
uid); a module that is missing, not trusted, built for another ABI,
without the symbol, refusing its arguments, crashing or hanging in
check() is a configuration error naming the file, the line and the
module, and the master lives on; a module crashing in init() is a worker
failure with back-off; replacing the .so and reloading under load
switches to the new code with no failed connection."""

import os
import pwd
import re
import shutil
import subprocess
import sys
import time

import pfd
from pfd import check

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests",
                                "stress"))
import load  # noqa: E402

MODS = os.path.join(os.environ["top_builddir"], "tests", "modules")
ROOT = pfd.is_root()
USER = 'user = "nobody"\n' if ROOT else ""
with open(os.path.join(os.environ.get("top_srcdir", "."), "include",
                       "preforkd", "handler.h")) as _f:
    ABI = re.search(r"#define HANDLER_ABI_VERSION\s+(\d+)", _f.read()).group(1)


def hello(addr):
    """One session: the module's line, then one echoed line."""
    s = pfd.connect(addr)
    try:
        f = s.makefile("rb")
        first = f.readline()
        s.sendall(b"ping\n")
        if f.readline() != b"ping\n":
            raise ValueError("no echo after %r" % first)
        return first.decode()
    finally:
        s.close()


def conf(module, args=None, extra=""):
    c = pfd.default_conf(workers=2, service='"module"',
                         module='"%s"' % module) + USER + extra
    if args is not None:
        c += "service_args = { %s }\n" % ", ".join('"%s"' % a for a in args)
    return c


def test_conf(d, text):
    """preforkd -t on text (in d's directory): (status, stderr)."""
    path = os.path.join(d.dir, "t.conf")
    with open(path, "w") as f:
        f.write(text.replace("@DIR@", d.dir))
    r = subprocess.run([pfd.PREFORKD, "-t", "-c", path], capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stderr


def refused(d, text, want, what):
    rc, err = test_conf(d, text)
    check(rc != 0 and want in err, "%s: refused, %r in %r" % (what, want,
                                                            err.strip()))
    return err


d = pfd.Daemon("module", "", start=False)
mods = os.path.join(d.dir, "mods")
os.mkdir(mods, 0o755)
for name in ("v1", "v2", "abi99", "nosym"):
    shutil.copy(os.path.join(MODS, "testmod-%s.so" % name),
                os.path.join(mods, "%s.so" % name))
MOD = os.path.join(mods, "testmod.so")
shutil.copy(os.path.join(mods, "v1.so"), MOD)

# It serves, and its code ran as the worker user only.
d.write_conf(conf(MOD))
d.start()
line = hello(d.port())
uid = pwd.getpwnam("nobody").pw_uid if ROOT else os.geteuid()
check(line == "v1 uid=%d check=-1\n" % uid,
      "the module serves; init() ran as uid %d, check() not in the "
      "worker: %r" % (uid, line))
rc, err = test_conf(d, conf(MOD, ["check=uid"]))
check(rc != 0 and "check ran as uid %d euid %d" % (uid, uid) in err,
      "check() ran in the probe as uid %d, not root: %r" % (uid, err.strip()))

# By name in module_dir, ".so" added.
rc, err = test_conf(d, pfd.default_conf(service='"module"', module='"v1"',
                                        module_dir='"%s"' % mods) + USER)
check(rc == 0, "module = NAME is found in module_dir: %r" % err.strip())

# Configuration errors: file, line, module; the master is not involved.
cpath = os.path.join(d.dir, "t.conf")
err = refused(d, conf(os.path.join(mods, "missing.so")), "No such file",
              "a missing module")
check("%s:" % cpath in err and "module:" in err and "missing.so" in err,
      "the error names the file, the line and the module: %r" % err.strip())
refused(d, conf(os.path.join(mods, "abi99.so")),
        "built for handler ABI 99, this preforkd has ABI %s" % ABI,
        "a module built for a newer ABI")
refused(d, conf(os.path.join(mods, "nosym.so")),
        "does not define preforkd_handler", "a shared object that is not a "
        "module")
err = refused(d, conf(MOD, ["check=refuse"]), "check=refuse: refused as "
              "asked", "check() refusing service_args")
check("service_args:" in err, "the refusal is about service_args: %r"
      % err.strip())
# Under AddressSanitizer its SEGV handler reports the crash and exits 1.
SAN = os.environ.get("SANITIZERS") == "yes"
CRASHED = "==ABORTING" if SAN else "crashed while being checked (signal 11"
refused(d, conf(MOD, ["check=crash"]), CRASHED, "check() crashing")
t0 = time.monotonic()
refused(d, conf(MOD, ["check=hang"], "check_timeout = 500ms\n"),
        "did not finish its check within 500 ms", "check() hanging")
check(time.monotonic() - t0 < 30, "a hanging check() is cut short")
refused(d, pfd.default_conf(service='"module"'), "service = module needs "
        "module", "service = module without a module")
refused(d, pfd.default_conf(service='"module"', module='"../x"'),
        "neither a module name", "a relative path")
rc, err = test_conf(d, pfd.default_conf(module='"v1"'))
check(rc == 0 and "has no effect without service = module" in err,
      "module without service = module: a warning: %r" % err.strip())

# Nobody but root (or the master's user) may have written it.
shutil.copy(os.path.join(mods, "v1.so"), os.path.join(mods, "gw.so"))
os.chmod(os.path.join(mods, "gw.so"), 0o775)
refused(d, conf(os.path.join(mods, "gw.so")), "writable by its group",
        "a group-writable module")
if ROOT:
    os.chown(os.path.join(mods, "gw.so"), uid, -1)
    os.chmod(os.path.join(mods, "gw.so"), 0o755)
    refused(d, conf(os.path.join(mods, "gw.so")), "owned by uid %d" % uid,
            "a module owned by the worker user")
else:
    pfd.log("not root: the test of a module owned by another user needs "
            "root (chown)")

# A reload to a bad module is refused; the running workers go on.
workers = d.workers()
d.write_conf(conf(MOD, ["check=crash"]))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 1 and CRASHED in r.stderr,
      "a reload to a crashing check() is refused: %r" % r.stderr.strip())
check(d.proc.poll() is None and d.workers() == workers,
      "the master and its workers go on")
check(hello(d.port()).startswith("v1 "), "and serve")

# init() crashing: a worker failure, backed off; the master lives.
d.write_conf(conf(MOD, ["init=crash"]))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
d.wait_log(r"workers keep dying", what="the crash back-off")
check(("exited with status 1" if SAN else "killed by SIGSEGV") in d.log(),
      "the crash is logged")
check(d.proc.poll() is None, "the master lives")
check(hello(d.port()).startswith("v1 "), "the old generation serves")
d.write_conf(conf(MOD))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, "a reload to a good module: %r" % r.stdout.strip())

# Upgrading is a reload: the new .so serves, no connection fails.
with load.Load(d.port(), clients=4, session=hello) as ld:
    time.sleep(0.5)
    shutil.copy(os.path.join(mods, "v2.so"), MOD + ".new")
    os.rename(MOD + ".new", MOD)
    r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "reload to the new module: %r" % r.stdout)
    pfd.wait_for(lambda: hello(d.port()).startswith("v2 "), timeout=10,
                 what="the new module to serve")
    time.sleep(0.5)
check(ld.ok > 20 and not ld.failures, "upgrade under load: %d sessions, "
      "failures %r" % (ld.ok, ld.failures[:3]))
check(d.stop() == 0, "clean stop")
