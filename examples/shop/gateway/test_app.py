"""Unit tests of the gateway: order placement with fake downstream calls, and the HTTP
API in-process against stub payments and notifications servers."""

import json
import os
import threading
import unittest
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import app

ORDER = {"item": "book", "amount": 1250, "email": "ada@example.com"}


class FakeDownstream:
    """Stands in for post_json: records calls and answers from a table by path."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, url, payload):
        self.calls.append((url, payload))
        answer = self.answers[url.rsplit("/", 1)[1]]
        if isinstance(answer, Exception):
            raise answer
        return answer


def charged(amount=1250):
    return 201, {"id": "ch-1", "status": "succeeded", "amount": amount, "currency": "EUR"}


class PlaceOrderTest(unittest.TestCase):
    def place(self, body, answers):
        fake = FakeDownstream(answers)
        return app.place_order(body, "http://pay/", "http://note", post=fake), fake

    def test_charges_then_notifies(self):
        (status, order), fake = self.place(ORDER, {"charges": charged(),
                                                   "notify": (201, {"id": "n-1"})})
        self.assertEqual(status, 201)
        self.assertEqual(order["status"], "confirmed")
        self.assertEqual((order["charge"], order["notification"]), ("ch-1", "n-1"))
        self.assertEqual([url for url, _ in fake.calls],
                         ["http://pay/charges", "http://note/notify"])
        charge_request = fake.calls[0][1]
        self.assertEqual(charge_request["amount"], 1250)
        self.assertEqual(charge_request["reference"], order["id"])
        self.assertEqual(fake.calls[1][1]["to"], "ada@example.com")

    def test_validates_before_calling_anyone(self):
        for body in (None, {}, dict(ORDER, item=" "), dict(ORDER, email="ada")):
            with self.subTest(body=body):
                (status, _), fake = self.place(body, {})
                self.assertEqual(status, 400)
                self.assertEqual(fake.calls, [])

    def test_a_refused_charge_passes_through_and_nobody_is_notified(self):
        for code in (400, 402):
            with self.subTest(code=code):
                (status, body), fake = self.place(ORDER, {"charges": (code, {"error": "no"})})
                self.assertEqual((status, body["from"], body["error"]), (code, "payments", "no"))
                self.assertEqual(len(fake.calls), 1)

    def test_payments_down_or_broken_is_a_502(self):
        for answer in (ConnectionRefusedError("refused"), (500, None)):
            with self.subTest(answer=answer):
                (status, _), _ = self.place(ORDER, {"charges": answer})
                self.assertEqual(status, 502)

    def test_a_failed_notification_keeps_the_order(self):
        with mock.patch("sys.stderr"):
            (status, order), _ = self.place(ORDER, {"charges": charged(),
                                                    "notify": OSError("timed out")})
        self.assertEqual(status, 201)
        self.assertIsNone(order["notification"])


def start(server):
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}"


class StubDownstream(BaseHTTPRequestHandler):
    """Payments and notifications in one stub: accepts any charge and notification."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/charges":
            answer = {"id": "ch-9", "amount": body["amount"], "currency": body["currency"]}
        else:
            answer = {"id": "n-9"}
        data = json.dumps(answer).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_):
        pass


class HttpApiTest(unittest.TestCase):
    """Runs the real gateway and a stub downstream on ephemeral loopback ports."""

    def setUp(self):
        self.stub = ThreadingHTTPServer(("127.0.0.1", 0), StubDownstream)
        stub_url = start(self.stub)
        self.server = app.make_server(host="127.0.0.1", port=0, payments_url=stub_url,
                                      notifications_url=stub_url)
        self.base = start(self.server)
        quiet = mock.patch.object(app.Handler, "log_message", lambda *_: None)
        quiet.start()
        self.addCleanup(quiet.stop)

    def tearDown(self):
        for server in (self.server, self.stub):
            server.shutdown()
            server.server_close()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def test_health_reports_the_version(self):
        with mock.patch.dict(os.environ, {"APP_VERSION": "2.0.0"}):
            status, body = self.call("GET", "/health")
        self.assertEqual((status, body["service"], body["version"]), (200, "gateway", "2.0.0"))

    def test_an_order_is_placed_and_listed(self):
        status, order = self.call("POST", "/orders", ORDER)
        self.assertEqual(status, 201)
        self.assertEqual((order["charge"], order["notification"]), ("ch-9", "n-9"))
        self.assertEqual(self.call("GET", "/orders")[1]["orders"], [order])

    def test_a_bad_order_is_a_400_and_not_listed(self):
        self.assertEqual(self.call("POST", "/orders", {"item": "book"})[0], 400)
        self.assertEqual(self.call("GET", "/orders")[1]["orders"], [])

    def test_unknown_routes_are_404(self):
        self.assertEqual(self.call("GET", "/nope")[0], 404)


if __name__ == "__main__":
    unittest.main()
