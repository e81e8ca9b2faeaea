"""Public page speed and weight, against a bare endpoint in the same run.

Starts gunicorn (2 workers) on a fresh SQLite database with the demo festival, then loads
/healthz (baseline: the framework and one SELECT 1), / (festival list) and the festival page
with keep-alive client threads. Prints requests/s, p50/p99 latency, the ratio to the baseline,
the client's CPU share (the client must not be the bottleneck), and the first-load weight
(HTML + CSS + JS) of the public pages against the 150 KB budget.

    python -m bench.pages [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def load(port: int, path: str, seconds: float, threads: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker():
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        bad = 0
        while time.time() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "vi"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors += bad

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - wall
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0,
        "errors": errors,
        "client_cpu": cpu / wall,
    }


def page_weight(port: int, path: str) -> int:
    """Bytes of the page plus the CSS and JS it links (images aside), uncompressed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    html = conn.getresponse().read()
    total = len(html)
    for asset in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        conn.request("GET", asset.decode())
        total += len(conn.getresponse().read())
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="about 20 s instead of about 2 min")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    seconds = 4 if args.quick else 25
    threads = 8

    tmp = Path(tempfile.mkdtemp(prefix="eventday-bench-"))
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
            "EVENTDAY_INSTANCE": str(tmp / "instance"),
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": "false",
        }
    )
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=PROJECT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo"], cwd=PROJECT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:app",
        ],
        cwd=PROJECT,
        env=env,
    )
    try:
        wait_ready(port)
        from eventday.demo import DEMO_SLUG

        paths = {"healthz": "/healthz", "index": "/", "festival": f"/f/{DEMO_SLUG}"}
        for path in paths.values():  # warm up
            load(port, path, 0.5, 2)
        results = {name: load(port, path, seconds, threads) for name, path in paths.items()}
        weights = {name: page_weight(port, paths[name]) for name in ("index", "festival")}
    finally:
        server.terminate()
        server.wait(timeout=10)

    client = f"python http.client, {threads} keep-alive threads, 1 process"
    print(f"client: {client}")
    for name, r in results.items():
        print(
            f"{name:>9}: {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.1f} ms"
            f"  p99 {r['p99_ms']:6.1f} ms"
            f"  errors {r['errors']}  client CPU {r['client_cpu'] * 100:4.0f}% of one core"
        )
    for name, size in weights.items():
        print(
            f"{name:>9}: first load {size / 1024:.1f} KB (HTML+CSS+JS, uncompressed; budget 150 KB)"
        )
    base = results["healthz"]["rps"]
    print(
        "pages: "
        f"index_rps={results['index']['rps']:.0f} festival_rps={results['festival']['rps']:.0f} "
        f"baseline_rps={base:.0f} index_ratio={results['index']['rps'] / base:.2f} "
        f"festival_ratio={results['festival']['rps'] / base:.2f} "
        f"festival_p99_ms={results['festival']['p99_ms']:.0f} "
        f"index_kb={weights['index'] / 1024:.1f} festival_kb={weights['festival'] / 1024:.1f} "
        f"errors={sum(r['errors'] for r in results.values())}"
    )


if __name__ == "__main__":
    main()
