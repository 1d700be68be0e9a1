#!/usr/bin/env python3
"""Misbehaving and crowding HTTP clients for the metrics endpoint's tests.

  scrapers.py stall HOST PORT N TIMEOUT   N connections that send nothing;
      waits until the server closed every one (exit 0) or TIMEOUT s passed
      (exit 1); prints how long the longest stayed open
  scrapers.py crowd HOST PORT N           N scrapes of /metrics at once;
      prints "ok=A dropped=B" (a dropped one was refused or closed: the
      server takes at most 16 clients)
  scrapers.py huge HOST PORT BYTES        a request line of BYTES bytes;
      prints the status line the server answered, or "closed"
"""
import socket
import sys
import threading
import time


def connect(host, port, timeout=10):
    return socket.create_connection((host, int(port)), timeout=timeout)


def stall(host, port, n, timeout):
    socks = [connect(host, port) for _ in range(int(n))]
    start = time.monotonic()
    deadline = start + float(timeout)
    longest = 0.0
    for s in socks:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while s.recv(4096):
                pass
        except (socket.timeout, OSError):
            print("still open after %.1f s" % (time.monotonic() - start))
            return 1
        longest = max(longest, time.monotonic() - start)
        s.close()
    print("all closed by the server, the last after %.1f s" % longest)
    return 0


def scrape(host, port, results, i):
    try:
        s = connect(host, port)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        results[i] = data.startswith(b"HTTP/1.1 200")
    except OSError:
        results[i] = False


def crowd(host, port, n):
    n = int(n)
    results = [False] * n
    threads = [threading.Thread(target=scrape, args=(host, port, results, i)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(1 for r in results if r)
    print("ok=%d dropped=%d" % (ok, n - ok))
    return 0


def huge(host, port, size):
    s = connect(host, port)
    line = b"GET /" + b"a" * int(size) + b" HTTP/1.1\r\n"
    try:
        s.sendall(line)
    except OSError:
        pass  # the server may close while we still send
    try:
        answer = s.recv(4096)
    except OSError:
        answer = b""
    s.close()
    print(answer.split(b"\r\n")[0].decode() if answer else "closed")
    return 0


if __name__ == "__main__":
    command = {"stall": stall, "crowd": crowd, "huge": huge}[sys.argv[1]]
    sys.exit(command(*sys.argv[2:]))
