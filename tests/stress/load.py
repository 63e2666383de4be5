"""load: continuous load for the stress tests, from threads, a new
connection per exchange (an incr exchange, or the session function
given), every answer checked; failures are kept by kind with the time
they happened."""

import socket
import threading
import time

import pfd


class Load:
    def __init__(self, addr, clients=8, frame=b"^stress$", session=None):
        """session(addr): one exchange of another protocol, raising on a
        wrong answer."""
        self.addr = addr
        self.session = session
        self.frame = frame
        self.want = pfd.incr_expect(frame)
        self.ok = 0
        self.failures = []
        self.waits = []             # seconds from connect to the answer
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run)
                        for _ in range(clients)]

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                if self.session is not None:
                    self.session(self.addr)
                    with self.lock:
                        self.ok += 1
                        self.waits.append(time.monotonic() - t0)
                    continue
                s = pfd.connect(self.addr, timeout=30)
                if pfd.recv_exact(s, 1) != b"*":
                    raise ValueError("greeting")
                s.sendall(self.frame)
                if pfd.recv_exact(s, len(self.want)) != self.want:
                    raise ValueError("answer")
                s.close()
                with self.lock:
                    self.ok += 1
                    self.waits.append(time.monotonic() - t0)
            except Exception as e:      # kept, judged by the test
                with self.lock:
                    self.failures.append((time.monotonic(), repr(e)))
                time.sleep(0.01)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def rate(self, seconds):
        return self.ok / seconds
