#!/usr/bin/env python3
"""STAND-IN engine for tests/inspector-docker/malformed.sh -- not Docker.

A real engine cannot be made to send malformed or hostile documents, so this
small HTTP server on a unix socket answers the few GET endpoints the
inspector uses with deliberately broken JSON, odd types and oversized lines.
Everything that a real engine can produce is tested against real dockerd and
Podman instead.  Every request line is appended to LOG.

usage: standin-engine.py SOCKET LOG
"""
import json
import os
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler

SOCK, LOG = sys.argv[1], sys.argv[2]
PREFIX = "/v1.43"  # the engine claims 1.99; the inspector must cap to its own max


def inspect_doc(cid, name, env, networks=None, ports=None, running=True):
    return {
        "Id": cid, "Name": "/" + name,
        "State": {"Running": running, "Paused": False, "Status": "running"},
        "Config": {"Env": env, "Labels": None},
        "NetworkSettings": {"IPAddress": "", "Networks": networks or {}, "Ports": ports},
    }


INSPECT = {
    "aaa": json.dumps(inspect_doc("aaa", "good", ["BEACHHEAD_DOMAINS=good.example.org"],
                                  {"net": {"IPAddress": "172.30.9.2"}})),
    "bbb": '{"Id": "bbb", "Name": "/broken", "State": {"Running": tr',  # truncated
    "ccc": "[1, 2, 3]",  # not an object
    "ddd": json.dumps(inspect_doc("ddd", "weird", [123, None, "BEACHHEAD_DOMAINS=weird.example.org"],
                                  {"n1": "not-an-object", "n2": {"IPAddress": 7}},
                                  {"80/tcp": "x", "abc": [{"HostPort": "9"}], "443/tcp": None})),
    "eee": json.dumps({"Id": "eee", "Name": "", "State": {}}),  # no name
}
LIST = [
    {"Id": "aaa", "Names": ["/good"]},
    {"Id": "bbb", "Names": ["/broken"]},
    {"Id": "ccc", "Names": ["/notobj"]},
    {"Names": ["/noid"]},
    42,
    {"Id": "ddd", "Names": "not-a-list"},
    {"Id": "eee", "Names": ["/noname"]},
    {"Id": "fff", "Names": ["/err500"]},
]
EVENTS = [
    b"not json at all\n",
    b'{"Type":"container","Action":"start","Actor":{"ID":"aaa","Attributes":{"name":"good"}}}\n',
    b'{"Type":"network","Action":"connect","Actor":{"ID":"x"}}\n',
    b'{"Action":"start","Actor":"nope"}\n',
    b'{"Type":"container","Action":"start","Actor":{"ID":"' + b"z" * 20000 + b'"}}\n',  # oversized
    b'[]\n\n',
    b'{"Type":"container","Action":"die","Actor":{"ID":"aaa","Attributes":{"name":"good"}}}\n',
]


# Once its die event is out, "good" is exited (the inspector confirms a die
# by inspecting the container: the engine's state wins over events).
GOOD_EXITED = json.dumps(inspect_doc("aaa", "good", ["BEACHHEAD_DOMAINS=good.example.org"],
                                     running=False))
died = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        global died
        with open(LOG, "a") as log:
            log.write("GET %s\n" % self.path)
        path = self.path.split("?")[0]
        if path == "/version":
            return self.send(200, json.dumps({"Version": "stand-in", "ApiVersion": "1.99"}))
        if path == PREFIX + "/containers/json":
            return self.send(200, json.dumps(LIST))
        if path.startswith(PREFIX + "/containers/") and path.endswith("/json"):
            ref = path[len(PREFIX + "/containers/"):-len("/json")]
            if ref == "aaa" and died:
                return self.send(200, GOOD_EXITED)
            if ref in INSPECT:
                return self.send(200, INSPECT[ref])
            if ref == "fff":
                return self.send(500, json.dumps({"message": "stand-in says: internal error"}))
            return self.send(404, json.dumps({"message": "No such container: " + ref}))
        if path == PREFIX + "/events":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            time.sleep(0.5)  # after the first pass
            for chunk in EVENTS:
                died = died or b'"die"' in chunk
                # Split writes: lines must be reassembled across reads.
                for i in range(0, len(chunk), 7000):
                    self.wfile.write(chunk[i:i + 7000])
                    self.wfile.flush()
                    time.sleep(0.01)
            time.sleep(3600)
            return
        self.send(404, json.dumps({"message": "page not found"}))

    def do_POST(self):
        with open(LOG, "a") as log:
            log.write("POST %s\n" % self.path)
        self.send(405, "{}")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCK):
    os.unlink(SOCK)
with Server(SOCK, Handler) as server:
    server.serve_forever()
