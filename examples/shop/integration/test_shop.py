"""Integration tests of the whole shop: gateway, payments and notifications running
together (compose.yaml's `tests` service), reached by their service names.

    GATEWAY_URL        default http://gateway:8000
    PAYMENTS_URL       default http://payments:8000
    NOTIFICATIONS_URL  default http://notifications:8000
    WAIT_SECONDS       how long to wait for every /health first (default 60)

Run with `python3 integration/test_shop.py`, or through tools/junit.py for a JUnit
report: `python3 tools/junit.py --start-dir integration --junit reports/junit-integration.xml`.
Standard library only.
"""

import json
import os
import time
import unittest
import urllib.error
import urllib.request

URLS = {
    "gateway": os.environ.get("GATEWAY_URL", "http://gateway:8000"),
    "payments": os.environ.get("PAYMENTS_URL", "http://payments:8000"),
    "notifications": os.environ.get("NOTIFICATIONS_URL", "http://notifications:8000"),
}


def call(service, method, path, body=None):
    """(status, decoded JSON body) of one request to a service."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(URLS[service].rstrip("/") + path, data=data,
                                     method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def setUpModule():
    """Waits until every service answers /health, so the tests do not race startup."""
    deadline = time.monotonic() + float(os.environ.get("WAIT_SECONDS", "60"))
    for service, url in URLS.items():
        while True:
            try:
                status = call(service, "GET", "/health")[0]
            except (OSError, ValueError) as err:
                status = err
            if status == 200:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service} ({url}) is not healthy: {status}")
            time.sleep(0.5)


class ShopTest(unittest.TestCase):
    def test_every_service_is_healthy(self):
        for service in URLS:
            with self.subTest(service=service):
                status, body = call(service, "GET", "/health")
                self.assertEqual(status, 200)
                self.assertEqual((body["status"], body["service"]), ("ok", service))
                self.assertTrue(body["version"])

    def test_an_order_is_charged_and_notified(self):
        status, order = call("gateway", "POST", "/orders",
                             {"item": "teapot", "amount": 2400, "email": "ada@example.com"})
        self.assertEqual(status, 201, order)
        self.assertEqual(order["status"], "confirmed")
        self.assertTrue(order["charge"].startswith("ch-"))
        self.assertTrue(order["notification"].startswith("n-"))

        charges = call("payments", "GET", "/charges")[1]["charges"]
        charge = next(c for c in charges if c["id"] == order["charge"])
        self.assertEqual((charge["reference"], charge["amount"]), (order["id"], 2400))

        notes = call("notifications", "GET", "/notifications")[1]["notifications"]
        note = next(n for n in notes if n["id"] == order["notification"])
        self.assertEqual(note["to"], "ada@example.com")
        self.assertIn(order["id"], note["message"])

        orders = call("gateway", "GET", "/orders")[1]["orders"]
        self.assertIn(order, orders)

    def test_payments_refuses_a_zero_amount(self):
        status, body = call("gateway", "POST", "/orders",
                            {"item": "teapot", "amount": 0, "email": "ada@example.com"})
        self.assertEqual(status, 400)
        self.assertEqual(body["from"], "payments")

    def test_payments_declines_an_amount_over_the_limit(self):
        status, body = call("gateway", "POST", "/orders",
                            {"item": "yacht", "amount": 10**9, "email": "ada@example.com"})
        self.assertEqual(status, 402)
        self.assertIn("limit", body["error"])

    def test_a_refused_order_notifies_nobody(self):
        before = len(call("notifications", "GET", "/notifications")[1]["notifications"])
        call("gateway", "POST", "/orders", {"item": "x", "amount": -5, "email": "a@b.c"})
        after = len(call("notifications", "GET", "/notifications")[1]["notifications"])
        self.assertEqual(before, after)


if __name__ == "__main__":
    unittest.main(verbosity=2)
