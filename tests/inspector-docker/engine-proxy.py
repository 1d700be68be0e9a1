#!/usr/bin/env python3
"""STAND-IN proxy in front of a real dockerd, for tests/inspector-docker/degrade.sh,
races.sh, stream.sh, starvation.sh and order.sh -- not an engine.

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
  CTL/api_version the ApiVersion /version reports instead of the engine's
                  (a malformed one such as 1.41.3)

The event stream is relayed line by line (the engine's own events, in its
order), re-framed as a chunked response of the proxy's own, so that:

  CTL/refuse_events  present: the event stream is refused (HTTP 500) while
                  every other request is answered
  CTL/stream_end  seconds: every event stream is ended cleanly (the chunked
                  response's last chunk) that long after it was opened
  CTL/inject      taken once (removed): its bytes are sent on the stream
                  (fake events, e.g. 20,000 start events for one id, or a
                  kill for an id the engine never had)
  CTL/stall       taken once: seconds; half an event is sent, then nothing
                  for that long, then the engine's events go on
  CTL/hold_die    taken once: an id; that container's next die event is held
                  back until its start event has gone out, then sent (events
                  out of order, as a restart's die after its start); then
                  CTL/hold_die.released appears

Every request line is appended to LOG (the request count per pass); what the
stream does (open, end, inject, stall, released) goes to LOG.events with a
time stamp.

usage: engine-proxy.py SOCKET UPSTREAM_SOCKET CTL LOG
"""
import json
import os
import re
import select
import socket
import socketserver
import sys
import time

SOCK, UPSTREAM, CTL, LOG = sys.argv[1:5]
INSPECT = re.compile(r"^(/v[0-9.]+)?/containers/([^/?]+)/json")
LISTING = re.compile(r"^(/v[0-9.]+)?/containers/json")
EVENTS = re.compile(r"^(/v[0-9.]+)?/events")
VERSION = re.compile(r"^/version")
HALF_EVENT = b'{"status":"start","id":"'


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


def take(name):
    """The control file's bytes, once (the file is removed), or None."""
    path = os.path.join(CTL, name)
    try:
        os.rename(path, path + ".taken")
    except OSError:
        return None
    with open(path + ".taken", "rb") as f:
        data = f.read()
    os.unlink(path + ".taken")
    return data


def note(what):
    with open(LOG + ".events", "a") as log:
        log.write("%.3f %s\n" % (time.time(), what))


def chunk(conn, data):
    if data:
        conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))


def event_of(line):
    try:
        ev = json.loads(line)
        return ev.get("Action") or ev.get("status"), (ev.get("Actor") or {}).get("ID") or ev.get("id") or ""
    except (ValueError, AttributeError):
        return None, ""


class Stream:
    """One event stream: the engine's lines out, the control files applied."""

    def __init__(self, conn, up):
        self.conn, self.up = conn, up
        self.opened = time.time()
        self.buf = b""
        self.hold_id = None
        self.held = []

    def line(self, line):
        action, cid = event_of(line)
        if self.hold_id is None:
            hold = take("hold_die")
            if hold:
                self.hold_id = hold.decode().strip()
        if self.hold_id and cid.startswith(self.hold_id):
            if action == "die" and not self.held:
                self.held.append(line)
                return
            if action == "start" and self.held:
                chunk(self.conn, line + b"".join(self.held))
                self.held, self.hold_id = [], ""
                open(os.path.join(CTL, "hold_die.released"), "w").close()
                note("released")
                return
        chunk(self.conn, line)

    def controls(self):
        end = seconds("stream_end")
        if end and time.time() - self.opened >= end:
            self.conn.sendall(b"0\r\n\r\n")
            note("end")
            return False
        data = take("inject")
        if data:
            note("inject %d" % data.count(b"\n"))
            for i in range(0, len(data), 65536):
                chunk(self.conn, data[i:i + 65536])
        stall = take("stall")
        if stall:
            chunk(self.conn, HALF_EVENT)
            note("stall")
            time.sleep(float(stall.decode().strip() or "0"))
        return True

    def run(self):
        while self.controls():
            ready, _, _ = select.select([self.up], [], [], 0.1)
            if not ready:
                continue
            data = self.up.recv(65536)
            if not data:
                self.conn.sendall(b"0\r\n\r\n")
                return
            self.buf += data
            *lines, self.buf = self.buf.split(b"\n")
            for line in lines:
                self.line(line + b"\n")


def relay_events(conn, head):
    """The engine's stream, asked for as HTTP/1.0 (no chunking of its own),
    sent on as a chunked response of the proxy's."""
    if os.path.exists(os.path.join(CTL, "refuse_events")):
        body = b'{"message":"stand-in proxy: event stream refused"}'
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        note("refused")
        return
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(UPSTREAM)
    first, rest = head.split(b"\r\n", 1)
    up.sendall(with_connection_close(first.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n" + rest))
    uphead, body = read_head(up, b"")
    if uphead is None:
        return
    lines = uphead.split(b"\r\n")
    keep = [l for l in lines[1:] if l.split(b":")[0].lower() not in
            (b"transfer-encoding", b"content-length", b"connection")]
    conn.sendall(b"\r\n".join([lines[0].replace(b"HTTP/1.0", b"HTTP/1.1")] + keep) +
                 b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    note("open")
    stream = Stream(conn, up)
    if body:
        stream.buf = body
    stream.run()
    up.close()


def relay_version(conn, head):
    """/version with CTL/api_version in place of the engine's ApiVersion."""
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(UPSTREAM)
    first, rest = head.split(b"\r\n", 1)
    up.sendall(with_connection_close(first.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n" + rest))
    answer = b""
    while True:
        data = up.recv(65536)
        if not data:
            break
        answer += data
    up.close()
    _, body = answer.split(b"\r\n\r\n", 1)
    doc = json.loads(body)
    doc["ApiVersion"] = control("api_version")
    body = json.dumps(doc).encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n%s" % (len(body), body))


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
        if EVENTS.match(path):
            return relay_events(conn, head)
        if VERSION.match(path) and control("api_version"):
            return relay_version(conn, head)
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(UPSTREAM)
        up.sendall(with_connection_close(head))
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
