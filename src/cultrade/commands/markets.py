"""Market-opportunity commands: gravity, export potential, ranking, matching and the backtest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cultrade.commands.common import console, export_frame, handle_errors, open_store, print_frame

markets_app = typer.Typer(help="Where to go next: gravity, export potential, market rankings.", no_args_is_help=True)


def _years(text: str | None) -> list[int] | None:
    """``1986,1990`` or ``1986-2006`` (every year) or ``1986-2006:4`` (every fourth)."""
    if not text:
        return None
    out: list[int] = []
    for part in text.split(","):
        span, _, step = part.partition(":")
        lo, _, hi = span.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
            out += list(range(a, b + 1, int(step or 1)))
        except ValueError:
            raise typer.BadParameter(f"{part!r} is not a year list (e.g. 1986,1990 or 1986-2006:4)",
                                     param_hint="--years") from None
    return out


@markets_app.command("gravity")
@handle_errors
def gravity_cmd(
    source: Annotated[str, typer.Option(help="agtpa (Yotov et al. 2016) or baci (flows by cultural domain).")] = "agtpa",
    years: Annotated[str | None, typer.Option(help="Years: 1986,1990 or 1986-2006:4; default: AGTPA's "
                                                   "reference years, or every BACI year loaded.")] = None,
    domain: Annotated[str, typer.Option(help="BACI: product type or trade domain (games, publishing...).")] = "general",
    cultural: Annotated[bool, typer.Option("--cultural", help="Add Kogut-Singh cultural distance.")] = False,
    relations: Annotated[bool, typer.Option("--relations", help="Add the risk index's bilateral tension "
                                                               "(GDELT dyads; pairs without it are dropped).")] = False,
    spoken: Annotated[bool, typer.Option("--spoken-language", help="AGTPA: add GeoDist's common spoken "
                                                                   "language.")] = False,
    covariates: Annotated[str | None, typer.Option(help="Comma-separated covariates to estimate instead.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write term, estimate, std_error, z, p_value as CSV.")] = None,
) -> None:
    """Structural gravity by PPML with exporter-year and importer-year fixed effects."""
    from cultrade.markets import describe_dropped, gravity

    chosen = [c.strip() for c in covariates.split(",")] if covariates else None
    with open_store() as store:
        result = gravity(store, source, years=_years(years), domain=domain, covariates=chosen, cultural=cultural, relations=relations,
                         spoken_language=spoken)
    print_frame(result.coefficients, title=f"PPML gravity, {result.source}: {result.nobs:,} observations, "
                                           "exporter-year and importer-year fixed effects, SE clustered by pair")
    dropped = describe_dropped(result)
    if dropped:
        console.print(f"note: {dropped}")
    if out is not None:
        export_frame(result.coefficients, out)
        console.print(f"wrote {out}")


@markets_app.command("potential")
@handle_errors
def potential_cmd(
    exporter: Annotated[str | None, typer.Option(help="One exporter (ISO3); default: every exporter.")] = None,
    year: Annotated[int | None, typer.Option(help="BACI year; default: the latest loaded.")] = None,
    level: Annotated[str, typer.Option(help="domain (UNCTAD groups) or hs6 (cultural HS6 codes).")] = "domain",
    top: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Write every row as .csv or .parquet.")] = None,
) -> None:
    """Export potential (supply x demand x ease), actual trade and the untapped part, with its decomposition."""
    from cultrade.markets import potential, sample_note

    with open_store() as store:
        table = potential(store, year=year, level=level, exporter=exporter)  # type: ignore[arg-type]
        note = sample_note(store)
    shown = table.sort_values("untapped", ascending=False).head(top)
    print_frame(shown, title=f"Export potential ({level}; data: {note})")
    if out is not None:
        export_frame(table, out)
        console.print(f"wrote {len(table):,} rows to {out}")


@markets_app.command("rank")
@handle_errors
def rank_cmd(
    home: Annotated[str, typer.Option(help="Home country of the enterprise (ISO3).")] = "CHN",
    domain: Annotated[str, typer.Option(help="Product type: games, publishing, film_tv, music, online_literature, "
                                             "visual_arts, crafts, design, general.")] = "general",
    year: Annotated[int | None, typer.Option(help="Year of the risk scores and indicators; default: latest.")] = None,
    top: Annotated[int, typer.Option(help="Markets to show.")] = 15,
    out: Annotated[Path | None, typer.Option(help="Write the whole ranking as .csv or .parquet.")] = None,
) -> None:
    """Rank target markets by the opportunity the backtest chose (and whether it beats the baselines), with risk."""
    from cultrade.markets import rank_markets

    with open_store() as store:
        ranking = rank_markets(store, home, domain, year=year)
    console.print(ranking.inputs[0], style=None if ranking.validated else "bold red")
    shown = [c for c in ("untapped", "internet") if c in ranking.table.columns]
    cols = ["rank", "iso3", "name", "opportunity", *shown, "risk", "band",
            *(["adjusted"] if ranking.risk_adjusted else []), "frontier"]
    print_frame(ranking.top(top)[cols], title=f"Markets for {ranking.domain.label_en} from {ranking.home} "
                                             f"(basis: {ranking.basis}; order: {ranking.method}"
                                             f"{', risk-adjusted' if ranking.risk_adjusted else ', risk beside'})")
    for line in ranking.top(min(top, 5))["explanation"]:
        console.print(f"- {line}")
    console.print("inputs used:")
    for line in ranking.inputs:
        console.print(f"  - {line}")
    unranked = ranking.table[ranking.table["rank"].isna()]
    if len(unranked):
        reasons = unranked["reason"].value_counts().to_dict()
        console.print(f"not ranked: {len(unranked)} ({', '.join(f'{k}: {v}' for k, v in reasons.items())})")
    if out is not None:
        export_frame(ranking.table, out)
        console.print(f"wrote {out}")


@markets_app.command("match")
@handle_errors
def match_cmd(
    home: Annotated[str, typer.Option(help="Home country (ISO3); needs its BACI exports.")] = "CHN",
    domain: Annotated[str, typer.Option(help="Product type.")] = "general",
    year: Annotated[int | None, typer.Option(help="BACI year; default: the latest with the home's exports.")] = None,
    top: Annotated[int, typer.Option(help="Markets per product.")] = 5,
    out: Annotated[Path | None, typer.Option(help="Write the recommendations as .csv or .parquet.")] = None,
) -> None:
    """Markets whose import baskets resemble those where the home already succeeds, per HS6 product."""
    from cultrade.markets import match_markets

    with open_store() as store:
        table, note = match_markets(store, home, domain, year=year, top=top)
    print_frame(table, title=f"Matching for {home}, {domain} ({note})", max_rows=200)
    if out is not None:
        export_frame(table, out)
        console.print(f"wrote {out}")


@markets_app.command("backtest")
@handle_errors
def backtest_cmd(
    out: Annotated[Path | None, typer.Option(help="Write the results page, e.g. docs/markets_backtest.md.")] = None,
    record: Annotated[Path | None, typer.Option(help="Write the decision record the product reads: "
                                                     "src/cultrade/markets/backtest_record.py.")] = None,
) -> None:
    """Backtest every shipped ranking (AGTPA 1986-2006; UN Comtrade and BACI when loaded) and choose the defaults."""
    import time

    from cultrade.markets import backtest_agtpa, backtest_baci, backtest_comtrade
    from cultrade.markets.backtest_page import record as make_record
    from cultrade.markets.backtest_page import render_markdown, render_record

    start = time.perf_counter()
    with open_store() as store:
        results = [backtest_agtpa(store)]
        results += [r for r in (backtest_comtrade(store), backtest_baci(store)) if r is not None]
    args = " ".join(f"--{k} {v}" for k, v in (("out", out), ("record", record)) if v is not None)
    rec = make_record(results, f"cultrade markets backtest {args}".strip(), time.perf_counter() - start)
    for res in results:
        print_frame(res.summary().reset_index()[["label", "ndcg", "hit_rate", "cases", "beats_largest", "diff", "lo",
                                                 "hi"]], title=f"Backtest on {res.title}")
    for situation, d in rec["situations"].items():
        console.print(f"{situation}: default {d['ranking']} (beats the baselines: {d['beats_baseline']}; risk "
                      f"adjustment kept: {d['risk_adjusted']})")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_markdown(results, rec), encoding="utf-8")
        console.print(f"wrote {out}")
    if record is not None:
        record.write_text(render_record(rec), encoding="utf-8")
        console.print(f"wrote {record}")


def register(app: typer.Typer) -> None:
    app.add_typer(markets_app, name="markets")
