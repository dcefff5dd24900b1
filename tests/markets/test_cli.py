"""The markets and trade commands on the bundled snapshot: what they print and write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cultrade.cli import app
from cultrade.settings import get_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("markets-cli")
    mp = pytest.MonkeyPatch()
    mp.setenv("CULTRADE_HOME", str(path))
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    yield path
    mp.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("command", [["markets"], ["markets", "gravity"], ["markets", "potential"], ["markets", "rank"],
                                     ["markets", "match"], ["markets", "backtest"], ["trade", "reconcile"]])
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_gravity_prints_and_writes_term_estimate_se(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "gravity.csv"
    result = runner.invoke(app, ["markets", "gravity", "--source", "agtpa", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "28,152 observations" in result.output and "log_dist" in result.output
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["term", "estimate", "std_error"]
    assert round(float(table.set_index("term").loc["log_dist", "estimate"]), 3) == -0.841


def test_rank_lists_inputs_and_refuses_unknown_domains(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "rank.csv"
    result = runner.invoke(app, ["markets", "rank", "--home", "CHN", "--domain", "games", "--top", "5",
                                 "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "inputs used:" in result.output and "risk index from CHN" in result.output
    # the backtest's verdict comes first, in plain words, whether or not the order beats the baselines
    first = result.output.lstrip().splitlines()[0]
    assert first.startswith(("Validated: markets are ordered by", "NOT VALIDATED: no ranking"))
    table = pd.read_csv(out)
    assert "CHN" not in set(table["iso3"]) and {"opportunity", "risk", "adjusted", "internet"} <= set(table.columns)
    bad = runner.invoke(app, ["markets", "rank", "--domain", "anime"])
    assert bad.exit_code != 0 and "online_literature" in bad.output


def test_potential_on_a_year_that_is_not_loaded_says_what_to_load(home: Path) -> None:
    result = runner.invoke(app, ["markets", "potential", "--year", "2019"], terminal_width=200)
    assert result.exit_code != 0 and "ingest baci" in result.output


def test_reconcile_writes_the_page(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec.md"
    result = runner.invoke(app, ["trade", "reconcile", "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "| CHN |" in out.read_text(encoding="utf-8")
