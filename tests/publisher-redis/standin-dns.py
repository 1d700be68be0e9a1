#!/usr/bin/env python3
"""STAND-IN DNS server for tests: a resolver that is down (queries dropped,
never answered) or slow, which a real DNS server cannot be made to be.

  standin-dns.py ADDRESS LOG [IPV4 NAME DELAY_MS [NAME DELAY_MS]...]
      Listens on UDP ADDRESS:53.  A query for a NAME listed is answered
      DELAY_MS after it came: type A with IPV4 (TTL 0), any other type with
      no record (NODATA).  Queries for any other name are never answered.

It appends one line "SOURCE_PORT NAME" to LOG for every query it receives,
prints "ready" on stdout once it listens, and runs until killed.
"""
import socket
import struct
import sys
import threading

TYPE_A = 1


def parse_question(packet):
    """(name, type, offset just past the question); the header is 12 bytes."""
    labels, i = [], 12
    while i < len(packet) and packet[i]:
        labels.append(packet[i + 1:i + 1 + packet[i]].decode("ascii", "replace"))
        i += 1 + packet[i]
    qtype = struct.unpack("!H", packet[i + 1:i + 3])[0] if i + 3 <= len(packet) else 0
    return ".".join(labels), qtype, i + 5


def answer(packet, qtype, question_end, ipv4):
    """A response to packet: its id and question, one A record or none."""
    records = b""
    if qtype == TYPE_A:
        # The name as a pointer to the question's (offset 12), IN, TTL 0.
        records = struct.pack("!HHHIH", 0xC00C, TYPE_A, 1, 0, 4) + socket.inet_aton(ipv4)
    header = packet[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if records else 0, 0, 0)
    return header + packet[12:question_end] + records


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((sys.argv[1], 53))
    ipv4 = sys.argv[3] if len(sys.argv) > 3 else None
    delays = dict(zip(sys.argv[4::2], (int(ms) for ms in sys.argv[5::2])))
    print("ready", flush=True)
    with open(sys.argv[2], "a", encoding="ascii") as log:
        while True:
            packet, peer = server.recvfrom(4096)
            name, qtype, question_end = parse_question(packet)
            print(peer[1], name, file=log, flush=True)
            if name in delays:
                reply = answer(packet, qtype, question_end, ipv4)
                threading.Timer(delays[name] / 1000.0, server.sendto, (reply, peer)).start()


main()
