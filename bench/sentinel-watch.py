#!/usr/bin/env python3
"""bench/sentinel-failover.sh's stopwatch: subscribes to +switch-master on
one sentinel, and when the announcement for MASTER_NAME arrives, polls the
new master's DBSIZE (every millisecond, over its own connection) until it
reaches N.  Prints "SWITCH_TO_ALL_MS NEW_PORT".  Gives up after TIMEOUT s.

  sentinel-watch.py SENTINEL_PORT MASTER_NAME N TIMEOUT [SENTINEL_PASSWORD]
"""
import socket
import sys
import time


def command(sock_file, sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read_reply(sock_file)


def read_reply(f):
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b"-"):
        return rest.decode()
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode()
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise ValueError("bad reply %r" % line)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s, s.makefile("rb")


def main():
    sentinel_port, name, n, timeout = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    password = sys.argv[5] if len(sys.argv) > 5 else None
    s, f = connect(sentinel_port)
    if password:
        command(f, s, "AUTH", password)
    command(f, s, "SUBSCRIBE", "+switch-master")
    print("subscribed", file=sys.stderr, flush=True)
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    while True:
        msg = read_reply(f)
        if isinstance(msg, list) and msg[0] == "message":
            fields = msg[2].split()
            if fields[0] == name:
                break
    t_switch = time.monotonic()
    new_port = int(fields[4])
    m, mf = connect(new_port)
    while time.monotonic() < deadline:
        if command(mf, m, "DBSIZE") >= n:
            print("%.1f %d" % ((time.monotonic() - t_switch) * 1000, new_port), flush=True)
            return
        time.sleep(0.001)
    sys.exit("timed out waiting for %d keys on port %d" % (n, new_port))


if __name__ == "__main__":
    main()
