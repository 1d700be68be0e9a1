#!/usr/bin/env python3
"""STAND-IN Redis peers for tests: misbehaving servers that a real
redis-server cannot be made to be.  Used only where the point of the test is
the hostile or broken peer itself.

  standin-redis.py stray LISTEN_SOCK UPSTREAM_SOCK DELAY_MS
      A transparent proxy to a real redis-server (the "proxy in between")
      that, on the first connection only, sends one reply nobody asked for
      DELAY_MS after the connection was accepted.
  standin-redis.py oldversion LISTEN_SOCK UPSTREAM_SOCK
      A transparent proxy to a real redis-server that makes it look older:
      the version in its INFO replies reads 6.0.x (same length, so the
      bulk string's header stays right).  Debian's Redis is 7.0; a server
      before 6.2 (no SET ... GET) cannot be had otherwise.
  standin-redis.py huge LISTEN_SOCK
      Answers the first command of every connection with the header of a
      1 GiB bulk string and then streams its bytes for as long as the
      client reads.
  standin-redis.py array LISTEN_SOCK
      Answers the first command of every connection with the header of an
      array of 2000000000 elements, then keeps the connection open.

Each prints "ready" on stdout once it listens, counts accepted connections
in LISTEN_SOCK.count, and runs until killed.
"""
import os
import re
import selectors
import socket
import sys
import time

GIB = 1 << 30


def listen(path):
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    return s


def count_connection(path, n):
    with open(path + ".count", "w") as f:
        f.write("%d\n" % n)


OLD_VERSION = re.compile(rb"redis_version:\d+\.\d+\.(\d+)")


def look_old(data):
    # 7.0.15 -> 6.0.15: the same number of bytes.
    return OLD_VERSION.sub(lambda m: b"redis_version:6.0." + m.group(1), data)


def serve_proxy(listen_path, upstream_path, delay_ms=None, rewrite=None):
    srv = listen(listen_path)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    peers = {}
    clients = set()
    accepted = 0
    stray_at = None  # (client socket, monotonic deadline)
    print("ready", flush=True)
    while True:
        timeout = None
        if stray_at:
            timeout = max(0.0, stray_at[1] - time.monotonic())
        for key, _ in sel.select(timeout):
            if key.data is None:
                client, _ = srv.accept()
                accepted += 1
                count_connection(listen_path, accepted)
                up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                up.connect(upstream_path)
                peers[client] = up
                peers[up] = client
                clients.add(client)
                sel.register(client, selectors.EVENT_READ, "peer")
                sel.register(up, selectors.EVENT_READ, "peer")
                if accepted == 1 and delay_ms is not None:
                    stray_at = (client, time.monotonic() + delay_ms / 1000.0)
                continue
            src = key.fileobj
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            dst = peers.get(src)
            if not data or dst is None:
                for s in (src, dst):
                    if s is not None and s in peers:
                        sel.unregister(s)
                        del peers[s]
                        clients.discard(s)
                        s.close()
                continue
            if rewrite and key.fileobj not in clients:
                data = rewrite(data)
            dst.sendall(data)
        if stray_at and time.monotonic() >= stray_at[1]:
            client = stray_at[0]
            stray_at = None
            if client in peers:
                client.sendall(b"+OK\r\n")


def serve_hostile(listen_path, mode):
    srv = listen(listen_path)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    state = {}  # socket -> bytes of the bulk still to send (huge) or -1
    accepted = 0
    chunk = b"x" * 65536
    print("ready", flush=True)
    while True:
        for key, events in sel.select(1.0):
            if key.data is None:
                try:
                    client, _ = srv.accept()
                except BlockingIOError:
                    continue
                client.setblocking(False)
                accepted += 1
                count_connection(listen_path, accepted)
                state[client] = None  # nothing asked yet
                sel.register(client, selectors.EVENT_READ, "client")
                continue
            s = key.fileobj
            if events & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    del state[s]
                    s.close()
                    continue
                if state[s] is None:
                    if mode == "huge":
                        s.sendall(b"$%d\r\n" % GIB)
                        state[s] = GIB
                        sel.modify(s, selectors.EVENT_READ | selectors.EVENT_WRITE, "client")
                    else:
                        s.sendall(b"*2000000000\r\n")
                        state[s] = -1
            if events & selectors.EVENT_WRITE and s in state and state[s] and state[s] > 0:
                try:
                    sent = s.send(chunk[: min(len(chunk), state[s])])
                except BlockingIOError:
                    continue
                except OSError:
                    sel.unregister(s)
                    del state[s]
                    s.close()
                    continue
                state[s] -= sent
                if state[s] == 0:
                    sel.modify(s, selectors.EVENT_READ, "client")


def main():
    mode = sys.argv[1]
    if mode == "stray":
        serve_proxy(sys.argv[2], sys.argv[3], delay_ms=int(sys.argv[4]))
    elif mode == "oldversion":
        serve_proxy(sys.argv[2], sys.argv[3], rewrite=look_old)
    elif mode in ("huge", "array"):
        serve_hostile(sys.argv[2], mode)
    else:
        sys.exit("unknown mode %s" % mode)


if __name__ == "__main__":
    main()
