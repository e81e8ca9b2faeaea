"""The lean path of the festival morning's commonest request: an online scan of a ticket QR
code (``POST /api/v1/checkin/scan``) on PostgreSQL.

It sits in front of Flask as WSGI middleware: it reads the JSON, verifies the code's Ed25519
signature in Python, and makes one call, ``checkin_scan(…)`` (``ticketing.checkin.scan_sql``),
which locks the ticket, reads its admission after the lock, decides by the same rules as
``operations.scan_ticket``, and records the scan — one round trip, as its own transaction, on
a connection of its own, with no request context, ORM session or cookie.

It answers only what it is sure of. Everything else goes, untouched, to the Flask view
(``ticketing.checkin.api.scan``), which answers it: a body that is not a well-formed online QR
scan, an unknown or revoked device, a list other than the device's, a forged or foreign code, a
short code, an offline upload, a nonce seen before, an entry on a list that tracks exits, a
unique rule that caught a concurrent write, a database error, and any database other than
PostgreSQL. A hand-over has written nothing. Tests send the same scans through both paths and
compare the answers (``tests/ticketing/test_checkin_fastscan.py``).

Switch it off with ``CHECKIN_FAST_PATH = False``; ``CHECKIN_FAST_PATH_CONNECTIONS`` (10) caps its
PostgreSQL connections per process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import secrets
import threading
import time

import sqlalchemy as sa

from eventday.db import utcnow
from eventday.i18n import LOCAL_TZ
from ticketing import signing
from ticketing.checkin import operations as ops

log = logging.getLogger(__name__)

PATH = "/api/v1/checkin/scan"
MAX_BODY = 8192  # a scan is about 300 bytes; anything larger is the Flask view's to refuse

HEADERS = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Vary", "Cookie, Accept-Language"),
]

CALL = """
SELECT outcome, status, short_code, attendee_name, type_vi, type_en, state, first_at,
       first_gate
FROM checkin_scan(%(token_hash)s, %(ticket_id)s, %(festival_id)s, %(list_id)s, %(type)s,
                  %(nonce)s, %(scanned_at)s, %(now)s, %(raw_code)s, %(last_seen_every)s,
                  %(local_tz)s)
"""


class HandOver(Exception):
    """Not this path's to answer: the Flask view will."""


class FastScan:
    """WSGI middleware: answers ``POST /api/v1/checkin/scan`` itself when it can."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.answered = 0  # counted for the tests: how many scans this path answered
        self._keys: dict[int, tuple[float, dict[int, bytes]]] = {}
        self._keys_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._connections: _Connections | None = None

    def __call__(self, environ, start_response):
        if (
            environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or not self.app.config.get("CHECKIN_FAST_PATH", True)
        ):
            return self.wsgi_app(environ, start_response)
        body = _read_body(environ)
        if body is None:
            return self.wsgi_app(environ, start_response)
        try:
            answer = self.scan(environ, body)
        except HandOver:
            answer = None
        except Exception:  # a lost connection, a deadlock: the view tries again and answers
            log.warning("fast scan handed over after an error", exc_info=True)
            answer = None
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.wsgi_app(environ, start_response)
        data = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        start_response("200 OK", [*HEADERS, ("Content-Length", str(len(data)))])
        return [data]

    # ------------------------------------------------------------------ the scan

    def connections(self) -> _Connections | _Borrowed:
        """Where this path's connection comes from, looked up per request without pushing an
        app context: its own autocommit connections for the app's engine, or — when the app is
        bound to a ``Connection`` in a transaction its caller manages (the test suite's
        rolled-back transaction) — that connection, each call in a savepoint."""
        from eventday.extensions import db

        bind = db._app_engines.get(self.app, {}).get(None)
        if bind is None or bind.dialect.name != "postgresql":
            raise HandOver
        if isinstance(bind, sa.Connection):
            return _Borrowed(bind)
        if self._connections is None or self._connections.url is not bind.url:
            limit = self.app.config.get("CHECKIN_FAST_PATH_CONNECTIONS", 10)
            self._connections = _Connections(bind.url, limit)
        return self._connections

    def scan(self, environ, body: bytes) -> dict | None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token.startswith("eds_"):
            raise HandOver
        request = _well_formed(body)
        connections = self.connections()
        connection = connections.get()
        try:
            claims = self._verify(connection, request["raw"])
            with connections.unit(connection):
                answer = self._scan(connection, request, claims, _token_hash(token))
        except BaseException:
            connections.discard(connection)
            raise
        connections.put(connection)
        with self._count_lock:
            self.answered += 1
        return answer

    def _scan(self, connection, request: dict, claims: signing.TicketClaims, token_hash: str):
        now = utcnow()
        scanned_at, skewed = ops.scan_time(request["scanned_at"], now)
        row = connection.execute(
            CALL,
            {
                "token_hash": token_hash,
                "ticket_id": claims.ticket_id,
                "festival_id": claims.festival_id,
                "list_id": request["list_id"],
                "type": request["type"],
                "nonce": request["nonce"],
                "scanned_at": scanned_at,
                "now": now,
                "raw_code": request["raw_code"],
                "last_seen_every": ops.LAST_SEEN_RESOLUTION,
                "local_tz": LOCAL_TZ.key,
            },
        ).fetchone()
        outcome, status, short_code, name, type_vi, type_en, state, first_at, first_gate = row
        if outcome != "answered":
            raise HandOver
        return {
            "nonce": request["nonce"],
            "status": status,
            "ticket": {
                "id": claims.ticket_id,
                "short_code": short_code,
                "name": name,
                "ticket_type": type_vi,
                "ticket_type_en": type_en,
                "state": state,
            },
            "first_scan": {"at": first_at.astimezone(dt.UTC).isoformat(), "gate": first_gate}
            if first_at is not None
            else None,
            "scanned_at": scanned_at.isoformat(),
            "replayed": False,
            "clock_skew": skewed,
        }

    # ------------------------------------------------------------------ keys

    def _verify(self, connection, raw: str) -> signing.TicketClaims:
        """The code's claims, verified with the festival's public keys (cached per process as
        ``operations._public_keys`` does; an unknown key id reloads them once)."""
        try:
            parsed = signing.parse_code(raw)
        except signing.TicketCodeError:
            raise HandOver from None
        festival_id = parsed.claims.festival_id
        for refresh in (False, True):
            try:
                return signing.verify_parsed(
                    parsed, self._public_keys(connection, festival_id, refresh)
                )
            except signing.TicketCodeError as exc:
                if exc.reason != "unknown_key":
                    raise HandOver from exc
        raise HandOver

    def _public_keys(self, connection, festival_id: int, refresh: bool) -> dict[int, bytes]:
        now = time.monotonic()
        entry = self._keys.get(festival_id)
        if refresh or entry is None or now - entry[0] > ops.KEY_CACHE_SECONDS:
            rows = connection.execute(
                "SELECT key_id, public_key FROM festival_keys WHERE festival_id = %(f)s",
                {"f": festival_id},
            ).fetchall()
            keys = {key_id: bytes(raw) for key_id, raw in rows}
            with self._keys_lock:
                entry = self._keys[festival_id] = (now, keys)
        return entry[1]


class _Connections:
    """At most ``limit`` autocommit psycopg connections per process (each call of the function
    is its own transaction), kept apart from the SQLAlchemy pool: that pool pings each
    connection it lends (``pool_pre_ping``), a round trip a scan does not need — a connection
    that died fails the scan, which the view then answers on a fresh one. When all are busy a
    scan waits a moment for one, then hands over."""

    WAIT_S = 5.0

    def __init__(self, url, limit: int):
        self.url = url
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.limit = limit
        self._idle: list = []
        self._open = 0
        self._available = threading.Condition()

    def get(self):
        import psycopg

        with self._available:
            if not self._available.wait_for(
                lambda: self._idle or self._open < self.limit, timeout=self.WAIT_S
            ):
                raise HandOver
            if self._idle:
                return self._idle.pop()
            self._open += 1
        try:
            return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
        except BaseException:
            self._closed()
            raise

    def _closed(self) -> None:
        with self._available:
            self._open -= 1
            self._available.notify()

    def put(self, connection) -> None:
        import psycopg

        idle = connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if connection.closed or not idle:
            connection.close()
            self._closed()
            return
        with self._available:
            self._idle.append(connection)
            self._available.notify()

    @staticmethod
    def unit(connection):
        return contextlib.nullcontext()  # autocommit: the call is its own transaction

    def discard(self, connection) -> None:
        """Keep a connection only if it is clean after a failure."""
        try:
            if not connection.closed and connection.info.transaction_status != 0:
                connection.rollback()
        except Exception:  # noqa: BLE001 - a broken connection is closed by put
            connection.close()
        self.put(connection)


class _Borrowed:
    """The psycopg connection under a SQLAlchemy ``Connection`` whose transaction the caller
    owns: used as it is, each scan in a savepoint, never committed or closed here."""

    def __init__(self, bind: sa.Connection):
        self.connection = bind.connection.driver_connection

    def get(self):
        return self.connection

    @staticmethod
    def unit(connection):
        return connection.transaction()  # a SAVEPOINT inside the caller's transaction

    def put(self, connection) -> None:
        pass

    def discard(self, connection) -> None:
        pass


@functools.lru_cache(maxsize=4096)
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _read_body(environ) -> bytes | None:
    """The request body when it is small and has a length; else None (the view reads it)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    return body if len(body) == length else None


def _well_formed(body: bytes) -> dict:
    """The scan as the view would read it, or HandOver for anything it would refuse or treat
    otherwise (a short code, an offline upload)."""
    from ticketing.checkin.api import parse_time

    try:
        payload = json.loads(body)
    except ValueError:
        raise HandOver from None
    if not isinstance(payload, dict) or payload.get("offline"):
        raise HandOver
    list_id = payload.get("list_id")
    if "list_id" in payload and (isinstance(list_id, bool) or not isinstance(list_id, int)):
        raise HandOver
    code = payload.get("code")
    if not isinstance(code, str):
        raise HandOver
    raw = code.strip()
    if not raw.upper().startswith("EDT"):
        raise HandOver  # a typed or wedge-scanned short code: the view looks it up
    scan_type = payload.get("type", "entry")
    if scan_type not in ("entry", "exit"):
        raise HandOver
    nonce = payload.get("nonce")
    nonce = (nonce if isinstance(nonce, str) else "").strip() or secrets.token_hex(16)
    if len(nonce) > 64:
        raise HandOver
    try:
        scanned_at = parse_time(payload.get("scanned_at"))
    except ValueError:
        raise HandOver from None
    return {
        "raw": raw,
        "raw_code": code[:200],
        "list_id": list_id,
        "type": scan_type,
        "nonce": nonce,
        "scanned_at": scanned_at,
    }


def install(app) -> None:
    app.wsgi_app = FastScan(app, app.wsgi_app)
