#!/usr/bin/env python3
"""STAND-IN DNS server for tests: a resolver that never answers (a DNS server
that is down behind a firewall dropping packets, or an overloaded one), which
a real DNS server cannot be made to be.

  standin-dns.py ADDRESS LOG
      Listens on UDP ADDRESS:53, appends one line "SOURCE_PORT NAME" to LOG
      for every query it receives, and never answers.  Prints "ready" on
      stdout once it listens; runs until killed.
"""
import socket
import sys


def query_name(packet):
    """The first question's name (the header is 12 bytes)."""
    labels, i = [], 12
    while i < len(packet) and packet[i]:
        labels.append(packet[i + 1:i + 1 + packet[i]].decode("ascii", "replace"))
        i += 1 + packet[i]
    return ".".join(labels)


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((sys.argv[1], 53))
    print("ready", flush=True)
    with open(sys.argv[2], "a", encoding="ascii") as log:
        while True:
            packet, peer = server.recvfrom(4096)
            print(peer[1], query_name(packet), file=log, flush=True)


main()
