"""Unit tests of notifications: validation, the version, and the HTTP API in-process."""

import json
import os
import threading
import unittest
import urllib.error
import urllib.request
from unittest import mock

import app


class ValidateNotificationTest(unittest.TestCase):
    def test_accepts_an_address_and_a_message(self):
        status, item = app.validate_notification({"to": "ada@example.com", "message": " hi "})
        self.assertEqual(status, 201)
        self.assertEqual(item["to"], "ada@example.com")
        self.assertEqual(item["message"], "hi")
        self.assertTrue(item["id"].startswith("n-"))
        self.assertTrue(item["created"].endswith("Z"))

    def test_rejects_a_missing_or_bad_address(self):
        for to in (None, "", "ada", 42):
            with self.subTest(to=to):
                status, body = app.validate_notification({"to": to, "message": "hi"})
                self.assertEqual(status, 400)
                self.assertIn("e-mail", body["error"])

    def test_rejects_an_empty_or_huge_message(self):
        for message in (None, "", "   ", "x" * (app.MAX_MESSAGE + 1)):
            with self.subTest(length=len(message or "")):
                status, _ = app.validate_notification({"to": "a@b.c", "message": message})
                self.assertEqual(status, 400)

    def test_rejects_a_body_that_is_not_an_object(self):
        self.assertEqual(app.validate_notification("hi")[0], 400)


class OutboxTest(unittest.TestCase):
    def test_keeps_order_and_hands_out_copies(self):
        outbox = app.Outbox()
        outbox.add({"id": 1})
        outbox.add({"id": 2})
        items = outbox.all()
        items.clear()
        self.assertEqual(outbox.all(), [{"id": 1}, {"id": 2}])


class VersionTest(unittest.TestCase):
    def test_the_commit_is_the_version_without_app_version(self):
        with mock.patch.dict(os.environ, {"SEAMLESS_COMMIT": "abc123"}, clear=True):
            self.assertEqual(app.version(), "abc123")
        with mock.patch.dict(os.environ, {}, clear=True):
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
        status, body = self.call("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["service"], "notifications")
        self.assertIn("version", body)

    def test_notify_then_list(self):
        status, first = self.call("POST", "/notify", {"to": "a@b.c", "message": "one"})
        self.assertEqual(status, 201)
        self.call("POST", "/notify", {"to": "a@b.c", "message": "two"})
        status, body = self.call("GET", "/notifications")
        self.assertEqual(status, 200)
        self.assertEqual([n["message"] for n in body["notifications"]], ["one", "two"])
        self.assertEqual(body["notifications"][0], first)

    def test_an_invalid_notification_is_not_stored(self):
        self.assertEqual(self.call("POST", "/notify", {"to": "nobody"})[0], 400)
        self.assertEqual(self.call("GET", "/notifications")[1]["notifications"], [])

    def test_malformed_json_is_a_400(self):
        self.assertEqual(self.call("POST", "/notify", raw=b"[")[0], 400)

    def test_unknown_routes_are_404(self):
        self.assertEqual(self.call("GET", "/nope")[0], 404)
        self.assertEqual(self.call("POST", "/notifications", {})[0], 404)


if __name__ == "__main__":
    unittest.main()
