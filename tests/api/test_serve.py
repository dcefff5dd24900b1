"""``cultrade serve`` and ``cultrade keys``: the commands stay thin over create_app and cultrade.api.keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cultrade.commands.serve import register
from cultrade.settings import get_settings


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[typer.Typer]:
    monkeypatch.setenv("CULTRADE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """cultrade (test)"""

    register(app)
    yield app
    get_settings.cache_clear()


def test_keys_create_list_revoke(cli: typer.Typer) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "--name", "demo", "--role", "admin"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("ct_")
    key_id = made.output.split()[2]
    listed = runner.invoke(cli, ["keys", "list"])
    assert "demo" in listed.output and key not in listed.output
    assert runner.invoke(cli, ["keys", "revoke", key_id]).exit_code == 0
    assert "demo" not in runner.invoke(cli, ["keys", "list"]).output
    assert "demo" in runner.invoke(cli, ["keys", "list", "--all"]).output
    bad = runner.invoke(cli, ["keys", "create", "--name", "x", "--role", "root"])
    assert bad.exit_code == 2 and "unknown role" in bad.output
    assert runner.invoke(cli, ["keys", "revoke", "nope"]).exit_code == 2


def test_serve_runs_uvicorn_on_localhost(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kw: Any) -> None:
        seen.update(kw, app=app)
        assert app.openapi_url == "/api/v1/openapi.json"

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(cli, ["serve", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8765)
    assert "/api/docs" in result.output
