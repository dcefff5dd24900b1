"""Settings come from CULTRADE_* variables with laptop-friendly defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cultrade.settings import Settings


def test_defaults_live_under_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CULTRADE_HOME", raising=False)
    s = Settings()
    assert s.home == Path("~/.cultrade").expanduser()
    assert s.store_path == s.home / "cultrade.duckdb"
    assert s.log_level == "INFO"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CULTRADE_HOME", str(tmp_path))
    monkeypatch.setenv("CULTRADE_STORE_PATH", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("CULTRADE_LOG_LEVEL", "DEBUG")
    s = Settings()
    assert (s.home, s.store_path, s.cache_dir, s.log_level) == (
        tmp_path, tmp_path / "x.duckdb", tmp_path / "cache", "DEBUG")


def test_invalid_log_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CULTRADE_LOG_LEVEL", "LOUD")
    with pytest.raises(ValidationError):
        Settings()
