"""Gateway: the shop's public API. Places orders through payments and notifications.

    GET  /health            {"status": "ok", "service": "gateway", "version": ...}
    GET  /version           {"service": "gateway", "version": ..., "commit": ...}
    POST /orders            {"item": "book", "amount": 1250, "email": "ada@example.com"}
                            -> 201 the order, after payments charged it (PAYMENTS_URL)
                               and notifications was told (NOTIFICATIONS_URL)
    GET  /orders            every order placed since start

A charge that payments refuses is returned with its status (400 or 402); any other
payments failure gives 502. A failed notification does not undo the order: it is
returned with "notification": null. Standard library only.

Listens on $HOST:$PORT (default 0.0.0.0:8000).
"""

import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "gateway"


def version():
    """The deployed version: APP_VERSION, else the commit, else VERSION, else 'dev'."""
    for name in ("APP_VERSION", "SEAMLESS_COMMIT", "VERSION"):
        if os.environ.get(name):
            return os.environ[name]
    return "dev"


def post_json(url, payload, timeout=5):
    """POSTs JSON and returns (status, decoded body); raises OSError when unreachable."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"null")
        except ValueError:
            return err.code, {"error": err.reason}


def place_order(body, payments_url, notifications_url, post=post_json):
    """Validates an order, charges it, notifies the buyer; returns (status, body)."""
    if not isinstance(body, dict):
        return 400, {"error": "expected a JSON object"}
    item, email = body.get("item"), body.get("email")
    if not isinstance(item, str) or not item.strip():
        return 400, {"error": "item must be a non-empty string"}
    if not isinstance(email, str) or "@" not in email:
        return 400, {"error": "email must be an e-mail address"}
    order_id = "o-" + uuid.uuid4().hex[:12]
    charge_request = {"amount": body.get("amount"), "currency": body.get("currency", "EUR"),
                      "reference": order_id}
    try:
        status, charge = post(payments_url.rstrip("/") + "/charges", charge_request)
    except OSError as err:
        return 502, {"error": f"payments unreachable: {err}"}
    if status != 201:
        message = charge.get("error") if isinstance(charge, dict) else None
        # The buyer's mistake (400) or a declined charge (402) passes through.
        return (status if status in (400, 402) else 502,
                {"error": message or f"payments answered {status}", "from": "payments"})
    order = {"id": order_id, "status": "confirmed", "item": item.strip(), "email": email,
             "amount": charge["amount"], "currency": charge["currency"],
             "charge": charge["id"], "notification": None}
    try:
        status, sent = post(notifications_url.rstrip("/") + "/notify",
                            {"to": email, "message": f"Order {order_id} confirmed: {item}"})
        if status == 201:
            order["notification"] = sent["id"]
    except OSError as err:
        sys.stderr.write(f"{SERVICE}: notifications unreachable: {err}\n")
    return 201, order


class Handler(BaseHTTPRequestHandler):
    """The HTTP API; `self.server` carries the orders and the downstream URLs."""

    server_version = "shop-gateway/1"

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok", "service": SERVICE, "version": version()})
        elif self.path == "/version":
            self.reply(200, {"service": SERVICE, "version": version(),
                             "commit": os.environ.get("SEAMLESS_COMMIT") or None})
        elif self.path == "/orders":
            with self.server.lock:
                self.reply(200, {"orders": list(self.server.orders)})
        else:
            self.reply(404, {"error": f"no route GET {self.path}"})

    def do_POST(self):
        if self.path != "/orders":
            self.reply(404, {"error": f"no route POST {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            self.reply(400, {"error": "body is not valid JSON"})
            return
        status, result = place_order(body, self.server.payments_url,
                                     self.server.notifications_url)
        if status == 201:
            with self.server.lock:
                self.server.orders.append(result)
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


def make_server(host="0.0.0.0", port=8000, payments_url=None, notifications_url=None):
    """A server with no orders yet; port 0 picks a free port (for tests)."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.orders = []
    server.payments_url = payments_url or os.environ.get("PAYMENTS_URL", "http://payments:8000")
    server.notifications_url = notifications_url or os.environ.get(
        "NOTIFICATIONS_URL", "http://notifications:8000")
    return server


def main():
    server = make_server(host=os.environ.get("HOST", "0.0.0.0"),
                         port=int(os.environ.get("PORT", "8000")))
    # PID 1 in a container ignores SIGTERM unless handled: stop promptly on it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"{SERVICE} {version()} listening on {host}:{port} (payments {server.payments_url},"
          f" notifications {server.notifications_url})", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
