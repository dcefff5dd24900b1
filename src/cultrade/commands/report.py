"""``cultrade report``: the country risk brief and the cultural-trade profile, as HTML or PDF, in en or zh.

    cultrade report country IRN --home CHN --domain games --lang zh [--format html|pdf] [--out FILE]
    cultrade report trade CHN --year 2017 --lang en
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from cultrade.commands.common import console, handle_errors, open_store
from cultrade.store import Store

report_app = typer.Typer(help="Reports: country risk brief and cultural-trade profile (HTML or PDF, en/zh).",
                         no_args_is_help=True)

Lang = Annotated[str, typer.Option("--lang", help="Language: en or zh (Simplified Chinese).")]
Format = Annotated[str, typer.Option("--format", "-f", help="html, or pdf (needs Debian's chromium).")]
Out = Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: <kind>-<ISO3>-<lang>.<fmt>).")]


def _out(out: Path | None, kind: str, iso3: str, lang: str, fmt: str) -> Path:
    from cultrade.web.i18n import check_language

    return out or Path(f"{kind}-{iso3.upper()}-{check_language(lang)}.{fmt}")


@report_app.command("country")
@handle_errors
def country(
    iso3: Annotated[str, typer.Argument(help="Target country (ISO3), e.g. IRN.")],
    home: Annotated[str, typer.Option(help="Home country of the enterprise (ISO3).")] = "CHN",
    domain: Annotated[str, typer.Option(help="Cultural domain (risk perspective), e.g. games.")] = "general",
    year: Annotated[int | None, typer.Option(help="Year (default: the latest scored year).")] = None,
    lang: Lang = "en",
    fmt: Format = "html",
    out: Out = None,
) -> None:
    """Country risk brief: score, band, outlook, rank interval, drivers, events, alerts, trade."""
    from cultrade.report import country_report

    _render("country", iso3, lang, fmt, out,
            lambda store: country_report(store, iso3, home=home, domain=domain, lang=lang, year=year))


@report_app.command("trade")
@handle_errors
def trade(
    iso3: Annotated[str, typer.Argument(help="Country (ISO3), e.g. CHN.")],
    year: Annotated[int | None, typer.Option(help="Year (default: the latest with trade data).")] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain (UNCTAD group), e.g. design.")] = None,
    lang: Lang = "en",
    fmt: Format = "html",
    out: Out = None,
) -> None:
    """Cultural-trade profile: domains, partners, dependence (HHI, top-N share), partner groups, services."""
    from cultrade.report import trade_report

    _render("trade", iso3, lang, fmt, out, lambda store: trade_report(store, iso3, year=year, lang=lang, domain=domain))


def _render(kind: str, iso3: str, lang: str, fmt: str, out: Path | None, build: Callable[[Store], str]) -> None:
    """Check the format (PDF needs Chromium) before the work, build the HTML, write HTML or PDF."""
    from cultrade.report import check_format, require_chromium, write_report

    fmt = check_format(fmt)
    if fmt == "pdf":
        require_chromium()
    with open_store() as store:
        html = build(store)
    path = write_report(html, _out(out, kind, iso3, lang, fmt), fmt)
    console.print(f"Wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``cultrade report`` to the main command."""
    app.add_typer(report_app, name="report")


__all__ = ["register", "report_app"]
