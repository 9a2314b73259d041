#!/usr/bin/python3
"""A webhook receiver for system tests and the demo: a real HTTP/1.1 server on 127.0.0.1.

Every request (except the two control paths below) is answered according to the current
mode and appended to a JSON-lines log, one object per request, flushed before the answer
is sent, so a client that has its reply can read its request in the log:

    {"seq": 1, "method": "POST", "path": "/hook", "headers": {"content-type": "..."},
     "body": "...", "status": 200, "at": 1700000000.123}

`status` is what the receiver answered, or null for a stalled request (never answered).

Control (not logged):
    POST /_control  {"mode": "ok"|"fail"|"stall"|"slow", "status": 503, "delay": 2.5,
                     "count": 1}
        ok     answer 200 {"ok":true}
        fail   answer `status` (default 503) with {"ok":false}
        stall  never answer: hold the connection until the client gives up, the mode is
               changed again, or 300 s pass; then close it
        slow   sleep `delay` seconds, then answer as ok
        count  apply the mode to the next `count` requests only, then back to ok
      Answers 200 {"ok":true}, or 400 {"ok":false,"error":...} for a bad request.
    GET /_requests  the log so far, as a JSON array

Usage: http_receiver.py --port-file F --log F.jsonl [--print]
The port file is written (F.tmp, then renamed) once the socket listens. SIGTERM exits.
Standard library only.
"""

import argparse
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STALL_LIMIT_SECONDS = 300.0
MODES = ("ok", "fail", "stall", "slow")


class Behaviour:
    """The current mode and the request log; shared by all handler threads (one lock)."""

    def __init__(self, log_path, echo):
        self.lock = threading.Lock()
        self.mode = {"mode": "ok"}
        self.remaining = None  # requests left in a counted mode; None = until changed
        self.generation = 0  # bumped by every control request: releases stalled requests
        self.seq = 0
        self.entries = []
        self.log = open(log_path, "a", encoding="utf-8")
        self.echo = echo

    def control(self, spec):
        """Sets the mode from a /_control body; returns an error message or None."""
        mode = spec.get("mode")
        if mode not in MODES:
            return "mode must be one of " + ", ".join(MODES)
        status = spec.get("status", 503)
        delay = spec.get("delay", 0)
        count = spec.get("count")
        if not isinstance(status, int) or not 100 <= status <= 599:
            return "status must be an integer 100..599"
        if not isinstance(delay, (int, float)) or delay < 0:
            return "delay must be a number of seconds >= 0"
        if count is not None and (not isinstance(count, int) or count < 1):
            return "count must be a positive integer"
        with self.lock:
            self.mode = {"mode": mode, "status": status, "delay": float(delay)}
            self.remaining = count
            self.generation += 1
        return None

    def record(self, method, path, headers, body):
        """Logs one request and returns (mode, generation) for answering it."""
        with self.lock:
            mode = self.mode
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining == 0:
                    self.mode = {"mode": "ok"}
                    self.remaining = None
            self.seq += 1
            status = {"ok": 200, "slow": 200, "fail": mode.get("status"), "stall": None}
            entry = {
                "seq": self.seq,
                "method": method,
                "path": path,
                "headers": headers,
                "body": body,
                "status": status[mode["mode"]],
                "at": time.time(),
            }
            self.entries.append(entry)
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()
            if self.echo:
                stamp = time.strftime("%H:%M:%S", time.localtime(entry["at"]))
                key = headers.get("idempotency-key", "-")
                answer = entry["status"] or "stalled"
                print(f"  webhook {stamp} {method} {path} -> {answer}: {summary(body)} "
                      f"[Idempotency-Key {key}]", flush=True)
            return mode, self.generation

    def snapshot(self):
        with self.lock:
            return list(self.entries)

    def released(self, generation):
        with self.lock:
            return self.generation != generation


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "opel-test-receiver/1"

    def log_message(self, format, *args):  # the JSON-lines log replaces the access log
        pass

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status, payload):
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _client_gone(self):
        """True when the client closed its end (on a readable socket: nothing to read)."""
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _stall(self, generation):
        behaviour = self.server.behaviour
        deadline = time.monotonic() + STALL_LIMIT_SECONDS
        while time.monotonic() < deadline and not behaviour.released(generation):
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            if readable and self._client_gone():
                break
            if readable:
                time.sleep(0.1)  # more bytes from the client (pipelining): not an answer
        self.close_connection = True

    def _handle(self):
        body = self._read_body()
        behaviour = self.server.behaviour
        if self.command == "POST" and self.path == "/_control":
            try:
                spec = json.loads(body or b"{}")
                error = behaviour.control(spec) if isinstance(spec, dict) else "not an object"
            except ValueError as e:
                error = "bad JSON: " + str(e)
            if error:
                self._answer(400, {"ok": False, "error": error})
            else:
                self._answer(200, {"ok": True})
            return
        if self.command == "GET" and self.path == "/_requests":
            self._answer(200, behaviour.snapshot())
            return
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        mode, generation = behaviour.record(self.command, self.path, headers,
                                            body.decode("utf-8", errors="replace"))
        if mode["mode"] == "stall":
            self._stall(generation)
        elif mode["mode"] == "fail":
            self._answer(mode["status"], {"ok": False})
        else:
            if mode["mode"] == "slow":
                time.sleep(mode["delay"])
            self._answer(200, {"ok": True})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must never delay exit
    block_on_close = False


def summary(body):
    """The subject of an opel-notifyd message (generic, Slack or Teams body), else the
    body's first 200 characters on one line."""
    try:
        message = json.loads(body)
        if "subject" in message:
            return message["subject"]
        if "text" in message:
            return message["text"]
        return message["attachments"][0]["content"]["body"][0]["text"]
    except (ValueError, KeyError, IndexError, TypeError):
        return body[:200].replace("\n", " ")


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--print", action="store_true", dest="echo")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # the log is flushed per line
    server = Server(("127.0.0.1", args.port), Handler)  # bound and listening on return
    server.behaviour = Behaviour(args.log, args.echo)
    write_atomically(args.port_file, f"{server.server_address[1]}\n")
    if args.echo:
        print(f"http receiver listening on http://127.0.0.1:{server.server_address[1]}/",
              flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
