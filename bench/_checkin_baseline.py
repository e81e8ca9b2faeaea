"""The bare endpoint ``bench.checkin`` compares against: Flask + psycopg, one UPDATE … RETURNING.

The peer the engineering guide names (``docs``: pretix redeemed ~52 tickets/s against ~1,480/s
for this kind of endpoint): no ORM, no device token, no signature check — the framework, the
same JSON body as the scanner sends, and one committed ``UPDATE … RETURNING`` on the same
PostgreSQL. Served by gunicorn with the same settings as the app:

    BASELINE_DSN=postgresql://… gunicorn -w 2 -k gthread --threads 4 bench._checkin_baseline:app

The bench creates and fills the table ``bench_checkin`` (one row per ticket code) first.
"""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, jsonify, request

app = Flask(__name__)
_local = threading.local()


def _connection() -> psycopg.Connection:
    """One connection per server thread (what a pool gives each request, minus the pool)."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["BASELINE_DSN"], autocommit=True)
    return conn


@app.get("/healthz")
def healthz():
    return "ok\n"


@app.post("/api/v1/checkin/scan")
def scan():
    payload = request.get_json(silent=True)
    code = payload.get("code") if isinstance(payload, dict) else None
    if not isinstance(code, str):
        return jsonify(error={"code": "invalid_body"}), 422
    with _connection().cursor() as cur:
        cur.execute(
            "UPDATE bench_checkin SET scans = scans + 1,"
            " checked_in_at = coalesce(checked_in_at, now())"
            " WHERE code = %s RETURNING id, scans, checked_in_at",
            (code,),
        )
        row = cur.fetchone()
    if row is None:
        return jsonify(status="invalid", ticket=None)
    return jsonify(
        status="ok" if row[1] == 1 else "already_checked_in",
        ticket={"id": row[0]},
        first_scan={"at": row[2].isoformat()},
    )
