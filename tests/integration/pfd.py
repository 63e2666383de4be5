"""pfd: shared helpers for the preforkd integration tests.

Every test starts the real preforkd binary ($PREFORKD) in the foreground on
loopback ephemeral ports (listen = "127.0.0.1:0"; the real port is read from
the "listening on" log line), talks to it through real sockets, and stops
it by pid when it ends, whatever happens (atexit).  Nothing here sends a
byte anywhere but 127.0.0.1, ::1 or a unix socket in the test's directory.

Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.
"""

import atexit
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PREFORKD = os.environ.get("PREFORKD", "preforkd")
SKIP = 77
HARD_ERROR = 99

_daemons = []


def log(msg):
    print(msg, flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    log("SKIP: " + msg)
    sys.exit(SKIP)


_failed = []


def check(cond, msg):
    """Assert a behaviour: fail the test with msg when cond is false.
    With PFD_KEEP_GOING set, note the failure and go on (the test exits 1
    at the end): to see every check a change breaks, e.g. on old code."""
    if not cond:
        if os.environ.get("PFD_KEEP_GOING") is None:
            fail(msg)
        log("FAIL: " + msg)
        _failed.append(msg)
        return
    log("ok: " + msg)


@atexit.register
def _exit_status():
    """Registered first, so it runs last, after every daemon is stopped."""
    if _failed:
        log("%d checks failed" % len(_failed))
        sys.stdout.flush()
        os._exit(1)


def is_root():
    return os.geteuid() == 0


def wait_for(pred, timeout=10.0, interval=0.02, what="condition"):
    """Poll pred() until it returns a true value; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            check(False, "timed out after %.1fs waiting for %s"
                  % (timeout, what))
            return None
        time.sleep(interval)


def proc_status(pid):
    """/proc/PID/status as a dict of str, or None if the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
    except (FileNotFoundError, ProcessLookupError):
        return None


def proc_state(pid):
    st = proc_status(pid)
    return st["State"].split()[0] if st else None


def alive(pid):
    s = proc_state(pid)
    return s is not None and s != "Z"


def children(pid):
    """pids whose parent is pid (scanning /proc, no pgrep)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # the command may contain spaces and parentheses: split after ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return sorted(out)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def set_nofile(pid, soft, hard):
    """prlimit(2) RLIMIT_NOFILE of pid.  On another user's process that
    needs CAP_SYS_RESOURCE, so a child does it as pid's own user; True
    when it worked."""
    st = proc_status(pid)
    uid, gid = int(st["Uid"].split()[0]), int(st["Gid"].split()[0])
    child = os.fork()
    if child == 0:
        try:
            if os.geteuid() != uid:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
            os._exit(0)
        except BaseException as e:
            print("prlimit: %r" % e, flush=True)
            os._exit(1)
    return os.waitpid(child, 0)[1] == 0


def wakeups(pid, seconds):
    """Voluntary context switches of pid per second over seconds."""
    w0 = int(proc_status(pid)["voluntary_ctxt_switches"])
    time.sleep(seconds)
    return (int(proc_status(pid)["voluntary_ctxt_switches"]) - w0) / seconds


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def socket_inodes(pid):
    """The socket inodes open in pid."""
    out = set()
    d = "/proc/%d/fd" % pid
    try:
        for fd in os.listdir(d):
            try:
                t = os.readlink(os.path.join(d, fd))
            except OSError:
                continue
            if t.startswith("socket:["):
                out.add(int(t[8:-1]))
    except OSError:
        pass
    return out


def server_inode(server_port, client_port):
    """Inode of the server side of a loopback TCP connection, or None."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    p = line.split()
                    lport = int(p[1].rsplit(":", 1)[1], 16)
                    rport = int(p[2].rsplit(":", 1)[1], 16)
                    if lport == server_port and rport == client_port:
                        return int(p[9])
        except FileNotFoundError:
            pass
    return None


class Daemon:
    """A preforkd master started in the foreground for one test."""

    def __init__(self, name, conf, args=(), start=True, wait=True, env=None,
                 preexec_fn=None):
        base = os.path.join(os.environ.get("TMPDIR", "/tmp"), "preforkd-tests")
        os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=base)
        os.chmod(self.dir, 0o755)
        self.conf_path = os.path.join(self.dir, "preforkd.conf")
        self.log_path = os.path.join(self.dir, "preforkd.log")
        self.write_conf(conf)
        self.seen_workers = set()
        self.proc = None
        self.args = list(args)
        self.env = env
        self.preexec_fn = preexec_fn
        _daemons.append(self)
        if start:
            self.start(wait)

    def write_conf(self, conf):
        """Write the configuration; "@DIR@" is the test's directory, where
        the pidfile goes unless the configuration names one."""
        if not re.search(r"^\s*pidfile\s*=", conf, re.M):
            conf += 'pidfile = "@DIR@/preforkd.pid"\n'
        # Not root: workers are non-dumpable, so their /proc/PID/fd is
        # closed to us too; dumpable ones let the tests see who holds a
        # connection.  (As root, the production default is tested.)
        if not is_root() and "worker_core_dumps" not in conf:
            conf += "worker_core_dumps = true\n"
        self.pidfile = os.path.join(self.dir, "preforkd.pid")
        with open(self.conf_path, "w") as f:
            f.write(conf.replace("@DIR@", self.dir))

    def start(self, wait=True):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PREFORKD, "-f", "-c", self.conf_path] + self.args,
            stdout=self.logf, stderr=subprocess.STDOUT, env=self.env,
            preexec_fn=self.preexec_fn)
        self.pid = self.proc.pid
        if wait:
            self.wait_log(r"started: service", what="the daemon to start")

    # --- the log -----------------------------------------------------------
    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, count=1, timeout=10.0, what=None):
        def found():
            if self.proc.poll() is not None and not re.search(pattern, self.log()):
                fail("preforkd exited (%s) before logging %r:\n%s"
                     % (self.proc.returncode, pattern, self.log()))
            return len(re.findall(pattern, self.log())) >= count
        wait_for(found, timeout, what=what or repr(pattern))

    def status(self, *fmt):
        """`preforkd status [fmt]` of this daemon, as text; fails the test
        if the command does."""
        r = subprocess.run([PREFORKD, "-c", self.conf_path, "status"] +
                           list(fmt), capture_output=True, text=True)
        if r.returncode != 0:
            fail("status %s: %s" % (fmt, r.stderr))
        return r.stdout

    def addresses(self):
        return re.findall(r"listening on (\S+)", self.log())

    def port(self, i=0):
        a = self.addresses()[i]
        return int(a.rsplit(":", 1)[1])

    # --- processes -----------------------------------------------------------
    def workers(self):
        w = [p for p in children(self.pid) if alive(p)]
        self.seen_workers.update(w)
        return w

    def wait_workers(self, n, timeout=10.0):
        """Wait until n workers are alive and settled (in accept)."""
        def ready():
            w = self.workers()
            return w if len(w) == n and all(
                proc_state(p) == "S" for p in w) else None
        return wait_for(ready, timeout, what="%d workers" % n)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal the master and wait for it; returns its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            fail("preforkd did not exit within %.0fs of %s" % (timeout, sig))

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.workers()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for p in self.seen_workers:
            if alive(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc is not None:
            self.logf.close()
            if os.environ.get("KEEP_TEST_DIRS") is None:
                sys.stdout.write("---- preforkd log ----\n" + self.log())
                shutil.rmtree(self.dir, ignore_errors=True)


@atexit.register
def _cleanup():
    for d in _daemons:
        d.cleanup()


# --- clients ---------------------------------------------------------------

def connect(addr, timeout=10.0):
    """Connect to "127.0.0.1:P", "[::1]:P", "unix:/path" or a port number."""
    if isinstance(addr, int):
        addr = "127.0.0.1:%d" % addr
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr[5:])
        return s
    host, port = addr.rsplit(":", 1)
    fam = socket.AF_INET
    if host.startswith("["):
        host, fam = host[1:-1], socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, int(port)))
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes"
                           % (len(buf), n))
        buf += chunk
    return buf


def incr_expect(data):
    """What the incr service answers to data sent in one session."""
    out, inframe = bytearray(), False
    for b in data:
        if not inframe:
            inframe = b == ord("^")
        elif b == ord("$"):
            inframe = False
        else:
            out.append((b + 1) & 0xFF)
    return bytes(out)


def incr_session(addr, frames=(b"^abc$",)):
    """One incr session: greeting, then each frame and its full answer."""
    s = connect(addr)
    try:
        g = recv_exact(s, 1)
        if g != b"*":
            raise ValueError("greeting %r" % g)
        for fr in frames:
            s.sendall(fr)
            want = incr_expect(fr)
            got = recv_exact(s, len(want))
            if got != want:
                raise ValueError("sent %r, got %r, want %r" % (fr, got, want))
    finally:
        s.close()


# PFD_WORKER_CONNECTIONS=N runs the suite with multiplexing workers: every
# default_conf() of a service that may be multiplexed gets it.
MUX = os.environ.get("PFD_WORKER_CONNECTIONS", "")


def default_conf(**opts):
    """A test configuration: loopback ephemeral port, incr, 4 workers
    (and worker_connections = $PFD_WORKER_CONNECTIONS where it applies)."""
    o = {"listen": '{ "127.0.0.1:0" }', "workers": "4", "service": "incr"}
    o.update({k: str(v) for k, v in opts.items()})
    if MUX and "worker_connections" not in o and \
            o["service"].strip('"') in ("incr", "echo") and \
            not re.search(r"sleep_us|burn_us", o.get("service_args", "")):
        o["worker_connections"] = MUX
    return "".join("%s = %s\n" % kv for kv in o.items())
