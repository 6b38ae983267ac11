"""Payments: validates and records charges.

    GET  /health            {"status": "ok", "service": "payments", "version": ...}
    GET  /version           {"service": "payments", "version": ..., "commit": ...}
    POST /charges           {"amount": 1250, "currency": "EUR", "reference": "o-1"}
                            -> 201 {"id": "ch-...", "status": "succeeded", ...}
    GET  /charges           every charge recorded since start

Amounts are integers in minor units (cents) and must be greater than 0. Charges
above PAYMENTS_LIMIT (default 100000) are declined with 402. Standard library only.

Listens on $HOST:$PORT (default 0.0.0.0:8000).
"""

import json
import os
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "payments"
CURRENCIES = {"EUR", "USD", "GBP"}


def version():
    """The deployed version: APP_VERSION, else the commit, else VERSION, else 'dev'."""
    for name in ("APP_VERSION", "SEAMLESS_COMMIT", "VERSION"):
        if os.environ.get(name):
            return os.environ[name]
    return "dev"


def validate_charge(body, limit=None):
    """Checks a charge request and returns (status, response body).

    400 for a malformed request, 402 when the amount is over the limit, else 201.
    """
    if limit is None:
        limit = int(os.environ.get("PAYMENTS_LIMIT", "100000"))
    if not isinstance(body, dict):
        return 400, {"error": "expected a JSON object"}
    amount = body.get("amount")
    # bool is an int in Python; true is not an amount.
    if not isinstance(amount, int) or isinstance(amount, bool):
        return 400, {"error": "amount must be an integer number of cents"}
    if amount <= 0:
        return 400, {"error": "amount must be greater than 0"}
    currency = body.get("currency", "EUR")
    if currency not in CURRENCIES:
        return 400, {"error": f"currency must be one of {sorted(CURRENCIES)}"}
    if amount > limit:
        return 402, {"error": f"amount {amount} is over the limit of {limit}"}
    charge = {
        "id": "ch-" + uuid.uuid4().hex[:12],
        "status": "succeeded",
        "amount": amount,
        "currency": currency,
        "reference": str(body.get("reference", "")),
    }
    return 201, charge


class Store:
    """Charges kept in memory, safe to use from the server's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._charges = []

    def add(self, charge):
        with self._lock:
            self._charges.append(charge)

    def all(self):
        with self._lock:
            return list(self._charges)


class Handler(BaseHTTPRequestHandler):
    """The HTTP API; `self.server.store` holds the charges."""

    server_version = "shop-payments/1"

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok", "service": SERVICE, "version": version()})
        elif self.path == "/version":
            self.reply(200, {"service": SERVICE, "version": version(),
                             "commit": os.environ.get("SEAMLESS_COMMIT") or None})
        elif self.path == "/charges":
            self.reply(200, {"charges": self.server.store.all()})
        else:
            self.reply(404, {"error": f"no route GET {self.path}"})

    def do_POST(self):
        if self.path != "/charges":
            self.reply(404, {"error": f"no route POST {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            self.reply(400, {"error": "body is not valid JSON"})
            return
        status, result = validate_charge(body)
        if status == 201:
            self.server.store.add(result)
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
    """A server with an empty store; port 0 picks a free port (for tests)."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.store = Store()
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
