#!/usr/bin/env python3
"""sdk: a service module builds out of tree with the installed SDK alone
(issue 10).  `make install DESTDIR=...` of this build; then
contrib/modules (a copy: the source tree may be read-only) is built by
its own Makefile with nothing but pkg-config pointed into DESTDIR, with
-Wall -Wextra -Werror, and so are the examples of preforkd-handler(3)
and of the README.  A module defines preforkd_handler and needs nothing
but libc and the handler_* functions, which the installed preforkd (and
preforkd-test) export: exactly the functions of handler.h, as
src/handler.sym lists them.  Then the installed daemon serves hello.so
("Hi, world") and upper.so, which ends its connection at a graceful
stop; until the module loader is merged, that part skips."""

import os
import re
import shutil
import signal
import subprocess
import tempfile

import pfd
from pfd import check

top = os.environ["top_srcdir"]
build = os.environ["top_builddir"]
dirs = {k: os.environ[k] for k in (
    "sbindir", "includedir", "pkgconfigdir", "moduledir", "mandir")}
for tool in ("cc", "pkg-config", "nm", "readelf", "make"):
    if shutil.which(tool) is None:
        pfd.skip("%s is not installed" % tool)
# a clean make: not the jobserver of the `make check` running this test
env = {k: v for k, v in os.environ.items()
       if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
CFLAGS = "-O2 -Wall -Wextra -Werror -Wshadow -Wformat=2"

tmp = tempfile.mkdtemp(prefix="sdk-", dir=os.environ.get("TMPDIR", "/tmp"))
os.chmod(tmp, 0o755)		# the workers' user reads the modules here
dest = os.path.join(tmp, "dest")
mods = os.path.join(tmp, "modules")


def run(argv, what, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        pfd.fail("%s: %s%s" % (what, r.stdout, r.stderr))
    return r.stdout


def pc_env(sysroot):
    """pkg-config finds only the installed preforkd.pc; with sysroot, the
    paths it prints point into DESTDIR."""
    e = dict(env, PKG_CONFIG_PATH=dest + dirs["pkgconfigdir"],
             PKG_CONFIG_LIBDIR=dest + dirs["pkgconfigdir"],
             PKG_CONFIG_ALLOW_SYSTEM_CFLAGS="1")
    e.pop("PKG_CONFIG_SYSROOT_DIR", None)
    if sysroot:
        e["PKG_CONFIG_SYSROOT_DIR"] = dest
    return e


def dynsyms(path, flag):
    """(kind, name) of nm -D flag: 'U'/'w' undefined, 'T'/'D'... defined."""
    out = run(["nm", "-D", flag, path], "nm -D %s %s" % (flag, path))
    return [tuple(l.split()[-2:]) for l in out.splitlines() if l.strip()]


def exported(prog):
    """The symbols prog defines for modules.  Not ours: the data of
    libraries that the binary holds a copy of (R_*_COPY: glibc's environ
    and stdout, versioned; libasan's options under the sanitizers)."""
    relocs = run(["readelf", "-rW", prog], "readelf -r %s" % prog)
    copies = set(re.findall(r"_COPY\s+[0-9a-f]+\s+([^\s@]+)", relocs))
    return {n for k, n in dynsyms(prog, "--defined-only")
            if "@" not in n and n not in copies}


def imports_ok(so, api):
    """hello.so needs only libc (versioned) and the SDK's functions."""
    bad = [n for k, n in dynsyms(so, "--undefined-only")
           if k != "w" and "@GLIBC_" not in n and n not in api]
    check(not bad, "%s imports only libc and handler_* functions%s"
          % (os.path.basename(so), ": %s" % bad if bad else ""))


def compile_module(src_text, name):
    """An example from the documentation, built like a module."""
    src = os.path.join(tmp, name + ".c")
    with open(src, "w") as f:
        f.write(src_text)
    so = os.path.join(tmp, name + ".so")
    run(["sh", "-c", 'cc %s -shared -fPIC $(pkg-config --cflags preforkd)'
         ' -o "$1" "$2"' % CFLAGS, "sh", so, src], "build " + name,
        env=pc_env(True))
    return so


try:
    # -- the SDK, installed ----------------------------------------------
    run(["make", "-s", "-C", build, "install", "DESTDIR=" + dest],
        "make install", env=env)
    with open(os.path.join(top, "include", "preforkd", "handler.h")) as f:
        header = f.read()
    api = set(re.findall(r"^\w[\w ]*\t\**(handler_\w+)\(", header, re.M))
    with open(os.path.join(top, "src", "handler.sym")) as f:
        sym = set(re.findall(r"^\s*(\w+);", f.read(), re.M))
    check(len(api) >= 9 and sym == api, "src/handler.sym lists exactly the "
          "%d functions of handler.h%s" % (len(api), "" if sym == api else
                                          ": %s" % sorted(sym ^ api)))
    prog = dest + dirs["sbindir"] + "/preforkd"
    got = exported(prog)
    check(got == api, "the installed preforkd exports them and nothing "
          "else%s" % ("" if got == api else ": %s" % sorted(got ^ api)))
    got = exported(os.environ["PREFORKD_TEST"])
    check(got == api, "preforkd-test exports them too%s"
          % ("" if got == api else ": %s" % sorted(got ^ api)))

    e = pc_env(True)
    cflags = run(["pkg-config", "--cflags", "preforkd"], "pkg-config",
                 env=e).split()
    check(cflags == ["-I" + dest + dirs["includedir"]],
          "pkg-config --cflags preforkd: the installed header (%s)"
          % " ".join(cflags))
    libs = run(["pkg-config", "--libs", "preforkd"], "pkg-config", env=e)
    check(libs.strip() == "", "no Libs: a module links against nothing")
    abi = re.search(r"#define HANDLER_ABI_VERSION\s+(\d+)", header).group(1)
    e = pc_env(False)
    check(run(["pkg-config", "--variable=abi", "preforkd"], "pkg-config",
              env=e).strip() == abi, "preforkd.pc's abi is handler.h's (%s)"
          % abi)
    check(run(["pkg-config", "--variable=moduledir", "preforkd"],
              "pkg-config", env=e).strip() == dirs["moduledir"],
          "preforkd.pc's moduledir is the build's (%s)" % dirs["moduledir"])

    # -- contrib/modules, built and installed by its own Makefile ---------
    shutil.copytree(os.path.join(top, "contrib", "modules"), mods)
    for f in os.listdir(mods):
        os.chmod(os.path.join(mods, f), 0o644)	# from a read-only tree
    os.chmod(mods, 0o755)
    out = run(["make", "-C", mods, "CFLAGS=" + CFLAGS], "make -C "
              "contrib/modules", env=pc_env(True))
    check("-Werror" in out, "contrib/modules builds with -Wall -Wextra "
          "-Werror")
    hello, upper = (os.path.join(mods, m) for m in ("hello.so", "upper.so"))
    for so in (hello, upper):
        check(("D", "preforkd_handler") in dynsyms(so, "--defined-only"),
              "%s defines preforkd_handler" % os.path.basename(so))
        imports_ok(so, api)
    run(["make", "-C", mods, "install", "DESTDIR=" + dest],
        "make install of the modules", env=pc_env(False))
    check(all(os.path.isfile(dest + dirs["moduledir"] + "/" + m)
              for m in ("hello.so", "upper.so")),
          "make install puts them in DESTDIR + moduledir")

    # -- the examples of the manual and the README compile as they are ---
    with open(dest + dirs["mandir"] + "/man3/preforkd-handler.3") as f:
        page = f.read()
    ex = page.split("\n.Sh EXAMPLES\n", 1)[1].split("\n.Bd -literal\n", 1)
    ex = ex[1].split("\n.Ed\n", 1)[0].replace("\\e", "\\") + "\n"
    imports_ok(compile_module(ex, "greet"), api)
    with open(os.path.join(top, "README.md")) as f:
        readme = f.read()
    sect = readme.split("\n## Your own service: a C module\n", 1)[1]
    ex = sect.split("\n```c\n", 1)[1].split("\n```\n", 1)[0] + "\n"
    imports_ok(compile_module(ex, "readme"), api)

    # -- served by the installed daemon -----------------------------------
    pfd.PREFORKD = prog
    d = pfd.Daemon("sdk", pfd.default_conf(
        workers=1, service='"module"', module='"%s"' % (
            dest + dirs["moduledir"] + "/hello.so"),
        service_args='{ "greeting=Hi" }'), start=False)
    r = subprocess.run([prog, "-t", "-c", d.conf_path], capture_output=True,
                       text=True)
    check(r.returncode == 0, "preforkd -t accepts hello.so: %s"
          % r.stderr.strip())
    d.start()
    s = pfd.connect(d.port())
    s.sendall(b"world\n")
    check(pfd.recv_exact(s, 10) == b"Hi, world\n", "hello.so: Hi, world")
    s.sendall(b"quit\n")
    check(s.recv(100) == b"", "quit ends the connection")
    s.close()
    check(d.stop() == 0, "clean stop")

    d = pfd.Daemon("sdk-upper", pfd.default_conf(
        workers=1, service='"module"', module='"%s"' % upper,
        graceful_timeout="30s"))
    s = pfd.connect(d.port())
    s.sendall(b"abc\n:3\nxyz")
    check(pfd.recv_exact(s, 10) == b"ABC\n:3\nXYZ", "upper.so: a line and "
          "a frame")
    os.kill(d.pid, signal.SIGQUIT)
    d.wait_log(r"graceful stop: waiting for")
    s.sendall(b"def\n")
    # The module looks at handler_draining() after each answer: if the
    # stop reached the worker before it looked after XYZ (a slow worker,
    # under the sanitizers), "bye" comes before "def" is read.  Either
    # way the connection ends cleanly at a request boundary.
    got = b""
    while True:
        try:
            c = s.recv(100)
        except OSError:     # "def" reached a closed socket: a reset
            break
        if not c:
            break
        got += c
    check(got in (b"DEF\nbye (draining)\n", b"bye (draining)\n"),
          "at a graceful stop, handler_draining() lets it end the "
          "connection after the request in hand: %r" % got)
    check(d.proc.wait(10) == 0, "and the master exits 0")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
