"""A store with the bundled snapshot, risk history, evaluated alerts and a few signals, built once per session.

Each test module gets its own copy of the store file and its own app, so writes
in one module never change what another sees.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from cultrade.settings import Settings
from cultrade.store import Store

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from cultrade.api import create_app  # noqa: E402
from cultrade.api.keys import create_key  # noqa: E402

NOW = datetime(2025, 1, 1)


def _signals(store: Store) -> None:
    from cultrade.monitor.signals import SIGNALS_DDL, SIGNALS_TABLE

    store.con.execute(SIGNALS_DDL)
    rows = [(iso3, "day", datetime(2025, 1, d), metric, float(d * k), 3.0, 1.0, float(d - 3), NOW)
            for iso3, k in (("IRN", 2), ("FRA", 1)) for metric in ("events", "protest") for d in range(1, 8)]
    store.con.executemany(f"INSERT INTO {SIGNALS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cultrade.monitor.alerts import snapshot_risk
    from cultrade.monitor.engine import evaluate
    from cultrade.monitor.rules import load_rules
    from cultrade.risk import build_index
    from cultrade.sources.snapshot import load_snapshot

    home = tmp_path_factory.mktemp("api-template")
    path = home / "template.duckdb"
    with Store(path, settings=Settings(home=home)) as store:
        load_snapshot(store)
        scores = build_index(store, "CHN", "general").scores(all_years=True)
        snapshot_risk(store, "CHN", "general", scores=scores, now=NOW)
        evaluate(store, NOW, rules=load_rules(), watchlists=[])
        _signals(store)
    return path


class Api:
    """An app on a private copy of the store, with one key per role."""

    def __init__(self, app: FastAPI, keys: dict[str, str], home: Path) -> None:
        self.app = app
        self.keys = keys
        self.home = home
        self.client = TestClient(app)

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}

    def state(self):
        return self.app.state.api


def make_api(template: Path, home: Path) -> Api:
    path = home / "api.duckdb"
    shutil.copy(template, path)
    settings = Settings(home=home)
    with Store(path, settings=settings) as store:
        keys = {role: create_key(store, f"test-{role}", role).key for role in ("viewer", "analyst", "admin")}
    app = create_app(path, settings=settings, rules_path=home / "rules.yaml", mount_web=False)
    return Api(app, keys, home)


@pytest.fixture(scope="session")
def api_factory(template_store: Path):
    """``api_factory(home)``: a fresh app on a private copy of the template store."""
    return lambda home: make_api(template_store, home)


@pytest.fixture(scope="module")
def api(template_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    a = make_api(template_store, tmp_path_factory.mktemp("api"))
    yield a
    a.state().close()
