"""The trade and risk commands, end to end on the bundled snapshot (no ../shared needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cultrade.cli import app
from cultrade.settings import get_settings

runner = CliRunner()
DATA = Path(__file__).parent / "trade" / "data"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cli") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("CULTRADE_HOME", str(path))
    get_settings.cache_clear()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    yield path
    mp.undo()
    get_settings.cache_clear()


def test_classify_and_domain_listing(home: Path) -> None:
    books = runner.invoke(app, ["classify", "490199"])
    assert books.exit_code == 0 and "Books and press" in books.output and "publishing" in books.output
    horses = runner.invoke(app, ["classify", "010121"])
    assert horses.exit_code == 0 and "not a cultural good" in horses.output
    listing = runner.invoke(app, ["domain", "publishing", "--scheme", "unctad"])
    assert listing.exit_code == 0 and "490199" in listing.output
    bad = runner.invoke(app, ["domain", "sculpture-ish", "--scheme", "unctad"])
    assert bad.exit_code == 2 and "publishing" in bad.output


def test_trade_profile_prints_and_exports(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["trade", "profile", "CHN", "--domain", "publishing", "--year", "2017",
                                 "--out", str(tmp_path), "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert "publishing" in result.output and "Open Trade Statistics" in result.output
    summary = pd.read_parquet(tmp_path / "CHN_2017_summary.parquet")
    assert summary.loc[0, "domain"] == "publishing" and summary.loc[0, "exports"] > 1e9


def test_trade_profile_unknown_year_exits_2(home: Path) -> None:
    result = runner.invoke(app, ["trade", "profile", "CHN", "--year", "1990"])
    assert result.exit_code == 2 and "years loaded" in result.output


def test_audit_passes_consistent_and_flags_inconsistent(home: Path, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["audit", str(DATA / "reported_consistent.csv")])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["audit", str(DATA / "reported_inconsistent.csv"), "--only-problems",
                              "--out", str(tmp_path / "findings.csv")])
    assert bad.exit_code == 1 and "inconsistent" in bad.output
    assert (pd.read_csv(tmp_path / "findings.csv")["status"] == "inconsistent").sum() >= 5


def test_risk_score_and_explain(home: Path, tmp_path: Path) -> None:
    score = runner.invoke(app, ["risk", "score", "--home", "CHN", "--domain", "games", "--year", "2022",
                                "--out", str(tmp_path / "scores.csv")])
    assert score.exit_code == 0, score.output
    table = pd.read_csv(tmp_path / "scores.csv")
    scored = table[~table["insufficient"]]
    assert len(scored) > 150 and scored["score"].between(0, 10).all()
    assert set(scored["band"]) <= {"very low", "low", "medium", "high", "very high"}
    explain = runner.invoke(app, ["risk", "explain", "IRN", "--home", "CHN"])
    assert explain.exit_code == 0 and "Iran" in explain.output and "contribution" in explain.output


def test_risk_bad_domain_is_a_clear_error(home: Path) -> None:
    result = runner.invoke(app, ["risk", "score", "--domain", "knitting"])
    assert result.exit_code == 2 and "games" in result.output
