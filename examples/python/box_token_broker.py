"""Box access tokens from box-token-broker, for Python callers.

Install it (``pip install ./examples/python``, or copy this one file into your project). It needs
only ``botocore`` (present wherever boto3 is: Lambda, Glue, SageMaker, EMR; or
``pip install botocore`` / ``apt-get install python3-botocore``) and the standard library.
Requests are signed with SigV4 for ``execute-api`` using the default AWS credential chain, so a
Lambda role, an ECS task role, an instance profile, SSO or ``AWS_PROFILE`` all work unchanged.

    from box_token_broker import BoxTokenBroker, BrokerError

    broker = BoxTokenBroker("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
    token = broker.access_token()                       # the enterprise service account
    token = broker.access_token(subject="user:12345", scope="item_read", min_ttl=600)
    token = broker.access_token(tenant="acme")          # another Box enterprise (contract v1.1)

After Box answers 401 for a token, pass it as ``dead_token=`` on the next call: only its SHA-256
is sent, and the broker never hands that token back (contract v1.1). ``revoke(token)`` revokes in
the tenant the token came from (or ``tenant=``).

Redirects are never followed: the signed request (its ``Authorization`` header) goes to the
broker URL you gave and nowhere else; a 3xx answer is an ``unexpected_response`` error.

Tokens are cached in memory until they near expiry (``refresh_margin`` seconds), so a process
making many Box calls asks the broker rarely. Failures raise :class:`BrokerError` with a stable
``code`` (the broker's contract codes plus ``not_authorized``, ``throttled``, ``gateway_error``,
``unexpected_response``, ``network_error``, ``timeout``, ``aws_credentials_unavailable``,
``invalid_argument``), ``retryable`` and ``retry_after`` (seconds), exactly like the TypeScript
client. ``box-token-py`` (or ``python -m box_token_broker``) is a ``box-token``-like command
with the same options and exit codes.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterable, Optional, Union

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

__all__ = ["BoxTokenBroker", "BrokerError", "EXIT_CODES", "__version__"]

__version__ = "1.1.0"
USER_AGENT = f"box-token-broker-python/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"

# The broker's error codes and whether retrying can help (docs/api.md, "Errors").
CONTRACT_CODES = {
    "invalid_request": False,
    "invalid_scope": False,
    "access_denied": False,
    "not_found": False,
    "tenant_not_found": False,
    "tenant_suspended": False,
    "method_not_allowed": False,
    "misconfigured": False,
    "credentials_unavailable": True,
    "box_credentials_rejected": False,
    "box_bad_response": True,
    "box_unavailable": True,
    "box_timeout": True,
    "server_error": False,
    # Contract v1.3: the onboarding page's answers (never to a token request).
    "invitation_not_found": False,
    "rate_limited": True,
    "tenant_exists": False,
}
# Failures the client detects itself (API Gateway, the network, local credentials).
CLIENT_CODES = {
    "not_authorized": False,
    "throttled": True,
    "gateway_error": True,
    "unexpected_response": False,
    "network_error": True,
    "timeout": True,
    "aws_credentials_unavailable": False,
    "invalid_argument": False,
}

_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_ITEM_SHORTHAND = re.compile(r"^(file|folder):(\d+)$")
# Contract v1.1 (lambda/contract.ts TENANT_ID_PATTERN); \Z, not $, so a trailing newline fails.
_TENANT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")


class BrokerError(Exception):
    """A failure to get a token. Branch on ``code`` or ``retryable``, never on the message."""

    def __init__(
        self,
        code: str,
        description: str,
        *,
        retryable: Optional[bool] = None,
        retry_after: Optional[int] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        if retryable is None:
            retryable = CONTRACT_CODES.get(code, CLIENT_CODES.get(code, False))
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.request_id = request_id


class BoxTokenBroker:
    """A client for one broker URL and one AWS identity; keep one per process to share its cache."""

    def __init__(
        self,
        url: str,
        *,
        region: Optional[str] = None,
        session: Optional[botocore.session.Session] = None,
        refresh_margin: int = 60,
        timeout: float = 10.0,
        max_attempts: int = 2,
        max_retry_delay: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        warn: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.url = _base_url(url)
        self._session = session or botocore.session.Session()
        self.region = _region(self.url, region, self._session)
        self._refresh_margin = refresh_margin
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._max_retry_delay = max_retry_delay
        self._clock = clock
        self._sleep = sleep
        self._cache: Dict[str, Dict[str, Any]] = {}
        # The tenant each token came from (None = the default), until it expires: revoke sends it.
        self._origins: Dict[str, Dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._warn = warn or (lambda message: print(f"box_token_broker: warning: {message}", file=sys.stderr))
        # Set once a loopback call found no AWS credentials: later calls go unsigned at once.
        self._unsigned = False
        #: Calls made to the broker (not served from the cache); handy in tests and metrics.
        self.broker_calls = 0

    # ---- public API --------------------------------------------------------------------------

    def get_token(
        self,
        *,
        subject: Optional[str] = None,
        scope: Union[str, Iterable[str], None] = None,
        resource: Optional[str] = None,
        shared_link: Optional[str] = None,
        min_ttl: Optional[int] = None,
        tenant: Optional[str] = None,
        dead_token: Optional[str] = None,
    ) -> Dict[str, Any]:
        """The broker's token response (a dict); ``expires_in`` is the life left right now.

        ``subject`` is ``"enterprise"`` (default) or ``"user:ID"``; ``scope`` a space-delimited
        string or a list; ``resource`` an item URL or ``file:ID`` / ``folder:ID``; ``tenant`` a
        tenant ID (default: the deployment's default tenant). ``dead_token`` is a token Box just
        refused with 401: it is dropped from the cache and only its SHA-256 is sent, so no broker
        environment returns it again.
        """
        request = _token_request(subject, scope, resource, shared_link, min_ttl, tenant)
        key = _cache_key(request)
        need = max(self._refresh_margin, min_ttl or 0)
        with self._lock:
            if dead_token:
                self._forget_locked(dead_token)
            cached = self._cache.get(key)
            if cached is not None and cached["expires_at"] - self._clock() > need:
                return self._present(cached)
            # Holding the lock while fetching makes concurrent misses share one broker call.
            response = _token_response(self._fetch_token(request, dead_token))
            entry = {"response": response, "expires_at": self._clock() + response["expires_in"]}
            self._cache[key] = entry
            self._remember_origin_locked(response["access_token"], request.get("tenant"), entry["expires_at"])
            return self._present(entry)

    def access_token(self, **request: Any) -> str:
        """Just the token string; same arguments as :meth:`get_token`."""
        return str(self.get_token(**request)["access_token"])

    def revoke(self, token: str, *, tenant: Optional[str] = None) -> None:
        """Revokes a token at Box through the broker and forgets it here.

        The revoke goes to the tenant the token came from: ``tenant`` if given, else the tenant
        this client asked for when it got the token (the default tenant for a token it did not
        get itself). Revoked in another tenant, the token would stay in its own tenant's cache.
        """
        if tenant is not None:
            tenant = _token_request(None, None, None, None, None, tenant)["tenant"]
        with self._lock:
            origin = self._origins.get(token)
            if tenant is None and origin is not None:
                tenant = origin["tenant"]
            self._forget_locked(token)
        body: Dict[str, Any] = {"token": token}
        if tenant is not None:
            body["tenant"] = tenant
        self._call("POST", "/revoke", body)
        with self._lock:
            self._origins.pop(token, None)

    def _remember_origin_locked(self, token: str, tenant: Optional[str], expires_at: float) -> None:
        now = self._clock()
        for stale in [t for t, origin in self._origins.items() if origin["expires_at"] <= now]:
            del self._origins[stale]
        self._origins.pop(token, None)
        self._origins[token] = {"tenant": tenant, "expires_at": expires_at}
        if len(self._origins) > _MAX_ORIGINS:
            del self._origins[next(iter(self._origins))]

    def _forget_locked(self, token: str) -> None:
        for key in [k for k, v in self._cache.items() if v["response"]["access_token"] == token]:
            del self._cache[key]

    def _fetch_token(self, request: Dict[str, Any], dead_token: Optional[str]) -> Dict[str, Any]:
        if not dead_token:
            return self._call("POST", "/token", request)
        try:
            return self._call("POST", "/token", {**request, "dead_token_sha256": token_sha256(dead_token)})
        except BrokerError as error:
            if error.code != "invalid_request" or '"dead_token_sha256"' not in error.description:
                raise
        # A v1.0 broker does not know the field: revoke the token instead (which evicts it from the
        # environment that served it), as clients did before v1.1, and ask again without it.
        legacy_revoke = {"token": dead_token}
        if "tenant" in request:
            legacy_revoke["tenant"] = request["tenant"]
        try:
            self._call("POST", "/revoke", legacy_revoke)
        except BrokerError:
            pass
        return self._call("POST", "/token", request)

    def health(self) -> Dict[str, Any]:
        """The broker's ``GET /health`` answer."""
        return self._call("GET", "/health", None)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # ---- HTTP --------------------------------------------------------------------------------

    def _present(self, entry: Dict[str, Any]) -> Dict[str, Any]:
        remaining = max(0, int(entry["expires_at"] - self._clock()))
        return {**entry["response"], "expires_in": remaining}

    def _call(self, method: str, route: str, body: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        attempt = 1
        while True:
            try:
                return self._send(method, route, body)
            except BrokerError as error:
                wait = self._retry_delay(error, attempt)
                if wait is None:
                    raise
                self._sleep(wait)
                attempt += 1

    def _retry_delay(self, error: BrokerError, attempt: int) -> Optional[float]:
        if not error.retryable or attempt >= self._max_attempts:
            return None
        if error.retry_after is not None:
            return float(error.retry_after) if error.retry_after <= self._max_retry_delay else None
        return 0.2 * 2 ** (attempt - 1) * (0.5 + random.random())

    def _send(self, method: str, route: str, body: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        url = self.url + route
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        credentials = self._credentials_or_unsigned()
        if credentials is not None:
            signed = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(credentials, "execute-api", self.region).add_auth(signed)
            headers = dict(signed.headers.items())
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        self.broker_calls += 1
        try:
            with _OPENER.open(request, timeout=self._timeout) as answer:
                return _json_object(answer.read(), answer.status)
        except urllib.error.HTTPError as answer:
            if 300 <= answer.code < 400:
                raise BrokerError(
                    "unexpected_response",
                    f"The broker answered HTTP {answer.code} (a redirect); redirects are not followed, "
                    "so the signed request never goes to another host. Use the API's invoke URL.",
                    status=answer.code,
                ) from None
            raise _error_from_answer(answer.code, answer.headers, answer.read()) from None
        except (socket.timeout, TimeoutError):
            raise BrokerError("timeout", f"The broker did not answer within {self._timeout} s.") from None
        except urllib.error.URLError as failure:
            if isinstance(failure.reason, (socket.timeout, TimeoutError)):
                raise BrokerError("timeout", f"The broker did not answer within {self._timeout} s.") from None
            raise BrokerError("network_error", "The broker could not be reached.") from None

    def _credentials_or_unsigned(self) -> Any:
        """Credentials to sign with; ``None`` (unsigned) only for a loopback broker without any."""
        if self._unsigned:
            return None
        try:
            return self._credentials()
        except BrokerError as error:
            host = urllib.parse.urlsplit(self.url).hostname
            if error.code != "aws_credentials_unavailable" or host not in _LOOPBACK:
                raise
        self._unsigned = True
        self._warn(
            "No AWS credentials found: calling the local broker unsigned "
            "(it answers unsigned calls unless its IAM emulation is on)."
        )
        return None

    def _credentials(self) -> Any:
        try:
            credentials = self._session.get_credentials()
        except Exception as failure:  # botocore raises many kinds; all mean "none usable"
            raise BrokerError(
                "aws_credentials_unavailable", f"No AWS credentials to sign with ({type(failure).__name__})."
            ) from None
        if credentials is None:
            raise BrokerError(
                "aws_credentials_unavailable",
                "No AWS credentials to sign with; configure the default chain (AWS_PROFILE, a role, ...).",
            )
        return credentials.get_frozen_credentials()


# ---- helpers ---------------------------------------------------------------------------------

# Most tokens whose tenant a client remembers for revoke; the oldest go first.
_MAX_ORIGINS = 10000


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follows a redirect: urllib would resend the Authorization header to the new URL,
    another host or plain http included. The 3xx answer surfaces as an HTTPError instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 (urllib's signature)
        return None


# build_opener keeps urllib's default handlers (proxies from the environment included) and
# replaces only the redirect handler.
_OPENER = urllib.request.build_opener(_RefuseRedirects())


def _base_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    loopback = parsed.hostname in _LOOPBACK
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        raise BrokerError("invalid_argument", "The broker URL must use https (http only for a loopback host).")
    if parsed.query or parsed.fragment or parsed.username:
        raise BrokerError("invalid_argument", "The broker URL must not carry a query, fragment or credentials.")
    path = re.sub(r"/token$", "", parsed.path.rstrip("/"))
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def _region(url: str, explicit: Optional[str], session: botocore.session.Session) -> str:
    if explicit:
        return explicit
    host = urllib.parse.urlsplit(url).hostname or ""
    match = _EXECUTE_API_HOST.search(host)
    if match:
        return match.group(1)
    configured = session.get_config_variable("region") or os.environ.get("AWS_DEFAULT_REGION")
    if configured:
        return str(configured)
    if host in _LOOPBACK:
        return "us-east-1"  # the local broker accepts any region
    raise BrokerError("invalid_argument", f"Cannot tell the AWS region of {host}: pass region=.")


def token_sha256(token: str) -> str:
    """The SHA-256 (lowercase hex) of an access token: how a dead token is named to the broker."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_request(
    subject: Optional[str],
    scope: Union[str, Iterable[str], None],
    resource: Optional[str],
    shared_link: Optional[str],
    min_ttl: Optional[int],
    tenant: Optional[str] = None,
) -> Dict[str, Any]:
    request: Dict[str, Any] = {}
    if subject is not None:
        if subject == "enterprise":
            request["box_subject_type"] = "enterprise"
        elif subject.startswith("user:") and len(subject) > 5:
            request["box_subject_type"] = "user"
            request["box_subject_id"] = subject[5:]
        else:
            raise BrokerError("invalid_argument", 'subject must be "enterprise" or "user:ID".')
    if scope is not None:
        request["scope"] = scope if isinstance(scope, str) else " ".join(scope)
    if resource is not None:
        item = _ITEM_SHORTHAND.match(resource)
        request["resource"] = f"https://api.box.com/2.0/{item.group(1)}s/{item.group(2)}" if item else resource
    if shared_link is not None:
        request["box_shared_link"] = shared_link
    if min_ttl is not None:
        if not isinstance(min_ttl, int) or isinstance(min_ttl, bool) or min_ttl < 0:
            raise BrokerError("invalid_argument", "min_ttl must be a whole number of seconds.")
        request["min_ttl"] = min_ttl
    if tenant is not None:
        if not isinstance(tenant, str) or not _TENANT_ID.match(tenant):
            raise BrokerError("invalid_argument", "tenant must be 1 to 64 characters of a-z, 0-9 and inner hyphens.")
        request["tenant"] = tenant
    return request


def _cache_key(request: Dict[str, Any]) -> str:
    scopes = sorted(set(str(request.get("scope", "")).split()))
    return json.dumps(
        [
            request.get("box_subject_type", "enterprise"),
            request.get("box_subject_id", ""),
            " ".join(scopes),
            request.get("resource", ""),
            request.get("box_shared_link", ""),
            request.get("tenant", ""),
        ]
    )


def _json_object(raw: bytes, status: int) -> Dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise BrokerError("unexpected_response", "The broker answered without a JSON object.", status=status)
    return value


def _token_response(body: Dict[str, Any]) -> Dict[str, Any]:
    token, expires_in = body.get("access_token"), body.get("expires_in")
    valid = (
        isinstance(token, str)
        and token != ""
        and isinstance(expires_in, (int, float))
        and not isinstance(expires_in, bool)
        and str(body.get("token_type", "")).lower() == "bearer"
    )
    if not valid:
        raise BrokerError("unexpected_response", "The broker's token response is malformed.", status=200)
    return body


def _retry_after(value: Optional[str]) -> Optional[int]:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int(when.timestamp() - time.time() + 0.999))


def _error_from_answer(status: int, headers: Any, raw: bytes) -> BrokerError:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    retry_after = _retry_after(headers.get("Retry-After"))
    request_id = headers.get("X-Request-Id") or headers.get("x-amzn-RequestId")
    if isinstance(body, dict) and body.get("error") in CONTRACT_CODES:
        retryable = body.get("retryable")
        return BrokerError(
            body["error"],
            str(body.get("error_description", body["error"])),
            retryable=retryable if isinstance(retryable, bool) else None,
            retry_after=retry_after,
            status=status,
            request_id=body.get("request_id") or request_id,
        )
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str):  # API Gateway answered itself
        code = (
            "not_authorized"
            if status in (401, 403)
            else "throttled"
            if status == 429
            else "gateway_error"
            if status >= 500
            else "unexpected_response"
        )
        return BrokerError(
            code,
            f"API Gateway answered HTTP {status}: {message[:300]}",
            retry_after=retry_after,
            status=status,
            request_id=request_id,
        )
    return BrokerError(
        "unexpected_response",
        f"The broker answered HTTP {status} without a contract error body.",
        retryable=status == 429 or status >= 500,
        retry_after=retry_after,
        status=status,
        request_id=request_id,
    )


# ---- command line (same options and exit codes as the box-token CLI) --------------------------

EXIT_CODES = {"ok": 0, "failure": 1, "usage": 2, "rejected": 3, "denied": 4, "configuration": 5, "temporary": 6}


def exit_code_for(error: BrokerError) -> int:
    if error.retryable:
        return EXIT_CODES["temporary"]
    if error.code == "invalid_argument":
        return EXIT_CODES["usage"]
    if error.code in ("invalid_request", "invalid_scope"):
        return EXIT_CODES["rejected"]
    if error.code in ("access_denied", "not_authorized", "tenant_not_found", "tenant_suspended"):
        return EXIT_CODES["denied"]
    if error.code in (
        "misconfigured",
        "box_credentials_rejected",
        "not_found",
        "method_not_allowed",
        "aws_credentials_unavailable",
    ):
        return EXIT_CODES["configuration"]
    return EXIT_CODES["failure"]


def main(argv: Optional[list] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="box-token-py", description="Print a Box token from box-token-broker.")
    parser.add_argument("--url", default=os.environ.get("BOX_TOKEN_BROKER_URL"))
    parser.add_argument("--user")
    parser.add_argument("--scope", action="append")
    parser.add_argument("--resource")
    parser.add_argument("--shared-link")
    parser.add_argument("--min-ttl", type=int)
    parser.add_argument("--tenant")
    parser.add_argument("--region")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        if not args.url:
            raise BrokerError("invalid_argument", "Give --url or set BOX_TOKEN_BROKER_URL.")
        broker = BoxTokenBroker(args.url, region=args.region)
        response = broker.get_token(
            subject=None if args.user is None else f"user:{args.user}",
            scope=None if args.scope is None else " ".join(args.scope),
            resource=args.resource,
            shared_link=args.shared_link,
            min_ttl=args.min_ttl,
            tenant=args.tenant,
        )
    except BrokerError as error:
        retry = "not retryable" if not error.retryable else "retryable"
        if error.retryable and error.retry_after is not None:
            retry += f" after {error.retry_after} s"
        print(f"box-token: {error.code}: {error.description} ({retry})", file=sys.stderr)
        return exit_code_for(error)
    print(json.dumps(response) if args.json else response["access_token"])
    return EXIT_CODES["ok"]


def console_main() -> None:
    """Entry point of the ``box-token-py`` console script."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
