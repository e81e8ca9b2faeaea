"""Check-in at the gate: 32 scanner clients on 20,000 tickets, against a bare UPDATE … RETURNING.

Creates its own PostgreSQL database on 127.0.0.1:5432 (user postgres; dropped at the end)
unless --database-url is given, migrates it (``flask --app app db upgrade``, run in-process
with the set-up so the app is imported once) and sets up a running festival: one single-entry
check-in list, 4 gates, 32 paired scanner devices (``ops.create_device`` + ``ops.pair_device``)
and 20,000 valid tickets. The tickets and their orders are bulk-inserted (COPY) for speed, but
they are ordinary tickets: each QR text is ``ticketing.signing.encode_claims`` of the ticket's
claims with the festival's key, and a sample is checked byte for byte against
``signing.sign_ticket``.

Two gunicorn servers with the same settings (--preload, 3 workers x 4 gthread threads,
keep-alive): the app, and ``bench/_checkin_baseline.py`` whose one route does one
``UPDATE … RETURNING`` through psycopg on a table of the same 20,000 codes. The same client
drives both: 32 scanner clients, each a keep-alive HTTP/1.1 connection with its own device
token, sending ``POST /api/v1/checkin/scan {"code", "list_id", "type", "scanned_at",
"nonce"}`` back to back on distinct tickets (every answer should be ``ok``); the scanners
of a client process draw from one queue of tickets, so none runs out before the others.
Timed phases: baseline, app, baseline again (the baseline figure is the mean of both, against
drift). Then a paced phase: the app at 160 scans/s in all (each scanner one scan every
0.2 s, open loop: latency counts from each scan's due time), the latency a gate sees when the
server is not saturated (``paced_p99_ms``). Then an untimed storm: all 32 clients scan the
same tickets at once — each must be answered ``ok`` exactly once — and the database is checked
for double admissions (more than one admitting scan per list and ticket). Last, Chromium
(Playwright, headless) verifies 5,000 of the tickets' Ed25519 signatures with WebCrypto, timed
inside the page.

    python -m bench.checkin [--quick] [--database-url URL] [--client-procs N]
                            [--workers N] [--threads N]

Client: raw HTTP/1.1 over blocking sockets, one thread per scanner, in --client-procs processes.
"""

from __future__ import annotations

import argparse
import collections
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
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
TICKETS = 20_000
CLIENTS = 32
GATES = 4
STORM_TICKETS = 100  # scanned by every client at once, untimed (--quick: 16)
SAMPLE_CHECKED = 50  # QR texts compared with signing.sign_ticket
OFFLINE_VERIFICATIONS = 5_000
PACED_RATE = 160  # scans/s from all scanners in the paced phase: 5 per scanner per second
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# --------------------------------------------------------------------------- set-up


def migrate_and_set_up(out_path: str, tickets: int = TICKETS, clients: int = CLIENTS) -> None:
    """Run in a subprocess with DATABASE_URL set: ``flask --app app db upgrade`` (in-process),
    then the festival, list, gates, paired devices and ``tickets`` valid tickets with their
    signed QR texts. Writes the client's data as JSON to ``out_path``."""
    import datetime as dt
    import secrets

    import sqlalchemy as sa
    from flask.cli import cli

    from eventday import create_app
    from eventday.accounts import operations as account_ops
    from eventday.areas.models import Area
    from eventday.areas.operations import import_bundled
    from eventday.db import utcnow
    from eventday.extensions import db
    from eventday.festivals import operations as festival_ops
    from eventday.i18n import LOCAL_TZ, fold
    from ticketing import codes, signing
    from ticketing.checkin import operations as checkin_ops
    from ticketing.checkin.models import CheckinList, Gate
    from ticketing.models import Order, OrderLine, Ticket, TicketType

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
        # Running now: yesterday to tomorrow in Việt Nam, so every scan falls on a festival day.
        start = utcnow().astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội khởi nghiệp: giờ mở cổng",
                host_area_ids=[host.id],
                start_date=start,
                end_date=start + dt.timedelta(days=2),
                day_starts=dt.time(7),
                day_ends=dt.time(18),
                venue_name="Nhà văn hóa xã",
                slug=f"gio-mo-cong-{tag}",
            ),
        )
        festival_ops.change_state(festival, "published")
        ticket_type = TicketType(
            festival_id=festival.id, name_vi="Vé cư dân", name_en="Resident", quota=tickets
        )
        checkin_list = CheckinList(festival_id=festival.id, name="Cổng vào")  # single entry
        gates = [
            Gate(festival_id=festival.id, name=name, position=i)
            for i, name in enumerate(["Cổng chính", "Khu OCOP", "Phòng nhà đầu tư", "Cổng phụ"])
        ][:GATES]
        db.session.add_all([ticket_type, checkin_list, *gates])
        db.session.flush()

        # Orders of 100 tickets each (a commune's group registration), inserted by the ORM.
        per_order = 100
        orders = []
        for i in range(math.ceil(tickets / per_order)):
            count = min(per_order, tickets - i * per_order)
            order = Order(
                festival_id=festival.id,
                code=codes.order_code() + f"{i:04d}"[-4:],
                state="paid",
                payment_method="free",
                total_vnd=0,
                buyer_name=f"Nhóm đăng ký {i}",
                buyer_phone="+84905000000",
                paid_at=utcnow(),
                source="import",
            )
            order.lines.append(
                OrderLine(
                    kind="ticket",
                    ticket_type_id=ticket_type.id,
                    description=ticket_type.name_vi,
                    quantity=count,
                    unit_price_vnd=0,
                )
            )
            orders.append((order, count))
        db.session.add_all([o for o, _ in orders])
        db.session.flush()

        # The tickets: COPY, with the columns the ORM would fill.
        now = utcnow()
        short_codes: set[str] = set()
        rows = []
        n = 0
        for order, count in orders:
            for _ in range(count):
                code = codes.ticket_short_code()
                while code in short_codes:
                    code = codes.ticket_short_code()
                short_codes.add(code)
                name = f"Người tham dự {n:05d}"
                rows.append(
                    (
                        festival.id,
                        order.id,
                        order.lines[0].id,
                        ticket_type.id,
                        "valid",
                        secrets.token_urlsafe(24),
                        code,
                        name,
                        fold(name),
                        f"+8490{n:07d}",
                        "vi",
                        now,
                        False,
                        now,
                        now,
                        now,
                    )
                )
                n += 1
        raw = db.session.connection().connection.driver_connection
        columns = (
            "festival_id, order_id, order_line_id, ticket_type_id, state, secret, short_code,"
            " attendee_name, name_folded, phone, locale, consent_at, share_with_exhibitors,"
            " issued_at, updated_at, created_at"
        )
        with raw.cursor() as cur, cur.copy(f"COPY tickets ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

        # The QR texts: the ticket's claims signed with the festival's key, as sign_ticket does
        # (a type without days admits every festival day).
        key = signing.festival_signing_key(festival)
        private_key = signing.private_key_for(key)
        days = tuple(sorted(d.day for d in festival.days))
        ids = (
            db.session.execute(
                sa.select(Ticket.id).where(Ticket.festival_id == festival.id).order_by(Ticket.id)
            )
            .scalars()
            .all()
        )
        texts = [
            signing.encode_claims(
                signing.TicketClaims(
                    version=signing.VERSION,
                    key_id=key.key_id,
                    festival_id=festival.id,
                    ticket_id=ticket_id,
                    ticket_type_id=ticket_type.id,
                    days=days,
                ),
                private_key,
            )
            for ticket_id in ids
        ]
        step = max(1, len(ids) // SAMPLE_CHECKED)
        for i in range(0, len(ids), step):
            ticket = db.session.get(Ticket, ids[i])
            if signing.sign_ticket(ticket) != texts[i]:
                raise SystemExit(f"ticket {ids[i]}: the bench's QR text differs from sign_ticket")

        tokens = []
        for i in range(clients):
            device, code = checkin_ops.create_device(
                festival, checkin_list, f"Máy quét {i + 1}", gates[i % len(gates)]
            )
            _device, token = checkin_ops.pair_device(code)
            tokens.append(token)
        db.session.commit()
        Path(out_path).write_text(
            json.dumps(
                {
                    "festival_id": festival.id,
                    "list_id": checkin_list.id,
                    "tokens": tokens,
                    "codes": texts,
                    "keys": signing.public_keys(festival),
                }
            )
        )


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
            "--keep-alive",
            "10",  # scanners keep their connection between scans
            "-b",
            f"127.0.0.1:{port}",
            "--preload",
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


def wait_ready(port: int, server, log: Path, timeout: float = 60) -> None:
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


def fill_baseline(dsn: str, texts: list[str]) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_checkin (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE,"
            " scans integer NOT NULL DEFAULT 0, checked_in_at timestamptz)"
        )
        with conn.cursor() as cur, cur.copy("COPY bench_checkin (code) FROM STDIN") as copy:
            for text in texts:
                copy.write_row((text,))
        conn.execute("ANALYZE bench_checkin")


# --------------------------------------------------------------------------- the client


class Scanner:
    """One scanner: a keep-alive HTTP/1.1 connection and its device token."""

    def __init__(self, port: int, token: str, list_id: int):
        self.port, self.list_id = port, list_id
        self.head = (
            f"POST /api/v1/checkin/scan HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Accept-Language: vi\r\n"
        ).encode()
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def scan(self, code: str) -> tuple[int, str]:
        """One scan; returns (HTTP status, the answer's status or error code)."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = (
            f'{{"code":"{code}","list_id":{self.list_id},"type":"entry",'
            f'"scanned_at":"{stamp}","nonce":"{uuid.uuid4().hex}"}}'
        ).encode()
        request = self.head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            try:
                self.sock.sendall(request)
                return self._response()
            except (ConnectionError, TimeoutError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _response(self) -> tuple[int, str]:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            rest += chunk
        body, self.buffer = rest[:length], rest[length:]
        if close:
            self.close()
        try:
            data = json.loads(body)
        except ValueError:
            return status, "unreadable"
        if isinstance(data, dict) and "status" in data:
            return status, data["status"]
        error = data.get("error", {}) if isinstance(data, dict) else {}
        return status, f"error {error.get('code', '?')}"


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a process and its children (a gunicorn master + workers)."""
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
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s() -> float:
    """CPU seconds of all PostgreSQL processes on the machine (backends of every database)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                text = fh.read()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        if name.startswith("postgres"):
            fields = text.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _client_process(job: dict, shares: list[tuple[str, list[str]]], barrier, results) -> None:
    """One client process: a thread per scanner, each scanning its own codes until the end."""
    out: list[tuple[float, float, int, str, str]] = []
    wrapped = [0]
    lock = threading.Lock()

    # Timed phases: the process's scanners draw from one queue of their distinct tickets (a
    # thread the scheduler favours does not run out while the others still have some).
    # The storm: each scanner goes once through its own list.
    pool = collections.deque(code for _token, codes in shares for code in codes)
    everything = list(pool)

    def next_code(codes: list[str], i: int) -> str | None:
        if not job["duration"]:
            return codes[i] if i < len(codes) else None
        try:
            return pool.popleft()  # atomic: no lock needed
        except IndexError:
            with lock:
                if not pool:
                    pool.extend(everything)  # ran out of distinct tickets: scan them again
                    wrapped[0] += 1
            return pool.popleft()

    interval = job.get("interval", 0.0)  # paced: each scanner one scan every `interval` s

    def scanner(n: int, token: str, codes: list[str]) -> None:
        client = Scanner(job["port"], token, job["list_id"])
        mine: list[tuple[float, float, int, str, str]] = []
        try:
            client._connect()
            barrier.wait(timeout=120)
            began = time.monotonic()
            deadline = began + job["duration"]
            i = 0
            while True:
                if job["duration"] and time.monotonic() >= deadline:
                    break
                code = next_code(codes, i)
                if code is None:
                    break
                if interval:
                    # Open loop: the scan is due at its slot (scanners staggered); a late
                    # answer counts from the slot, so a slow server cannot hide its queue.
                    due = began + interval * (i + n / len(shares))
                    time.sleep(max(0.0, due - time.monotonic()))
                    started = due
                else:
                    started = time.monotonic()
                try:
                    status, answer = client.scan(code)
                except OSError as exc:
                    status, answer = 0, f"error {type(exc).__name__}"
                mine.append((started, time.monotonic(), status, answer, code))
                i += 1
        finally:
            client.close()
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=scanner, args=(n, *share)) for n, share in enumerate(shares)]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    before, ticks_before = resource.getrusage(resource.RUSAGE_SELF), _cpu_ticks()
    server_before = _tree_cpu_s(job["server_pid"])
    pg_before = _postgres_cpu_s()
    for t in threads:
        t.join()
    after, ticks_after = resource.getrusage(resource.RUSAGE_SELF), _cpu_ticks()
    server_cpu = _tree_cpu_s(job["server_pid"]) - server_before
    pg_cpu = _postgres_cpu_s() - pg_before
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    results.put(
        {
            "requests": out,
            "cpu_s": cpu,
            "machine": (ticks_after[0] - ticks_before[0], ticks_after[1] - ticks_before[1]),
            "server_cpu_s": server_cpu,
            "pg_cpu_s": pg_cpu,
            "wrapped": wrapped[0],
        }
    )


def phase(job: dict, shares: list[tuple[str, list[str]]], procs: int) -> dict:
    """All scanners at once; ``job["duration"]`` seconds, or once through their codes if 0."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(shares) + procs)
    results = ctx.Queue()
    children = [
        ctx.Process(target=_client_process, args=(job, shares[i::procs], barrier, results))
        for i in range(procs)
    ]
    for child in children:
        child.start()
    parts = [results.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    requests = [r for part in parts for r in part["requests"]]
    wall = max(r[1] for r in requests) - min(r[0] for r in requests)
    return {
        "requests": requests,
        "wall": wall,
        "cpu_s": sum(part["cpu_s"] for part in parts),
        "machine": parts[0]["machine"],
        "server_cpu_s": parts[0]["server_cpu_s"],
        "pg_cpu_s": parts[0]["pg_cpu_s"],
        "wrapped": sum(part["wrapped"] for part in parts),
    }


# --------------------------------------------------------------------------- offline check


OFFLINE_JS = """
async ({keys, codes}) => {
  const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const b32 = (text) => {
    const out = new Uint8Array(Math.floor(text.length * 5 / 8));
    let bits = 0, value = 0, j = 0;
    for (let i = 0; i < text.length; i++) {
      const v = B32.indexOf(text[i]);
      if (v < 0) throw new Error("not base32");
      value = (value << 5) | v; bits += 5;
      if (bits >= 8) { out[j++] = (value >>> (bits - 8)) & 255; bits -= 8; }
    }
    return out;
  };
  const b64url = (text) => {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  };
  const imported = {};
  for (const k of keys) {
    imported[k.key_id] = await crypto.subtle.importKey(
      "raw", b64url(k.public_key), {name: "Ed25519"}, false, ["verify"]);
  }
  // One code as the scanner does it: parse, pick the key by id, verify the signature.
  const verifyOne = (text) => {
    const blob = b32(text.slice(5));
    const message = blob.subarray(0, 21), signature = blob.subarray(21, 85);
    const keyId = new DataView(blob.buffer).getUint32(1);
    return crypto.subtle.verify({name: "Ed25519"}, imported[keyId], signature, message);
  };
  const t0 = performance.now();
  let sequentialOk = 0;
  for (const text of codes) { if (await verifyOne(text)) sequentialOk++; }
  const t1 = performance.now();
  const parallel = await Promise.all(codes.map(verifyOne));
  const t2 = performance.now();
  const forged = codes[0].slice(0, -1) + (codes[0].endsWith("A") ? "B" : "A");
  const forgedOk = await verifyOne(forged);
  return {
    sequential_s: (t1 - t0) / 1000, sequential_ok: sequentialOk,
    parallel_s: (t2 - t1) / 1000, parallel_ok: parallel.filter(Boolean).length,
    forged_rejected: !forgedOk, secure: window.isSecureContext,
  };
}
"""


def offline_verification(port: int, keys: list[dict], codes: list[str]) -> dict:
    """Chromium verifies ``codes`` with WebCrypto Ed25519, timed in the page (performance.now)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/healthz")  # a secure context (localhost)
            result = page.evaluate(OFFLINE_JS, {"keys": keys, "codes": codes})
            version = browser.version
        finally:
            browser.close()
    result["chromium"] = version
    return result


# --------------------------------------------------------------------------- reporting


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def summarize(phases: list[dict]) -> dict:
    requests = [r for p in phases for r in p["requests"]]
    latencies = [r[1] - r[0] for r in requests]
    wall = sum(p["wall"] for p in phases)
    busy = sum(p["machine"][0] for p in phases) / max(1, sum(p["machine"][1] for p in phases))
    return {
        "requests": len(requests),
        "rps": len(requests) / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "wall": wall,
        "client_cpu": sum(p["cpu_s"] for p in phases) / wall,
        "server_ms": sum(p["server_cpu_s"] for p in phases) * 1000 / len(requests),
        "pg_ms": sum(p["pg_cpu_s"] for p in phases) * 1000 / len(requests),
        "machine_busy": busy,
        "answers": Counter(f"{r[2]} {r[3]}" for r in requests),
        "wrapped": sum(p["wrapped"] for p in phases),
    }


def double_admissions(dsn: str, list_id: int) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT count(*) FROM (SELECT ticket_id FROM scans WHERE list_id = %s AND admits"
            " GROUP BY ticket_id HAVING count(*) > 1) AS twice",
            (list_id,),
        ).fetchone()[0]


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (under 60 s)")
    parser.add_argument("--database-url", default="", help="default: a new database, dropped")
    parser.add_argument("--client-procs", type=int, default=4, help="client processes")
    # 3 x 4 on 2 cores: a third worker keeps both CPUs busy while the others wait on
    # PostgreSQL (2 x 4 left ~13% idle); both servers get the same settings.
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (both servers)")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--duration", type=float, default=0, help="app phase, s (20; quick 8)")
    args = parser.parse_args()
    app_s = args.duration or (6 if args.quick else 20)
    base_s = app_s / 2  # before and after the app phase: as long in total
    warm_s = 1 if args.quick else 3
    storm_n = 16 if args.quick else STORM_TICKETS
    paced_s = 3.0 if args.quick else 10.0

    import psycopg

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="eventday-checkin-"))
    own_db = None
    if args.database_url:
        url = args.database_url
    else:
        own_db = f"eventday_checkin_{uuid.uuid4().hex[:10]}"
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
            "SECRET_KEY": "bench-checkin",
        }
    )
    servers = []
    app_log, base_log = tmp / "app.log", tmp / "baseline.log"
    data_path = tmp / "world.json"
    try:
        app_server, app_port = start_gunicorn("app:app", env, args.workers, args.threads, app_log)
        servers.append(app_server)
        base_server, base_port = start_gunicorn(
            "bench._checkin_baseline:app", env, args.workers, args.threads, base_log
        )
        servers.append(base_server)
        run(
            [
                sys.executable,
                "-c",
                "from bench.checkin import migrate_and_set_up; "
                f"migrate_and_set_up({str(data_path)!r}, {TICKETS}, {CLIENTS})",
            ],
            env,
        )
        world = json.loads(data_path.read_text())
        codes = world["codes"]
        fill_baseline(dsn, codes)
        wait_ready(app_port, app_server, app_log)
        wait_ready(base_port, base_server, base_log)
        setup_s = time.monotonic() - began

        # Tickets: a warm-up share, the timed share, the paced phase's, the storm's.
        warm_n = 20 * CLIENTS
        paced_n = math.ceil(PACED_RATE * paced_s) + CLIENTS  # a scan due at the very end
        warm = codes[:warm_n]
        timed = codes[warm_n : len(codes) - STORM_TICKETS - paced_n]
        paced = codes[len(codes) - STORM_TICKETS - paced_n : len(codes) - STORM_TICKETS]
        storm = codes[len(codes) - storm_n :]
        tokens = world["tokens"]

        def shares(pool: list[str]) -> list[tuple[str, list[str]]]:
            return [(tokens[i], pool[i::CLIENTS]) for i in range(CLIENTS)]

        def job(port: int, pid: int, duration: float) -> dict:
            return {
                "port": port,
                "server_pid": pid,
                "list_id": world["list_id"],
                "duration": duration,
            }

        app_job = job(app_port, app_server.pid, app_s)
        # The baseline's rows are the same codes; it may go round them (the UPDATE is the same).
        phase(job(base_port, base_server.pid, warm_s), shares(warm), args.client_procs)
        phase({**app_job, "duration": warm_s}, shares(warm), args.client_procs)
        baseline_phases = [
            phase(job(base_port, base_server.pid, base_s), shares(codes), args.client_procs)
        ]
        app_phase = phase(app_job, shares(timed), args.client_procs)
        baseline_phases.append(
            phase(job(base_port, base_server.pid, base_s), shares(codes[::-1]), args.client_procs)
        )
        # Paced: every scanner one scan each CLIENTS / PACED_RATE seconds (a busy morning at
        # many gates, not a flood): the latency a gate sees when the server is not saturated.
        paced_phase = phase(
            {**app_job, "duration": paced_s, "interval": CLIENTS / PACED_RATE},
            shares(paced),
            args.client_procs,
        )
        # The storm: every scanner scans the same tickets at once, each in its own order.
        storm_shares = [(tokens[i], storm[i:] + storm[:i]) for i in range(CLIENTS)]
        storm_phase = phase({**app_job, "duration": 0}, storm_shares, args.client_procs)
        doubles = double_admissions(dsn, world["list_id"])
        offline = offline_verification(app_port, world["keys"], codes[:OFFLINE_VERIFICATIONS])
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
                conn.execute("DROP TABLE IF EXISTS bench_checkin")

    app, base = summarize([app_phase]), summarize(baseline_phases)
    paced_s_ = summarize([paced_phase])
    # Each storm ticket answered ok exactly once (by whichever scanner came first).
    oks = Counter(r[4] for r in storm_phase["requests"] if r[3] == "ok")
    storm_double_ok = sum(1 for code in storm if oks[code] > 1)
    storm_never_ok = sum(1 for code in storm if oks[code] == 0)
    storm_answers = Counter(f"{r[2]} {r[3]}" for r in storm_phase["requests"])
    errors = sum(
        n
        for answer, n in (app["answers"] + paced_s_["answers"]).items()
        if not answer.startswith("200 ok")
    ) + sum(n for answer, n in base["answers"].items() if not answer.startswith("200 "))
    storm_errors = (
        sum(
            n
            for answer, n in storm_answers.items()
            if answer not in ("200 ok", "200 already_checked_in")
        )
        + storm_double_ok
        + storm_never_ok
    )
    ratio = app["rps"] / base["rps"]
    verify_s = offline["sequential_s"]

    print(
        f"client: raw HTTP/1.1 keep-alive sockets, {CLIENTS} scanner threads (one device token "
        f"each) in {args.client_procs} process(es)"
    )
    print(
        f"servers: gunicorn --preload, {args.workers} workers x {args.threads} gthread threads, "
        f"app and baseline ({os.cpu_count()} CPUs); set-up {setup_s:.1f} s "
        f"({TICKETS} tickets, {len(tokens)} paired devices)"
    )
    for name, s in (("app scan", app), ("baseline", base)):
        print(
            f"{name:>9}: {s['requests']} requests in {s['wall']:.1f} s = {s['rps']:.0f} req/s"
            f"  p50 {s['p50_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms"
            f"  CPU per request: server {s['server_ms']:.2f} ms, PostgreSQL {s['pg_ms']:.2f} ms"
            f"  client {s['client_cpu'] * 100:.0f}% of a core"
            f"  machine busy {s['machine_busy'] * 100:.0f}%"
        )
    print(f"app answers: {dict(app['answers'])}; ran out of distinct tickets: {app['wrapped']}x")
    print(
        f"   paced: {CLIENTS} scanners, {PACED_RATE} scans/s in all for {paced_s:.0f} s: "
        f"{paced_s_['requests']} scans, p50 {paced_s_['p50_ms']:.1f} ms, "
        f"p99 {paced_s_['p99_ms']:.1f} ms (from each scan's due time), "
        f"answers {dict(paced_s_['answers'])}"
    )
    print(
        f"storm: {CLIENTS} scanners x the same {storm_n} tickets -> {dict(storm_answers)}; "
        f"tickets answered ok twice: {storm_double_ok}, never: {storm_never_ok}; "
        f"double admissions in the database (all phases): {doubles}"
    )
    if max(app["client_cpu"], base["client_cpu"]) > 0.5 * args.client_procs:
        print("warning: the client used over half a core per process; add --client-procs")
    print(
        f"offline: Chromium {offline['chromium']} WebCrypto Ed25519, {OFFLINE_VERIFICATIONS} "
        f"real ticket QR codes: one after another {offline['sequential_s']:.3f} s "
        f"({offline['sequential_ok']} valid), all at once {offline['parallel_s']:.3f} s "
        f"({offline['parallel_ok']} valid), forged one rejected: {offline['forged_rejected']}"
    )
    print(
        f"baseline_ratio = app scans/s / bare Flask+psycopg UPDATE … RETURNING req/s = "
        f"{app['rps']:.0f} / {base['rps']:.0f} = {ratio:.3f} (targets: ratio >= 0.5, "
        f"p99 <= 100 ms, offline 5000 <= 2 s)"
    )
    bad = (
        errors
        + storm_errors
        + (offline["sequential_ok"] != OFFLINE_VERIFICATIONS)
        + (not offline["forged_rejected"])
    )
    print(
        f"checkin: scans_per_s={app['rps']:.0f} p50_ms={app['p50_ms']:.1f} "
        f"p99_ms={app['p99_ms']:.1f} baseline_ratio={ratio:.3f} double_admissions={doubles} "
        f"offline_verify_5000_s={verify_s:.3f} paced_p99_ms={paced_s_['p99_ms']:.1f} "
        f"baseline_rps={base['rps']:.0f} "
        f"client_cpu={max(app['client_cpu'], base['client_cpu']):.2f} errors={bad}"
    )


if __name__ == "__main__":
    main()
