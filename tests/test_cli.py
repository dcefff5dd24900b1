"""The command line: every command has --help, errors become exit codes, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cultrade.cli import app
from cultrade.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CULTRADE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.mark.parametrize("command", [
    [], ["init"], ["ingest"], ["sources"], ["summary"], ["country"], ["demo"], ["snapshot"], ["snapshot", "build"],
    ["classify"], ["domain"], ["audit"], ["trade"], ["trade", "profile"], ["risk"], ["risk", "score"],
    ["risk", "explain"], ["risk", "uncertainty"], ["risk", "sensitivity"], ["risk", "override"], ["risk", "overrides"], ["fetch"], ["fetch", "worldbank"],
    ["fetch", "gdelt-list"], ["fetch", "comtrade"],
])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_country_resolves_and_unknown_exits_3() -> None:
    ok = runner.invoke(app, ["country", "ZAR", "--scheme", "wb"])
    assert ok.exit_code == 0 and "COD" in ok.output
    bad = runner.invoke(app, ["country", "Nigerai", "--scheme", "name"])
    assert bad.exit_code == 3
    assert "Nigeria (NGA)" in bad.output and "Traceback" not in bad.output


def test_unknown_source_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a\n1\n")
    result = runner.invoke(app, ["ingest", "nope", str(f)])
    assert result.exit_code == 2 and "unknown source 'nope'" in result.output


def test_ingest_bad_file_exits_3_and_names_the_row(tmp_path: Path) -> None:
    f = tmp_path / "wgi_long_bad.csv"
    f.write_text("codeindyr,code,countryname,year,indicator,estimate,stddev,nsource,pctrank,pctranklower,pctrankupper\n"
                 "NORrl2023,NOR,Norway,2023,rl,high,0.1,5,90,80,99\n")
    result = runner.invoke(app, ["ingest", "wgi", str(f)])
    assert result.exit_code == 3
    assert "row 2" in result.output and "'estimate'" in result.output


def test_ingest_then_sources_and_summary(shared: Path) -> None:
    wgi = shared / "indicators/wgi/wgi_long_1996-2023.csv"
    first = runner.invoke(app, ["ingest", "wgi", str(wgi)])
    assert first.exit_code == 0, first.output
    assert "loaded" in first.output
    again = runner.invoke(app, ["ingest", "wgi", str(wgi)])
    assert "unchanged" in again.output
    listing = runner.invoke(app, ["sources"])
    assert "wgi" in listing.output and "CC BY 4.0" in listing.output
    summary = runner.invoke(app, ["summary"])
    assert summary.exit_code == 0 and "1996" in summary.output and "2023" in summary.output


def test_empty_store_says_what_to_do() -> None:
    result = runner.invoke(app, ["sources"])
    assert result.exit_code == 0 and "cultrade init" in result.output


def test_sources_available_lists_adapters_with_licences() -> None:
    result = runner.invoke(app, ["sources", "--available"])
    assert result.exit_code == 0
    assert "wgi" in result.output and "CC BY 4.0" in result.output


def test_cli_writes_are_audited_with_the_local_user() -> None:
    created = runner.invoke(app, ["keys", "create", "--name", "ops", "--role", "viewer"])
    assert created.exit_code == 0, created.output
    key_id = created.output.split()[2]
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    from cultrade.store import open_store

    with open_store() as store:
        rows = store.con.execute("SELECT key_name, role, method, path, detail FROM api_audit ORDER BY id").fetchall()
    assert [r[3] for r in rows] == ["keys create", "keys revoke"]
    assert all(r[0].startswith("cli:") and r[1] == "local" and r[2] == "CLI" for r in rows)
    assert key_id in rows[0][4] and key_id in rows[1][4]
