"""Benchmark: the REST API under an open-loop load of 200 requests/s (uvicorn on 127.0.0.1).

The data are the REAL bundled snapshot (``cultrade init``), with the risk history
and the alerts the shipped rules raise on it (``monitor.engine.evaluate`` at
2025-01-01), not generated data. The server runs ``create_app`` under uvicorn
(one worker) in a subprocess on a free port of 127.0.0.1. The load generator (this
process, asyncio + httpx, keep-alive pool) schedules one request every 5 ms at
fixed times, whatever the answers, so a slow server builds a queue instead of
slowing the generator (open loop, no coordinated omission): latency = time of the
answer − *scheduled* send time, so it includes any queueing. Three phases of
``DURATION`` s each, one endpoint at a time, after a warm-up (the first risk call
builds and caches the index):

* ``health``: ``GET /api/v1/health``, no key, no store: the HTTP + framework baseline;
* ``risk``: ``GET /api/v1/risk/scores/{iso3}?home=CHN&domain=general``, cycling over
  every scored economy (viewer key: key lookup in the store, cached index);
* ``alerts``: ``GET /api/v1/alerts?limit=50`` (viewer key; a SQL query on the
  ``alerts``/``alert_acks`` tables each time).

Target: p99 ≤ 50 ms on both endpoints at 200 requests/s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

RATE = 200.0
DURATION = float(os.environ.get("CULTRADE_BENCH_API_SECONDS", "15"))
TARGET_P99_MS = 50.0
SERVER = """
import sys, uvicorn
from cultrade.api.app import create_app
from cultrade.settings import Settings
home = sys.argv[1]
app = create_app(home + "/api.duckdb", settings=Settings(home=home), mount_web=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def prepare(workdir: Path) -> tuple[str, list[str]]:
    """The snapshot store with risk history and alerts; returns a viewer key and the scored ISO3 codes."""
    from cultrade.api.keys import create_key
    from cultrade.monitor.alerts import snapshot_risk
    from cultrade.monitor.engine import evaluate
    from cultrade.monitor.rules import load_rules
    from cultrade.risk import build_index
    from cultrade.settings import Settings
    from cultrade.sources.snapshot import load_snapshot
    from cultrade.store import Store

    with Store(workdir / "api.duckdb", settings=Settings(home=workdir)) as store:
        load_snapshot(store)
        scores = build_index(store, "CHN", "general").scores(all_years=True)
        snapshot_risk(store, "CHN", "general", scores=scores)
        evaluate(store, datetime(2025, 1, 1), rules=load_rules(), watchlists=[])
        key = create_key(store, "bench", "viewer").key
    latest = scores[scores["year"] == scores.loc[scores["score"].notna(), "year"].max()]
    return key, sorted(latest.loc[~latest["insufficient"], "iso3"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workdir: Path, port: int, script: str = SERVER, python: str = sys.executable
                 ) -> subprocess.Popen[bytes]:
    """Run ``script`` (the app under uvicorn) with ``python`` on ``port``; return once its health route answers."""
    proc = subprocess.Popen([python, "-c", script, str(workdir), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


async def open_loop(client: httpx.AsyncClient, urls: list[str], headers: dict[str, str], rate: float,
                    duration: float) -> dict[str, Any]:
    """Send ``rate`` requests/s at fixed times for ``duration`` s; latency counted from the scheduled time."""
    n = int(rate * duration)
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def one(url: str, scheduled: float) -> None:
        try:
            r = await client.get(url, headers=headers)
            code = str(r.status_code)
        except httpx.HTTPError as exc:
            code = type(exc).__name__
        latencies.append(time.perf_counter() - scheduled)
        statuses[code] = statuses.get(code, 0) + 1

    loop_start = time.perf_counter() + 0.05
    tasks = []
    for i in range(n):
        scheduled = loop_start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(urls[i % len(urls)], scheduled)))
    send_end = time.perf_counter()
    await asyncio.gather(*tasks)
    end = time.perf_counter()
    ms = np.array(latencies) * 1000.0
    return {
        "requests": n, "statuses": statuses, "offered_rate": rate,
        "send_rate": round(n / (send_end - loop_start), 1), "achieved_rate": round(n / (end - loop_start), 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2), "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2),
        "seconds": round(end - loop_start, 2),
    }


async def drive(base: str, key: str, countries: list[str], duration: float) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    phases = {
        "health": ([f"{base}/api/v1/health"], {}),
        "risk": ([f"{base}/api/v1/risk/scores/{c}?home=CHN&domain=general" for c in countries], auth),
        "alerts": ([f"{base}/api/v1/alerts?limit=50"], auth),
    }
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        for urls, headers in phases.values():  # warm-up: build the index, open connections
            for url in urls[:50]:
                (await client.get(url, headers=headers)).raise_for_status()
        for name, (urls, headers) in phases.items():
            out[name] = await open_loop(client, urls, headers, RATE, duration)
    return out


def run(rows: int, workdir: Path) -> dict[str, Any]:
    """``rows`` is ignored: the API serves the bundled snapshot."""
    t0 = time.perf_counter()
    key, countries = prepare(workdir)
    prep = time.perf_counter() - t0
    port = free_port()
    server = start_server(workdir, port)
    try:
        t1 = time.perf_counter()
        phases = asyncio.run(drive(f"http://127.0.0.1:{port}", key, countries, DURATION))
        run_s = time.perf_counter() - t1
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "benchmark": "api_open_loop",
        "data": "REAL bundled snapshot (cultrade init) + alerts raised by the shipped rules",
        "server": "uvicorn, 1 worker, 127.0.0.1 (subprocess); client asyncio + httpx in the parent",
        "rate_per_s": RATE, "duration_s": DURATION, "countries": len(countries),
        "phases": phases, "prepare_s": round(prep, 1), "run_s": round(run_s, 1),
        "targets": {"p99_ms": f"<= {TARGET_P99_MS:g} on risk and alerts"},
        "met": {name: phases[name]["p99_ms"] <= TARGET_P99_MS for name in ("risk", "alerts")},
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import tempfile

    print(json.dumps(run(0, Path(tempfile.mkdtemp())), indent=1))
