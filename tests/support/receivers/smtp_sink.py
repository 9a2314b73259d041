#!/usr/bin/python3
"""An SMTP sink for system tests and the demo: a real SMTP server (aiosmtpd) on 127.0.0.1.

Every accepted message is kept twice in --dir: the raw data as <seq>.eml, and a line of
messages.jsonl, written and flushed before the server answers 250 to DATA:

    {"seq": 1, "mail_from": "opel@example.org", "rcpt_tos": ["a@example.org"],
     "data": "From: ...\\r\\n...", "at": 1700000000.123}

--reject RCPT (repeatable, case-insensitive) answers `550 5.1.1 mailbox unavailable` to
RCPT TO for that address; the other recipients of the message are still accepted.

Usage: smtp_sink.py --port-file F --dir D [--reject RCPT]... [--print]
The port file is written (F.tmp, then renamed) once the server answers. SIGTERM exits.
Needs Debian's python3-aiosmtpd (1.4).
"""

import argparse
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller

HOSTNAME = "smtp-sink.localhost"  # the greeting name; avoids a slow getfqdn() lookup
START_ATTEMPTS = 5


class Sink:
    """The aiosmtpd handler: records accepted messages; runs on the controller's thread."""

    def __init__(self, directory, reject, echo):
        self.directory = directory
        self.reject = {r.lower() for r in reject}
        self.echo = echo
        self.seq = 0
        self.lock = threading.Lock()
        self.log = open(os.path.join(directory, "messages.jsonl"), "a", encoding="utf-8")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        with self.lock:
            self.seq += 1
            with open(os.path.join(self.directory, f"{self.seq}.eml"), "wb") as f:
                f.write(raw)
            entry = {
                "seq": self.seq,
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": raw.decode("utf-8", errors="replace"),
                "at": time.time(),
            }
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()
        if self.echo:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            stamp = time.strftime("%H:%M:%S", time.localtime(entry["at"]))
            print(f"  e-mail  {stamp} to {message.get('To', '-')}: "
                  f"{message.get('Subject', '-')} [Message-ID {message.get('Message-ID', '-')}]",
                  flush=True)
        return "250 Message accepted for delivery"


def free_port():
    """A port on 127.0.0.1 that was free a moment ago (aiosmtpd 1.4 cannot bind port 0:
    its controller connects to the configured port to check readiness)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reject", action="append", default=[], metavar="RCPT")
    parser.add_argument("--print", action="store_true", dest="echo")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # files are flushed per message
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.reject, args.echo)
    for attempt in range(1, START_ATTEMPTS + 1):
        port = args.port or free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port,
                                server_hostname=HOSTNAME, ready_timeout=5.0)
        try:
            controller.start()  # returns once the server has answered a connection
            break
        except OSError as e:  # another process took the port in between: try another
            if attempt == START_ATTEMPTS or args.port:
                raise
            print(f"smtp sink: port {port}: {e}; retrying", file=sys.stderr, flush=True)
    write_atomically(args.port_file, f"{port}\n")
    if args.echo:
        print(f"smtp sink listening on smtp://127.0.0.1:{port}", flush=True)
    while True:
        signal.pause()  # until SIGTERM


if __name__ == "__main__":
    sys.exit(main())
