"""Shared fixtures. Tests that need the publishers' files use ``shared``; they skip when it is absent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cultrade.settings import Settings
from cultrade.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CULTRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared/data folder; tests using it skip cleanly on machines without it."""
    if not (SHARED / "README.md").exists():
        pytest.skip(f"real data not available at {SHARED}")
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store(settings=settings) as s:
        yield s
