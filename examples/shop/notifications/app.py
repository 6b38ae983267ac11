"""Notifications: accepts messages to send and keeps them in memory.

    GET  /health            {"status": "ok", "service": "notifications", "version": ...}
    GET  /version           {"service": "notifications", "version": ..., "commit": ...}
    POST /notify            {"to": "ada@example.com", "message": "Order o-1 confirmed"}
                            -> 201 {"id": "n-...", "to": ..., "message": ...}
    GET  /notifications     every notification accepted since start, oldest first

Nothing is really sent: this stands in for an e-mail or chat gateway. Standard
library only.

Listens on $HOST:$PORT (default 0.0.0.0:8000).
"""

import json
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "notifications"
MAX_MESSAGE = 1000


def version():
    """The deployed version: APP_VERSION, else the commit, else VERSION, else 'dev'."""
    for name in ("APP_VERSION", "SEAMLESS_COMMIT", "VERSION"):
        if os.environ.get(name):
            return os.environ[name]
    return "dev"


def validate_notification(body):
    """Checks a notification request and returns (status, response body)."""
    if not isinstance(body, dict):
        return 400, {"error": "expected a JSON object"}
    to, message = body.get("to"), body.get("message")
    if not isinstance(to, str) or "@" not in to:
        return 400, {"error": "to must be an e-mail address"}
    if not isinstance(message, str) or not message.strip():
        return 400, {"error": "message must be a non-empty string"}
    if len(message) > MAX_MESSAGE:
        return 400, {"error": f"message is longer than {MAX_MESSAGE} characters"}
    return 201, {
        "id": "n-" + uuid.uuid4().hex[:12],
        "to": to,
        "message": message.strip(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class Outbox:
    """Notifications kept in memory, safe to use from the server's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items = []

    def add(self, item):
        with self._lock:
            self._items.append(item)

    def all(self):
        with self._lock:
            return list(self._items)


class Handler(BaseHTTPRequestHandler):
    """The HTTP API; `self.server.outbox` holds the notifications."""

    server_version = "shop-notifications/1"

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok", "service": SERVICE, "version": version()})
        elif self.path == "/version":
            self.reply(200, {"service": SERVICE, "version": version(),
                             "commit": os.environ.get("SEAMLESS_COMMIT") or None})
        elif self.path == "/notifications":
            self.reply(200, {"notifications": self.server.outbox.all()})
        else:
            self.reply(404, {"error": f"no route GET {self.path}"})

    def do_POST(self):
        if self.path != "/notify":
            self.reply(404, {"error": f"no route POST {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            self.reply(400, {"error": "body is not valid JSON"})
            return
        status, result = validate_notification(body)
        if status == 201:
            self.server.outbox.add(result)
        self.reply(status, result)

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{SERVICE}: {self.address_string()} {fmt % args}\n")


def make_server(host="0.0.0.0", port=8000):
    """A server with an empty outbox; port 0 picks a free port (for tests)."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.outbox = Outbox()
    return server


def main():
    server = make_server(host=os.environ.get("HOST", "0.0.0.0"),
                         port=int(os.environ.get("PORT", "8000")))
    # PID 1 in a container ignores SIGTERM unless handled: stop promptly on it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"{SERVICE} {version()} listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
