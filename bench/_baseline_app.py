"""The bare endpoint ``bench.ticket_rush`` compares against: Flask + psycopg, one INSERT per POST.

No ORM, templates, session, CSRF or mail: the framework, one form field and one committed
INSERT on the same PostgreSQL. Served by gunicorn with the same worker settings as the app:

    BASELINE_DSN=postgresql://… gunicorn -w 2 -k gthread --threads 4 bench._baseline_app:app

The bench creates the table ``bench_baseline`` before starting it.
"""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, request

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


@app.post("/insert")
def insert():
    name = request.form.get("full_name", "")
    with _connection().cursor() as cur:
        cur.execute("INSERT INTO bench_baseline (name) VALUES (%s) RETURNING id", (name,))
        row = cur.fetchone()
    return f"{row[0]}\n", 201
