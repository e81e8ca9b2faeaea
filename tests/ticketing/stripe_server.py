"""localstripe for the tests: a stateful fake Stripe server (PyPI ``localstripe``) started in a
subprocess on a free loopback port, and a small HTTP server that records the webhooks
localstripe signs and sends.

localstripe's own ``start()`` listens on every interface (``::``) and pickles its store to the
fixed path /tmp/localstripe.pickle after every write, which concurrent runs (other test files,
other engineers, CI jobs) would share. The runner below serves the same aiohttp app on
127.0.0.1 only, on a port the kernel picks, with that persistence switched off.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ON_CI

SECRET_KEY = "sk_test_eventday_localstripe"
PUBLISHABLE_KEY = "pk_test_eventday_localstripe"
START_TIMEOUT_S = 30

RUNNER = """
import socket, sys
import localstripe.resources as resources
resources.Store.dump_to_disk = lambda self: None  # no shared /tmp/localstripe.pickle
from aiohttp import web
from localstripe.server import app
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.listen(128)
with open(sys.argv[1] + ".tmp", "w") as fh:
    fh.write(str(sock.getsockname()[1]))
import os
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
web.run_app(app, sock=sock, print=None, access_log=None)
"""


class LocalStripeUnavailable(RuntimeError):
    pass


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen
    log_path: Path
    secret_key: str = SECRET_KEY
    publishable_key: str = PUBLISHABLE_KEY

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def app_config(self, webhook_secret: str) -> dict:
        """The STRIPE_* settings that point an EventDay app at this server."""
        return {
            "STRIPE_SECRET_KEY": self.secret_key,
            "STRIPE_PUBLISHABLE_KEY": self.publishable_key,
            "STRIPE_WEBHOOK_SECRET": webhook_secret,
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": self.js_url,
        }

    def call(self, method: str, path: str, data: dict | None = None, *, auth: bool = True):
        """One API call; JSON in (localstripe reads JSON bodies as well as forms), JSON out."""
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.secret_key}"
        url = self.url + path  # http://127.0.0.1:<port>/…, never a user-supplied scheme
        req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def register_webhook(self, name: str, url: str, secret: str, events=None) -> None:
        data = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = list(events)
        self.call("POST", f"/_config/webhooks/{name}", data, auth=False)

    def card_token(self, number: str = "4242424242424242") -> dict:
        """Tokenise a test card with the publishable key, as Stripe.js does in the browser."""
        card = {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
        return self.call(
            "POST", "/v1/tokens", {"card": card, "key": self.publishable_key}, auth=False
        )

    def intent(self, intent_id: str) -> dict:
        return self.call("GET", f"/v1/payment_intents/{intent_id}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_localstripe(workdir: Path, timeout: float = START_TIMEOUT_S) -> LocalStripe:
    """Start localstripe on 127.0.0.1:<free port>; wait until it serves its mock Stripe.js."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
    port_file.unlink(missing_ok=True)
    log_path = workdir / "localstripe.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(port_file)],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if url is None and port_file.exists():
            url = f"http://127.0.0.1:{int(port_file.read_text())}"
        if url is not None:
            try:
                with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return LocalStripe(url=url, process=process, log_path=log_path)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    output = log_path.read_text(errors="replace")[-2000:]
    raise LocalStripeUnavailable(
        f"localstripe did not start within {timeout:.0f} s (exit code {process.returncode}): "
        f"{output or 'no output'}"
    )


def require_localstripe(workdir: Path) -> LocalStripe:
    """localstripe, or skip — except under CI=true, where it must run."""
    try:
        return start_localstripe(workdir)
    except (LocalStripeUnavailable, OSError) as exc:
        reason = f"localstripe is not available: {exc}"
        if ON_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


# --------------------------------------------------------------------------- webhooks


@dataclass
class Delivery:
    """One webhook request exactly as it arrived: the raw body and the signature header."""

    path: str
    signature: str
    body: bytes
    event: dict = field(default_factory=dict)

    @property
    def intent_id(self) -> str | None:
        return self.event.get("data", {}).get("object", {}).get("id")


class WebhookInbox:
    """Records every POST it receives and answers 200, like a healthy endpoint."""

    def __init__(self):
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event = json.loads(body)
                except ValueError:
                    event = {}
                with inbox._lock:
                    inbox.deliveries.append(
                        Delivery(self.path, self.headers.get("Stripe-Signature", ""), body, event)
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/stripe/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, predicate: Callable[[Delivery], bool], timeout: float = 15) -> Delivery:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for delivery in self.deliveries:
                    if predicate(delivery):
                        return delivery
            time.sleep(0.05)
        with self._lock:
            seen = [(d.event.get("type"), d.intent_id) for d in self.deliveries]
        raise AssertionError(f"no matching webhook within {timeout} s; received {seen}")


@contextlib.contextmanager
def webhook_inbox() -> Iterator[WebhookInbox]:
    inbox = WebhookInbox()
    inbox._thread.start()
    try:
        yield inbox
    finally:
        inbox.server.shutdown()
        inbox.server.server_close()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, computed as Stripe (and localstripe) do."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), b"%d." % timestamp + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
