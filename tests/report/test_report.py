"""Country risk brief and cultural-trade profile: HTML in en and zh, PDF through headless Chromium, the CLI."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cultrade.commands.report import register
from cultrade.report import (
    BrowserMissingError,
    check_format,
    chromium_path,
    country_report,
    trade_report,
    write_report,
)
from cultrade.risk import risk_explain
from cultrade.settings import Settings, get_settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-home")
    with Store(settings=Settings(home=path)) as store:
        load_snapshot(store)
    return path


@pytest.fixture(scope="module")
def store(home: Path) -> Iterator[Store]:
    with Store(settings=Settings(home=home)) as s:
        yield s


def test_country_brief_html_en_and_zh(store: Store) -> None:
    en = country_report(store, "IRN", home="CHN", domain="games", lang="en")
    assert "Country risk brief: Iran" in en and "<h2>Main risk drivers</h2>" in en
    assert "Perspective: an enterprise from China in Video games." in en
    assert 'data-chart="dimensions"' in en and '"renderer": "svg"' in en
    assert "//cdn" not in en                                                        # offline: nothing remote
    assert "<script src=" not in en                                                  # echarts is inlined
    zh = country_report(store, "IRN", home="CHN", domain="games", lang="zh")
    assert '<html lang="zh-CN">' in zh and "国别风险简报：伊朗伊斯兰共和国" in zh and "来自中国的游戏企业" in zh


def test_trade_profile_html(store: Store) -> None:
    html = trade_report(store, "CHN", year=2017, lang="en")
    assert "Cultural trade profile: China" in html and "$173.2B" in html and "Open Trade Statistics" in html
    zh = trade_report(store, "ZAF", lang="zh")
    assert "文化贸易概况：南非" in zh and "赫芬达尔" in zh and "亿" in zh


def test_pdf_without_chromium_says_how_to_install(store: Store, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CULTRADE_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr("cultrade.report.browser.DEFAULT_CHROMIUM", str(tmp_path / "no-chromium"))
    html = trade_report(store, "CHN", year=2017)
    assert write_report(html, tmp_path / "t.html").read_text(encoding="utf-8") == html   # HTML still works
    with pytest.raises(BrowserMissingError, match="apt-get install chromium fonts-noto-cjk"):
        write_report(html, tmp_path / "t.pdf", "pdf")
    assert check_format("PDF") == "pdf"


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pypdf = pytest.importorskip("pypdf", reason="neither pdftotext nor pypdf is installed")
    return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages)


@pytest.mark.slow
def test_country_brief_pdf_in_chinese(store: Store, tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("headless Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    html = country_report(store, "IRN", home="CHN", domain="games", lang="zh")
    pdf = write_report(html, tmp_path / "brief.pdf", "pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    text = _pdf_text(pdf)
    assert "国别风险简报" in text and "伊朗伊斯兰共和国" in text and "政治风险" in text
    assert "Political risk" not in text
    dims = risk_explain(store, "IRN", home="CHN", domain="games").dimensions
    assert f"{dims['score'].iloc[0]:.2f}" in text   # the dimension chart's labels were drawn before printing (SVG)


def test_cli_report_html(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CULTRADE_HOME", str(home))
    get_settings.cache_clear()
    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    runner = CliRunner()
    out = tmp_path / "irn.html"
    try:
        r = runner.invoke(app, ["report", "country", "IRN", "--home", "CHN", "--domain", "games", "--lang", "zh",
                                "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert "伊朗伊斯兰共和国" in out.read_text(encoding="utf-8")
        r = runner.invoke(app, ["report", "trade", "CHN", "--year", "2017", "--lang", "en",
                                "--out", str(tmp_path / "chn.html")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["report", "trade", "CHN", "--format", "docx"])
        assert r.exit_code == 2 and "unknown report format" in r.output
    finally:
        get_settings.cache_clear()
