"""Ticket rush: 200 buyers at once for a free ticket type of quota 100, against a bare INSERT.

Creates its own PostgreSQL database on 127.0.0.1:5432 (user postgres; dropped at the end)
unless --database-url is given, migrates it (``flask --app app db upgrade``, run in-process
with the set-up so the app is imported once), creates a published festival with free ticket
types of quota 100 (one per round) through the operations, and starts two gunicorn servers
with the same settings (2 workers, gthread, --preload): the app, and
``bench/_baseline_app.py`` whose one route does one INSERT through psycopg.

Each round, 200 buyers first GET the registration form like a browser (session cookie and
CSRF token; not timed), wait at a barrier, then all POST their registration at once, each on
a new connection. Outcomes: sold (302 to the order page), sold out (the form again with the
sold-out message), errors (anything else). After each round the database is read: valid tickets
of the type must be exactly 100. Between rounds the same client, at the same concurrency, sends
waves of 200 POSTs to the baseline. Prints orders/s, POSTs/s, p50/p99 of the POSTs, the ratio
to the baseline and the client's CPU share (the client must not be the bottleneck).

    python -m bench.ticket_rush [--quick] [--database-url URL] [--client-procs N]

Client: raw HTTP/1.1 over blocking sockets, one thread per buyer, in --client-procs processes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing as mp
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parent.parent
BUYERS = 200
QUOTA = 100
WARM_QUOTA = 8  # the untimed warm-up: 16 buyers, so both the sold and the sold-out path run
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*?value="([^"]+)"')
SOLD_OUT_MSGID = "Sold out: no places are left for this ticket. Join the waiting list."


# --------------------------------------------------------------------------- set-up


def migrate_and_set_up(types: int) -> None:
    """Run in a subprocess with DATABASE_URL set: ``flask --app app db upgrade`` (the same CLI,
    in-process, to import the app once), then a published festival with a warm-up ticket type
    (quota 8) and ``types`` free ticket types of quota 100, through the operations.
    Prints {"slug", "warm_id", "type_ids"} as JSON."""
    import datetime as dt

    import sqlalchemy as sa
    from flask.cli import cli

    from eventday import create_app
    from eventday.accounts import operations as account_ops
    from eventday.areas.models import Area
    from eventday.areas.operations import import_bundled
    from eventday.extensions import db
    from eventday.festivals import operations as festival_ops
    from ticketing import operations as ticket_ops
    from ticketing.models import TicketType

    cli.main(["--app", "app", "db", "upgrade"], prog_name="flask", standalone_mode=False)
    app = create_app()
    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count(Area.id))) == 0:
            import_bundled()
        on = dt.date(2025, 7, 1)
        host = db.session.scalar(
            sa.select(Area).where(
                Area.level == "commune",
                Area.code == "20467",
                Area.valid_from <= on,
                sa.or_(Area.valid_to.is_(None), Area.valid_to >= on),
            )
        )
        tag = uuid.uuid4().hex[:8]
        organizer = account_ops.create_user(
            f"bench-{tag}@example.vn", f"bench-{tag}-password", "Ban tổ chức", verified=True
        )
        start = dt.date.today() + dt.timedelta(days=30)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội khởi nghiệp: giờ mở bán vé",
                host_area_ids=[host.id],
                start_date=start,
                end_date=start,
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Nhà văn hóa xã",
                slug=f"gio-mo-ban-{tag}",
            ),
        )
        festival_ops.change_state(festival, "published")
        ticket_ops.payment_settings(festival)  # configured before sales open, as in real use
        ticket_types = [
            TicketType(
                festival_id=festival.id,
                name_vi=f"Vé miễn phí đợt {i}",
                price_vnd=0,
                quota=QUOTA if i else WARM_QUOTA,
                max_per_order=1,
            )
            for i in range(types + 1)
        ]
        db.session.add_all(ticket_types)
        db.session.commit()
        ids = [t.id for t in ticket_types]
        print(json.dumps({"slug": festival.slug, "warm_id": ids[0], "type_ids": ids[1:]}))


def sold_out_markers() -> list[bytes]:
    """The sold-out message as the page shows it, in Vietnamese and English."""
    from babel.support import Translations
    from markupsafe import escape

    vi = Translations.load(str(PROJECT / "translations"), ["vi"]).gettext(SOLD_OUT_MSGID)
    return sorted({str(escape(text)).encode() for text in (vi, SOLD_OUT_MSGID)})


def psycopg_dsn(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def run(cmd: list[str], env: dict) -> str:
    """Run a set-up command in the project; on failure show its output and stop."""
    done = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[-3:])} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, env: dict, workers: int, threads: int, log: Path):
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--preload",  # import the app once, in the master (boot time only)
            "--log-level",
            "warning",
            target,
        ],
        cwd=PROJECT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    return server, port


def wait_ready(port: int, server, log: Path, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start:\n{log.read_text()[-3000:]}")


# --------------------------------------------------------------------------- the client


def _exchange(port: int, request: bytes) -> tuple[int, bytes, bytes]:
    """One request on a new connection (Connection: close); returns status, head, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, head, body


def _post(port: int, path: str, fields: dict, cookie: str = "") -> bytes:
    body = urlencode(fields).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
        "Accept-Language: vi",
        "Connection: close",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _buyer_fields(n: int, wave: str) -> dict:
    return {
        "attendees-0-full_name": f"Nguyễn Thị Người Mua {n}",
        "attendees-0-phone": f"0905{n:06d}",
        "attendees-0-email": f"mua{n}-{wave}@example.vn",
        "attendees-0-participant_group": "",
        "locale": "vi",
        "consent": "y",
    }


def _prepare(job: dict, n: int) -> bytes:
    """Not timed: what a browser does before the click (GET the form for cookie and token)."""
    fields = _buyer_fields(n, job["wave"])
    if job["kind"] == "baseline":
        return _post(job["port"], job["path"], fields)
    conn = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=60)
    conn.request("GET", job["path"], headers={"Accept-Language": "vi"})
    response = conn.getresponse()
    html = response.read()
    conn.close()
    token = CSRF_RE.search(html)
    if response.status != 200 or token is None:
        raise RuntimeError(f"form GET {response.status}")
    cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    fields["csrf_token"] = token.group(1).decode()
    return _post(job["port"], job["path"], fields, cookie)


def _classify(job: dict, status: int, head: bytes, body: bytes) -> str:
    if job["kind"] == "baseline":
        return "ok" if status == 201 else f"error: HTTP {status}"
    if status == 302 and b"/o/" in head:
        return "sold"
    if status == 200 and any(marker in body for marker in job["sold_out_markers"]):
        return "sold_out"
    return f"error: HTTP {status}"


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _server_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a gunicorn master and its workers (all their threads)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            pids = [pid, *(int(child) for child in fh.read().split())]
    except OSError:
        pids = [pid]
    ticks = 0
    for each in pids:
        try:
            with open(f"/proc/{each}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _client_process(job: dict, numbers: list[int], barrier, results) -> None:
    """One client process: a thread per buyer; CPU measured from the start signal to the end."""
    out: list[tuple[float, float, str]] = []
    lock = threading.Lock()

    def buyer(n: int) -> None:
        try:
            request = _prepare(job, n)
        except Exception as exc:  # noqa: BLE001 - reported as an error outcome
            request, failure = None, f"error: prepare {type(exc).__name__}: {exc}"
        barrier.wait(timeout=120)
        started = time.monotonic()
        if request is None:
            outcome = failure
        else:
            try:
                outcome = _classify(job, *_exchange(job["port"], request))
            except OSError as exc:
                outcome = f"error: {type(exc).__name__}"
        ended = time.monotonic()
        with lock:
            out.append((started, ended, outcome))

    threads = [threading.Thread(target=buyer, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    before, ticks_before = resource.getrusage(resource.RUSAGE_SELF), _cpu_ticks()
    server_before = _server_cpu_s(job["server_pid"])
    for t in threads:
        t.join()
    after, ticks_after = resource.getrusage(resource.RUSAGE_SELF), _cpu_ticks()
    server_cpu = _server_cpu_s(job["server_pid"]) - server_before
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    busy = (ticks_after[0] - ticks_before[0], ticks_after[1] - ticks_before[1])
    results.put({"requests": out, "cpu_s": cpu, "machine": busy, "server_cpu_s": server_cpu})


def wave(job: dict, procs: int, buyers: int = BUYERS) -> dict:
    """``buyers`` clients prepare, then all send one POST at once. Returns the timed outcomes."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(buyers + procs)  # every buyer thread + each process's main thread
    results = ctx.Queue()
    numbers = list(range(buyers))
    children = [
        ctx.Process(target=_client_process, args=(job, numbers[i::procs], barrier, results))
        for i in range(procs)
    ]
    for child in children:
        child.start()
    parts = [results.get(timeout=300) for _ in children]
    for child in children:
        child.join()
    requests = [r for part in parts for r in part["requests"]]
    wall = max(r[1] for r in requests) - min(r[0] for r in requests)
    return {
        "latencies": [r[1] - r[0] for r in requests],
        "outcomes": [r[2] for r in requests],
        "wall": wall,
        "cpu_s": sum(part["cpu_s"] for part in parts),
        "machine": parts[0]["machine"],
        "server_cpu_s": parts[0]["server_cpu_s"],  # the first process's window
    }


# --------------------------------------------------------------------------- reporting


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def count_sold(dsn: str, type_id: int) -> tuple[int, int]:
    """(valid tickets, orders holding tickets) of a ticket type, read from the database."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        valid = conn.execute(
            "SELECT count(*) FROM tickets WHERE ticket_type_id = %s AND state = 'valid'",
            (type_id,),
        ).fetchone()[0]
        orders = conn.execute(
            "SELECT count(DISTINCT order_id) FROM tickets"
            " WHERE ticket_type_id = %s AND state IN ('reserved', 'valid')",
            (type_id,),
        ).fetchone()[0]
    return valid, orders


def summarize(waves: list[dict]) -> dict:
    latencies = [x for w in waves for x in w["latencies"]]
    wall = sum(w["wall"] for w in waves)
    cpu = sum(w["cpu_s"] for w in waves)
    busy = sum(w["machine"][0] for w in waves) / max(1, sum(w["machine"][1] for w in waves))
    return {
        "machine_busy": busy,
        "server_ms_per_request": sum(w["server_cpu_s"] for w in waves) * 1000 / len(latencies),
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "wall": wall,
        "client_cpu": cpu / wall,
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round (under 60 s)")
    parser.add_argument("--database-url", default="", help="default: a new database, dropped")
    parser.add_argument("--rounds", type=int, default=0, help="default: 1 quick, 12 full")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both servers)")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 12)
    baseline_waves = 3  # before and again after each rush round, against drift

    import psycopg

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="eventday-rush-"))
    own_db = None
    if args.database_url:
        url = args.database_url
    else:
        own_db = f"eventday_rush_{uuid.uuid4().hex[:10]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{own_db}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{own_db}"
    dsn = psycopg_dsn(url)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "BASELINE_DSN": dsn,
            "EVENTDAY_INSTANCE": str(tmp / "instance"),
            "SECRET_KEY": "bench-ticket-rush",
            "RATELIMIT_ENABLED": "false",
        }
    )
    servers = []
    app_log, base_log = tmp / "app.log", tmp / "baseline.log"
    try:
        # The servers boot (no database access) while the database is migrated and set up;
        # they get no request before that is done.
        app_server, app_port = start_gunicorn("app:app", env, args.workers, args.threads, app_log)
        servers.append(app_server)
        base_server, base_port = start_gunicorn(
            "bench._baseline_app:app", env, args.workers, args.threads, base_log
        )
        servers.append(base_server)
        made = run(
            [
                sys.executable,
                "-c",
                f"from bench.ticket_rush import migrate_and_set_up; migrate_and_set_up({rounds})",
            ],
            env,
        )
        festival = json.loads(made.strip().splitlines()[-1])
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY,"
                " name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            )
        wait_ready(app_port, app_server, app_log)
        wait_ready(base_port, base_server, base_log)
        setup_s = time.monotonic() - began

        markers = sold_out_markers()

        def rush_job(type_id: int, wave_tag: str) -> dict:
            return {
                "kind": "rush",
                "port": app_port,
                "server_pid": app_server.pid,
                "path": f"/f/{festival['slug']}/register/{type_id}",
                "wave": wave_tag,
                "sold_out_markers": markers,
            }

        def baseline_job(wave_tag: str) -> dict:
            return {
                "kind": "baseline",
                "port": base_port,
                "server_pid": base_server.pid,
                "path": "/insert",
                "wave": wave_tag,
            }

        # Warm-up, untimed: 16 buyers for the 8 places of the warm-up type (sold and sold out).
        wave(rush_job(festival["warm_id"], "warm"), args.client_procs, 2 * WARM_QUOTA)
        wave(baseline_job("warm"), args.client_procs)

        rush_waves, base_waves, per_round = [], [], []
        for i, type_id in enumerate(festival["type_ids"], start=1):
            for j in range(baseline_waves):
                base_waves.append(wave(baseline_job(f"a{i}-{j}"), args.client_procs))
            result = wave(rush_job(type_id, f"r{i}"), args.client_procs)
            valid, orders = count_sold(dsn, type_id)
            outcomes = result["outcomes"]
            per_round.append(
                {
                    "sold": valid,
                    "orders": orders,
                    "answered_sold": outcomes.count("sold"),
                    "sold_out": outcomes.count("sold_out"),
                    "errors": [o for o in outcomes if o.startswith("error")],
                }
            )
            rush_waves.append(result)
            for j in range(baseline_waves):
                base_waves.append(wave(baseline_job(f"b{i}-{j}"), args.client_procs))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if own_db:
            with psycopg.connect(
                "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{own_db}" WITH (FORCE)')
        else:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP TABLE IF EXISTS bench_baseline")

    rush, base = summarize(rush_waves), summarize(base_waves)
    sold_total = sum(r["sold"] for r in per_round)
    orders_per_s = sold_total / rush["wall"]
    base_errors = sum(o.startswith("error") for w in base_waves for o in w["outcomes"])
    # A sold answer without a ticket in the database (or the reverse) counts as an error too.
    errors = base_errors + sum(
        len(r["errors"]) + abs(r["answered_sold"] - r["sold"]) for r in per_round
    )
    worst = max(per_round, key=lambda r: abs(r["sold"] - QUOTA))
    oversold = max(max(0, r["sold"] - QUOTA) for r in per_round)

    print(
        f"client: raw HTTP/1.1 sockets, {BUYERS} threads (one per buyer) in "
        f"{args.client_procs} process(es); a new connection per POST"
    )
    print(
        f"servers: gunicorn --preload, {args.workers} workers x {args.threads} gthread threads, "
        f"app and baseline ({os.cpu_count()} CPUs); set-up {setup_s:.1f} s"
    )
    for i, r in enumerate(per_round, start=1):
        print(
            f"round {i:>2}: sold {r['sold']} (valid tickets in the DB; {r['orders']} orders, "
            f"{r['answered_sold']} answered sold), sold out {r['sold_out']}, "
            f"errors {len(r['errors'])}{' ' + r['errors'][0] if r['errors'] else ''}"
        )
    for name, s in (("rush POST", rush), ("baseline", base)):
        print(
            f"{name:>9}: {s['requests']} requests in {s['wall']:.2f} s = {s['rps']:.0f} req/s"
            f"  p50 {s['p50_ms']:.0f} ms  p99 {s['p99_ms']:.0f} ms"
            f"  client CPU {s['client_cpu'] * 100:.0f}% of one core"
            f"  server CPU {s['server_ms_per_request']:.1f} ms/request"
            f"  machine CPU busy {s['machine_busy'] * 100:.0f}%"
        )
    if max(rush["client_cpu"], base["client_cpu"]) > 0.5 * args.client_procs:
        print("warning: the client used over half a core per process; try --client-procs 2")
    ratio = rush["rps"] / base["rps"]
    print(
        f"orders/s {orders_per_s:.0f} (sold / rush time); baseline_ratio = registration POSTs/s "
        f"/ baseline INSERT POSTs/s = {ratio:.3f}"
    )
    print(
        f"ticket_rush: sold={worst['sold']} oversold={oversold} rounds={len(per_round)} "
        f"orders_per_s={orders_per_s:.0f} posts_per_s={rush['rps']:.0f} "
        f"p50_ms={rush['p50_ms']:.0f} p99_ms={rush['p99_ms']:.0f} "
        f"baseline_rps={base['rps']:.0f} baseline_ratio={ratio:.3f} "
        f"client_cpu={max(rush['client_cpu'], base['client_cpu']):.2f} errors={errors}"
    )


if __name__ == "__main__":
    main()
