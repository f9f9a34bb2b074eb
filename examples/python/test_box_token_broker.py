"""Tests of box_token_broker.py against a running broker with local IAM emulation on.

Run by test/python-example.test.ts (which starts the local server), or by hand:

    BOX_LOCAL_IAM_KEYS='[...]' npm start &
    BOX_TOKEN_BROKER_URL=http://127.0.0.1:8787 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
    BOX_TEST_KEYS='{"temporary": {...}}' BOX_TEST_FAULT_SCOPE=item_upload \
        python3 -m unittest -v test_box_token_broker

Environment:
  BOX_TOKEN_BROKER_URL   the broker (required)
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   a key the emulation maps to a principal allowed the
                         enterprise token but not user 99 (the default chain is used as-is)
  BOX_TEST_KEYS          optional JSON {"temporary": {accessKeyId, secretAccessKey, sessionToken}}
  BOX_TEST_FAULT_SCOPE   optional: a scope whose next token exchange the server will fail with a
                         429 and Retry-After 7 (to check box_unavailable)
"""

import hashlib
import http.server
import json
import os
import socket
import sys
import tempfile
import threading
import unittest

import botocore.session

# Beside the source file, test the source; copied elsewhere, test the installed package.
_HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.exists(os.path.join(_HERE, "box_token_broker.py")):
    sys.path.insert(0, _HERE)

import box_token_broker  # noqa: E402
from box_token_broker import BoxTokenBroker, BrokerError, exit_code_for  # noqa: E402

print(f"testing box_token_broker {box_token_broker.__version__} from {box_token_broker.__file__}", file=sys.stderr)

URL = os.environ.get("BOX_TOKEN_BROKER_URL", "")
KEYS = json.loads(os.environ.get("BOX_TEST_KEYS", "{}"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def session_with(access_key: str, secret_key: str, token: "str | None" = None) -> botocore.session.Session:
    session = botocore.session.Session()
    session.set_credentials(access_key, secret_key, token)
    return session


@unittest.skipIf(URL == "", "BOX_TOKEN_BROKER_URL is not set")
class BoxTokenBrokerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = FakeClock()
        self.sleeps = []
        self.broker = BoxTokenBroker(URL, clock=self.clock, sleep=self.sleeps.append, max_attempts=1)

    def assert_broker_error(self, code: str, call, retryable: bool = False) -> BrokerError:
        with self.assertRaises(BrokerError) as caught:
            call()
        self.assertEqual(caught.exception.code, code)
        self.assertEqual(caught.exception.retryable, retryable)
        return caught.exception

    def test_signs_with_the_default_chain_and_gets_a_token(self) -> None:
        token = self.broker.get_token()
        self.assertEqual(token["token_type"], "bearer")
        self.assertEqual(token["box_subject_type"], "enterprise")
        self.assertGreater(token["expires_in"], 3000)

    def test_caches_the_token_until_it_nears_expiry(self) -> None:
        first = self.broker.get_token(scope=["item_preview"])
        self.clock.now += 600
        second = self.broker.get_token(scope="item_preview")
        self.assertEqual(second["access_token"], first["access_token"])
        self.assertEqual(second["expires_in"], first["expires_in"] - 600)
        self.assertEqual(self.broker.broker_calls, 1)

        self.clock.now += first["expires_in"] - 600 - 59  # inside the 60 s refresh margin
        self.broker.get_token(scope="item_preview")
        self.assertEqual(self.broker.broker_calls, 2)

    def test_asks_again_when_min_ttl_exceeds_the_cached_life(self) -> None:
        first = self.broker.get_token()
        self.clock.now += 1000
        self.broker.get_token(min_ttl=first["expires_in"] - 500)
        self.assertEqual(self.broker.broker_calls, 2)

    def test_downscopes_to_an_item(self) -> None:
        token = self.broker.get_token(subject="user:42", scope="item_preview", resource="folder:777")
        self.assertEqual(token["box_subject_id"], "42")
        self.assertEqual(token["restricted_to"][0]["object"]["id"], "777")

    def test_accepts_temporary_credentials_with_a_session_token(self) -> None:
        temporary = KEYS.get("temporary")
        if temporary is None:
            self.skipTest("BOX_TEST_KEYS has no temporary key")
        session = session_with(temporary["accessKeyId"], temporary["secretAccessKey"], temporary["sessionToken"])
        token = BoxTokenBroker(URL, session=session).get_token()
        self.assertEqual(token["token_type"], "bearer")

    def test_invalid_scope_is_a_typed_error(self) -> None:
        error = self.assert_broker_error("invalid_scope", lambda: self.broker.get_token(scope="nope"))
        self.assertEqual(error.status, 400)
        self.assertTrue(error.request_id)
        self.assertEqual(exit_code_for(error), 3)

    def test_invalid_request_is_a_typed_error(self) -> None:
        self.assert_broker_error("invalid_request", lambda: self.broker.get_token(subject="user:abc"))

    def test_access_denied_is_a_typed_error(self) -> None:
        error = self.assert_broker_error("access_denied", lambda: self.broker.get_token(subject="user:99"))
        self.assertEqual(error.status, 403)
        self.assertEqual(exit_code_for(error), 4)

    def test_a_wrong_secret_key_is_not_authorized(self) -> None:
        access_key = botocore.session.Session().get_credentials().access_key
        broker = BoxTokenBroker(URL, session=session_with(access_key, "wrong-secret"))
        error = self.assert_broker_error("not_authorized", broker.get_token)
        self.assertIn("signature we calculated does not match", error.description)

    def test_an_unknown_key_is_not_authorized(self) -> None:
        broker = BoxTokenBroker(URL, session=session_with("AKIDNOTCONFIGURED01", "whatever"))
        error = self.assert_broker_error("not_authorized", broker.get_token)
        self.assertIn("security token included in the request is invalid", error.description)

    def test_box_unavailable_is_retryable_with_retry_after(self) -> None:
        scope = os.environ.get("BOX_TEST_FAULT_SCOPE")
        if scope is None:
            self.skipTest("BOX_TEST_FAULT_SCOPE is not set")
        self.broker.get_token()  # the parent token is cached, so the fault hits the exchange
        error = self.assert_broker_error("box_unavailable", lambda: self.broker.get_token(scope=scope), True)
        self.assertEqual(error.retry_after, 7)
        self.assertEqual(exit_code_for(error), 6)

    def test_an_unreachable_broker_is_a_retryable_network_error(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        broker = BoxTokenBroker(f"http://127.0.0.1:{port}", max_attempts=2, sleep=self.sleeps.append)
        self.assert_broker_error("network_error", broker.get_token, True)
        self.assertEqual(len(self.sleeps), 1)

    def test_plain_http_to_a_remote_host_is_refused(self) -> None:
        self.assert_broker_error("invalid_argument", lambda: BoxTokenBroker("http://broker.example.com/prod"))

    def test_revoke_goes_through_the_broker(self) -> None:
        token = self.broker.get_token(scope="item_rename")
        self.broker.revoke(token["access_token"])
        again = self.broker.get_token(scope="item_rename")
        self.assertNotEqual(again["access_token"], token["access_token"])

    def test_revokes_an_acme_token_in_acme_so_the_broker_drops_it(self) -> None:
        token = self.broker.get_token(tenant="acme")
        self.broker.revoke(token["access_token"])
        # Another client (no cache of its own) must not be handed the revoked token.
        fresh = BoxTokenBroker(URL, max_attempts=1).get_token(tenant="acme")
        self.assertEqual(fresh["tenant"], "acme")
        self.assertNotEqual(fresh["access_token"], token["access_token"])


class _StubHandler(http.server.BaseHTTPRequestHandler):
    """Records each request; answers like the broker, or with the server's ``answer`` function."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        status, answer, *extra = self.server.answer(self.path, body, len(self.server.requests))
        raw = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


def _token_body(token: str, **extra: object) -> dict:
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": 3600,
        "expires_at": "2030-01-01T00:00:00Z",
        "restricted_to": [],
        "box_subject_type": "enterprise",
        "box_subject_id": "1234567",
        **extra,
    }


def _default_answer(path: str, body: dict, index: int):
    if path.endswith("/revoke"):
        return 200, {"revoked": True}
    extra = {"tenant": body["tenant"]} if "tenant" in body else {}
    return 200, _token_body(f"token-{index}", **extra)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CallerSideTest(unittest.TestCase):
    """What the client sends (contract v1.1), against a recording stub broker on 127.0.0.1."""

    def setUp(self) -> None:
        self.server = http.server.HTTPServer(("127.0.0.1", 0), _StubHandler)
        self.server.requests = []
        self.server.answer = _default_answer
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/prod"
        self.broker = BoxTokenBroker(self.url, session=session_with("AKIDSTUB", "stub-secret"), max_attempts=1)

    def tearDown(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list:
        return [request["body"] for request in self.server.requests]

    def test_sends_the_tenant_and_caches_per_tenant(self) -> None:
        acme = self.broker.get_token(tenant="acme")
        default = self.broker.get_token()
        again = self.broker.get_token(tenant="acme")
        self.assertEqual(self.bodies(), [{"tenant": "acme"}, {}])
        self.assertEqual(acme["tenant"], "acme")
        self.assertEqual(again["access_token"], acme["access_token"])
        self.assertNotEqual(default["access_token"], acme["access_token"])

    def test_refuses_a_tenant_outside_the_contract_pattern(self) -> None:
        for tenant in ["", "Acme", "-a", "a-", "a_b", "a" * 65, "acme\n"]:
            with self.assertRaises(BrokerError) as caught:
                self.broker.get_token(tenant=tenant)
            self.assertEqual(caught.exception.code, "invalid_argument")
        self.assertEqual(self.server.requests, [])

    def test_revoke_sends_the_tenant_the_token_came_from_or_the_one_named(self) -> None:
        acme = self.broker.access_token(tenant="acme")
        replaced_by = self.broker.access_token(tenant="acme", dead_token=acme)
        default = self.broker.access_token()
        self.broker.revoke(acme)
        self.broker.revoke(default)
        self.broker.revoke("token-from-elsewhere", tenant="globex-2")
        with self.assertRaises(BrokerError) as caught:
            self.broker.revoke("t", tenant="Not A Tenant")
        self.assertEqual(caught.exception.code, "invalid_argument")
        self.assertNotEqual(replaced_by, acme)
        self.assertEqual(
            [(r["path"], r["body"]) for r in self.server.requests[3:]],
            [
                ("/prod/revoke", {"token": acme, "tenant": "acme"}),
                ("/prod/revoke", {"token": default}),
                ("/prod/revoke", {"token": "token-from-elsewhere", "tenant": "globex-2"}),
            ],
        )

    def test_refuses_a_redirect_and_never_sends_the_signature_elsewhere(self) -> None:
        elsewhere = http.server.HTTPServer(("127.0.0.1", 0), _StubHandler)
        elsewhere.requests = []
        elsewhere.answer = _default_answer
        threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
        target = f"http://127.0.0.1:{elsewhere.server_address[1]}/prod/token"
        try:
            for status in (301, 302, 303, 307, 308):
                self.server.answer = lambda path, body, index, s=status: (s, {}, {"Location": target})
                with self.assertRaises(BrokerError) as caught:
                    self.broker.get_token()
                self.assertEqual(caught.exception.code, "unexpected_response")
                self.assertEqual(caught.exception.status, status)
        finally:
            elsewhere.shutdown()
            elsewhere.server_close()
        self.assertEqual(elsewhere.requests, [])
        self.assertEqual(len(self.server.requests), 5)

    def test_sends_the_sha256_of_a_dead_token_never_the_token(self) -> None:
        dead = self.broker.access_token()
        fresh = self.broker.access_token(dead_token=dead)
        self.assertEqual(self.bodies(), [{}, {"dead_token_sha256": _sha256(dead)}])
        self.assertNotIn(dead, json.dumps(self.server.requests))
        self.assertNotEqual(fresh, dead)
        self.assertEqual(self.broker.access_token(), fresh)

    def test_falls_back_to_revoke_against_a_v1_0_broker(self) -> None:
        def legacy(path: str, body: dict, index: int):
            if "dead_token_sha256" in body:
                return 400, {
                    "error": "invalid_request",
                    "error_description": 'Unknown field "dead_token_sha256"; allowed: scope.',
                    "retryable": False,
                    "request_id": "r1",
                }
            return _default_answer(path, body, index)

        self.server.answer = legacy
        dead = self.broker.access_token()
        fresh = self.broker.access_token(dead_token=dead)
        self.assertEqual(
            [(r["path"], r["body"]) for r in self.server.requests],
            [
                ("/prod/token", {}),
                ("/prod/token", {"dead_token_sha256": _sha256(dead)}),
                ("/prod/revoke", {"token": dead}),
                ("/prod/token", {}),
            ],
        )
        self.assertNotEqual(fresh, dead)

    def test_reports_its_version_in_user_agent_and_signs(self) -> None:
        self.broker.get_token()
        headers = self.server.requests[0]["headers"]
        self.assertTrue(headers["User-Agent"].startswith(f"box-token-broker-python/{box_token_broker.__version__} "))
        self.assertTrue(headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDSTUB/"))

    def test_calls_a_loopback_broker_unsigned_without_credentials_and_warns(self) -> None:
        warnings = []
        home = tempfile.mkdtemp()
        names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
        names += ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED")
        saved = {name: os.environ.pop(name, None) for name in names}
        os.environ.update(
            AWS_CONFIG_FILE=os.path.join(home, "config"),
            AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        try:
            broker = BoxTokenBroker(self.url, session=botocore.session.Session(), warn=warnings.append)
            token = broker.get_token()
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None)
                if value is not None:
                    os.environ[name] = value
        self.assertEqual(token["access_token"], "token-1")
        self.assertNotIn("Authorization", self.server.requests[0]["headers"])
        self.assertEqual(len(warnings), 1)
        self.assertIn("unsigned", warnings[0])

    def test_never_calls_a_remote_broker_unsigned(self) -> None:
        class NoCredentials:
            def get_credentials(self):
                return None

            def get_config_variable(self, name):
                return "eu-west-1"

        broker = BoxTokenBroker("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", session=NoCredentials())
        with self.assertRaises(BrokerError) as caught:
            broker.get_token()
        self.assertEqual(caught.exception.code, "aws_credentials_unavailable")


if __name__ == "__main__":
    unittest.main()
