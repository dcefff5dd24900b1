"""The monitor as a service, with real processes: ``cultrade serve --watch`` owns the store, slices dropped into
the folder raise alerts on the dashboard at the slice that carries the event, and other ``cultrade`` commands
(reads, an acknowledgement, a report) run meanwhile through the server. Every wait polls a condition with a
generous timeout; nothing depends on timing. The slices hold INVENTED events."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cultrade.web.demo import free_port
from tests.monitor.gdelt_rows import event_row

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1)
COUNTRIES = ("FR", "GM", "IT", "SP", "UK", "JA", "BR", "IN", "MX", "CA", "KE", "EG")


def rows(ts: datetime, start_id: int, fights_in_kenya: int = 0) -> list[str]:
    """Background news in twelve countries (one article per event), plus Kenyan fight reports."""
    out = []
    for k, geo in enumerate(COUNTRIES * 3):
        code = "190" if geo == "KE" and k < len(COUNTRIES) and ts.hour % 6 == 0 else "042"
        out.append((start_id + k, geo, code))
    out += [(start_id + 100 + j, "KE", "190") for j in range(fights_in_kenya)]
    return [event_row(gid, ts, geo, code) for gid, geo, code in out]


def drop(folder: Path, ts: datetime, lines: list[str]) -> None:
    """Write a slice the way a downloader should: to a hidden name, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{ts:%Y%m%d%H%M%S}.part"
    tmp.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    os.replace(tmp, folder / f"{ts:%Y%m%d%H%M%S}.export.CSV.gz")


def cli(env: dict[str, str], *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cultrade.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=env["CULTRADE_HOME"])


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)  # polling interval of a condition, not a timing assumption
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "CULTRADE_HOME": str(home), "PYTHONPATH": str(ROOT / "src"), "CULTRADE_LOG_LEVEL": "WARNING"}
    env.pop("CULTRADE_STORE_PATH", None)
    assert cli(env, "init").returncode == 0
    key = cli(env, "keys", "create", "--name", "watcher", "--role", "analyst").stdout.strip().splitlines()[-1]
    history = tmp_path / "history"  # two days of background news, replayed before the server starts
    gid = 1
    for h in range(0, 48):
        drop(history, T0 + timedelta(hours=h), rows(T0 + timedelta(hours=h), gid))
        gid += 200
    out = cli(env, "monitor", "replay", "--dir", str(history))
    assert out.returncode == 0, out.stderr
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    port = free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "cultrade.cli", "serve", "--port", str(port), "--watch",
                             str(incoming), "--interval", "0.2", "--dispatch-interval", "0.5"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=home)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            return httpx.get(base + "/api/v1/health", timeout=2).status_code == 200 and \
                (home / "cultrade.duckdb.server.json").exists()
        except httpx.HTTPError:
            return False

    try:
        wait_for("the server", up)
        yield {"env": env, "base": base, "key": key, "incoming": incoming, "proc": proc, "home": home,
               "next_id": gid, "log": tmp_path / "serve.log"}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.mark.slow
def test_serve_watch_alerts_appear_within_one_slice_while_the_cli_runs(served: dict[str, Any]) -> None:
    env, base, incoming = served["env"], served["base"], served["incoming"]
    headers = {"Authorization": f"Bearer {served['key']}"}

    def status() -> dict[str, Any]:
        return dict(httpx.get(base + "/api/v1/monitor/status", headers=headers, timeout=10).json())

    def last_slice_is(ts: datetime) -> Callable[[], bool]:
        return lambda: status().get("last_slice") == ts.isoformat() + "Z"

    quiet_ts = T0 + timedelta(hours=48)
    drop(incoming, quiet_ts, rows(quiet_ts, served["next_id"]))
    wait_for("the quiet slice", last_slice_is(quiet_ts))
    listed = cli(env, "alerts", "list", "--category", "event")  # a read, through the server
    assert listed.returncode == 0, listed.stderr
    assert "event feed live" in listed.stdout and "armed_violence" not in listed.stdout
    feed = httpx.get(base + "/ui/alerts.json", headers=headers, timeout=10).json()
    assert feed["feed"]["state"] == "live" and not [a for a in feed["alerts"] if a["rule"] == "armed_violence"]

    event_ts = quiet_ts + timedelta(minutes=15)
    drop(incoming, event_ts, rows(event_ts, served["next_id"] + 500, fights_in_kenya=8))
    report = subprocess.Popen([sys.executable, "-m", "cultrade.cli", "report", "country", "KEN", "--home", "CHN",
                               "--format", "html", "--out", "ken.html"], env=env, cwd=served["home"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for("the event slice", last_slice_is(event_ts))
    # the alert is on the dashboard as soon as the slice that carries the event is processed
    feed = httpx.get(base + "/ui/alerts.json", headers=headers, timeout=10).json()
    hits = [a for a in feed["alerts"] if a["rule"] == "armed_violence" and a["iso3"] == "KEN"]
    assert hits and hits[0]["state"] == "firing"
    found = re.search(r"fight articles (\d+) in the last hour vs usual 0–\d", hits[0]["why"])
    assert found and int(found.group(1)) >= 8 and hits[0]["fired"] == f"{found.group(1)} articles"
    detail = httpx.get(base + f"/api/v1/alerts/{hits[0]['id']}", headers=headers, timeout=10).json()
    assert detail["fired_at"].startswith(event_ts.isoformat())
    _out, err = report.communicate(timeout=300)
    assert report.returncode == 0, err
    assert (served["home"] / "ken.html").stat().st_size > 10_000  # written in the client's folder
    ack = cli(env, "alerts", "ack", hits[0]["id"][:10], "--by", "duty-officer", "--comment", "on it")
    assert ack.returncode == 0 and "acknowledged" in ack.stdout, ack.stderr
    assert httpx.get(base + f"/api/v1/alerts/{hits[0]['id']}", headers=headers, timeout=10).json()["acked_seq"]
    second = cli(env, "serve", "--port", "1")
    assert second.returncode != 0 and "already runs" in second.stderr
    # the dispatcher delivered the notifications (to the log receiver) while all this ran
    wait_for("delivery", lambda: status()["outbox"].get("pending", 0) == 0 and status()["outbox"].get("delivered"))

    served["proc"].send_signal(signal.SIGINT)
    served["proc"].wait(timeout=60)
    assert not (served["home"] / "cultrade.duckdb.server.json").exists()
    after = cli(env, "alerts", "list", "--category", "event")  # the store is free again: run here
    assert after.returncode == 0 and "armed_violence" in after.stdout
    keys = cli(env, "keys", "list")
    assert "local-cli" not in keys.stdout  # the server's own key was revoked at exit
