#!/usr/bin/env python3
"""STAND-IN proxy in front of a real dockerd, for tests/docker/degrade.sh and
tests/docker/races.sh -- not an engine.

Every request goes to the real engine; the answers are real.  Only what a
real engine cannot be made to do on demand is added, steered by files in
the control directory CTL (read on every request, so a test changes them
while the daemon runs):

  CTL/hang        ids (one a line): inspections of these never get an answer
                  (as when the engine holds a container's lock)
  CTL/delay       seconds: every answer except the event stream is held that
                  long (an engine that answers slowly)
  CTL/list_delay  seconds: the same, for the container listing only; the
                  listing is taken when asked and delivered late (a pass
                  whose listing is older than events that follow it)

Every request line is appended to LOG (the request count per pass).

usage: engine-proxy.py SOCKET UPSTREAM_SOCKET CTL LOG
"""
import os
import re
import socket
import socketserver
import sys
import time

SOCK, UPSTREAM, CTL, LOG = sys.argv[1:5]
INSPECT = re.compile(r"^(/v[0-9.]+)?/containers/([^/?]+)/json")
LISTING = re.compile(r"^(/v[0-9.]+)?/containers/json")


def control(name, default=""):
    try:
        with open(os.path.join(CTL, name)) as f:
            return f.read().strip()
    except OSError:
        return default


def seconds(name):
    try:
        return float(control(name, "0") or "0")
    except ValueError:
        return 0.0


def read_head(conn, buf):
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def with_connection_close(head):
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    return b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.relay(self.request)
        except OSError:
            pass  # the daemon gave up on the request (a timeout, a stop)

    def relay(self, conn):
        head, _ = read_head(conn, b"")
        if head is None:
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        path = parts[1] if len(parts) > 1 else ""
        with open(LOG, "a") as log:
            log.write("%s %s\n" % (parts[0], path))
        m = INSPECT.match(path)
        if m and any(m.group(2).startswith(i) for i in control("hang").split() if i):
            # Never answer; hold the connection until the client gives up.
            while conn.recv(65536):
                pass
            return
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(UPSTREAM)
        up.sendall(with_connection_close(head))
        if "/events" in path:
            while True:
                data = up.recv(65536)
                if not data:
                    break
                conn.sendall(data)
            return
        answer = b""
        while True:
            data = up.recv(1 << 20)
            if not data:
                break
            answer += data
        up.close()
        time.sleep(seconds("delay") + (seconds("list_delay") if LISTING.match(path) else 0))
        conn.sendall(answer)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCK):
    os.unlink(SOCK)
with Server(SOCK, Handler) as server:
    server.serve_forever()
