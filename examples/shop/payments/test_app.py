"""Unit tests of payments: charge validation, the version, and the HTTP API in-process."""

import json
import os
import threading
import unittest
import urllib.error
import urllib.request
from unittest import mock

import app


class ValidateChargeTest(unittest.TestCase):
    def test_accepts_a_positive_amount(self):
        status, charge = app.validate_charge({"amount": 1250, "reference": "o-1"}, limit=5000)
        self.assertEqual(status, 201)
        self.assertEqual(charge["amount"], 1250)
        self.assertEqual(charge["currency"], "EUR")
        self.assertEqual(charge["reference"], "o-1")
        self.assertEqual(charge["status"], "succeeded")
        self.assertTrue(charge["id"].startswith("ch-"))

    def test_rejects_zero_and_negative_amounts(self):
        for amount in (0, -1, -1250):
            with self.subTest(amount=amount):
                status, body = app.validate_charge({"amount": amount}, limit=5000)
                self.assertEqual(status, 400)
                self.assertIn("greater than 0", body["error"])

    def test_rejects_amounts_that_are_not_integers(self):
        for amount in (None, "12", 12.5, True, [1]):
            with self.subTest(amount=amount):
                status, _ = app.validate_charge({"amount": amount}, limit=5000)
                self.assertEqual(status, 400)

    def test_rejects_a_body_that_is_not_an_object(self):
        self.assertEqual(app.validate_charge([1, 2], limit=5000)[0], 400)

    def test_rejects_an_unknown_currency(self):
        status, body = app.validate_charge({"amount": 5, "currency": "XYZ"}, limit=5000)
        self.assertEqual(status, 400)
        self.assertIn("currency", body["error"])

    def test_declines_amounts_over_the_limit(self):
        self.assertEqual(app.validate_charge({"amount": 5000}, limit=5000)[0], 201)
        status, body = app.validate_charge({"amount": 5001}, limit=5000)
        self.assertEqual(status, 402)
        self.assertIn("limit", body["error"])

    def test_the_limit_comes_from_the_environment(self):
        with mock.patch.dict(os.environ, {"PAYMENTS_LIMIT": "10"}):
            self.assertEqual(app.validate_charge({"amount": 11})[0], 402)


class VersionTest(unittest.TestCase):
    def test_app_version_wins_then_the_commit_then_version(self):
        env = {"APP_VERSION": "1.2.3", "SEAMLESS_COMMIT": "abc123", "VERSION": "9"}
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(app.version(), "1.2.3")
            del os.environ["APP_VERSION"]
            self.assertEqual(app.version(), "abc123")
            del os.environ["SEAMLESS_COMMIT"]
            self.assertEqual(app.version(), "9")
            del os.environ["VERSION"]
            self.assertEqual(app.version(), "dev")


class HttpApiTest(unittest.TestCase):
    """Runs the real server on an ephemeral loopback port."""

    def setUp(self):
        self.server = app.make_server(host="127.0.0.1", port=0)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        quiet = mock.patch.object(app.Handler, "log_message", lambda *_: None)
        quiet.start()
        self.addCleanup(quiet.stop)

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def call(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def test_health(self):
        with mock.patch.dict(os.environ, {"APP_VERSION": "t1"}):
            status, body = self.call("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"status": "ok", "service": "payments", "version": "t1"})

    def test_version(self):
        with mock.patch.dict(os.environ, {"SEAMLESS_COMMIT": "deadbeef"}, clear=True):
            status, body = self.call("GET", "/version")
        self.assertEqual(status, 200)
        self.assertEqual(body["commit"], "deadbeef")
        self.assertEqual(body["version"], "deadbeef")

    def test_a_charge_is_recorded(self):
        status, charge = self.call("POST", "/charges", {"amount": 700, "currency": "USD"})
        self.assertEqual(status, 201)
        status, body = self.call("GET", "/charges")
        self.assertEqual(status, 200)
        self.assertEqual(body["charges"], [charge])

    def test_an_invalid_charge_is_not_recorded(self):
        status, _ = self.call("POST", "/charges", {"amount": 0})
        self.assertEqual(status, 400)
        self.assertEqual(self.call("GET", "/charges")[1]["charges"], [])

    def test_malformed_json_is_a_400(self):
        status, body = self.call("POST", "/charges", raw=b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("JSON", body["error"])

    def test_unknown_routes_are_404(self):
        self.assertEqual(self.call("GET", "/nope")[0], 404)
        self.assertEqual(self.call("POST", "/nope", {})[0], 404)


if __name__ == "__main__":
    unittest.main()
