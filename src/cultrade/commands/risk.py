"""Country-risk commands: score, explain, overrides, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cultrade.commands.common import console, export_frame, handle_errors, open_store, print_frame

risk_app = typer.Typer(help="The country risk index (0-10, 10 = highest risk).", no_args_is_help=True)

Home = Annotated[str, typer.Option(help="The enterprise's home country (ISO3); sets cultural distance.")]
Domain = Annotated[str, typer.Option(help="Cultural domain profile: general, games, online_literature, "
                                          "publishing, film_tv, music, visual_arts, crafts.")]
Framework = Annotated[Path | None, typer.Option(help="A YAML framework merged onto the shipped one.")]


@risk_app.command("score")
@handle_errors
def score_cmd(
    home: Home = "CHN",
    domain: Domain = "general",
    year: Annotated[int | None, typer.Option(help="Year; default: the latest scored year.")] = None,
    framework: Framework = None,
    top: Annotated[int, typer.Option(help="Rows to show, highest risk first.")] = 40,
    no_overrides: Annotated[bool, typer.Option("--no-overrides", help="Ignore expert overrides.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write all scores to a .csv or .parquet file.")] = None,
) -> None:
    """Score every country for one year, from the enterprise's perspective."""

    from cultrade.risk import build_index

    with open_store() as store:
        index = build_index(store, home, domain, framework=framework, use_overrides=not no_overrides)
    scores = index.scores(year)
    shown = scores[~scores["insufficient"]].sort_values("rank").head(top)
    shown = shown.assign(rank=shown["rank"].astype("Int64"))
    dims = [c for c in scores.columns if c.startswith("dim_")]
    cols = ["rank", "iso3", "name", "score", "band", "outlook", *dims, "coverage", "overrides"]
    label = int(scores["year"].iloc[0]) if len(scores) else year
    print_frame(shown[[c for c in cols if c in shown.columns]],
                title=f"Country risk {label}, home {home}, domain {domain}", max_rows=top)
    missing = scores[scores["insufficient"]]["iso3"].tolist()
    if missing:
        console.print(f"{len(missing)} economies have too little data to score: {', '.join(missing[:30])}"
                      + (" ..." if len(missing) > 30 else ""))
    partial = scores[(scores["left_out"] != "") & ~scores["insufficient"]]
    if len(partial):
        console.print(f"{len(partial)} economies are scored without a dimension that lacks data (see `left_out` "
                      "in --out, or `cultrade risk explain`)")
    for note in index.notes():
        console.print(f"note: {note}", highlight=False)
    if out is not None:
        export_frame(scores, out)
        console.print(f"wrote {len(scores)} rows to {out}")


@risk_app.command("explain")
@handle_errors
def explain_cmd(
    country: Annotated[str, typer.Argument(help="ISO3 code, e.g. IRN.")],
    home: Home = "CHN",
    domain: Domain = "general",
    year: Annotated[int | None, typer.Option(help="Year; default: the latest scored year.")] = None,
    framework: Framework = None,
) -> None:
    """Why a country scores as it does: contributions, change since last year, coverage and staleness."""
    from cultrade.risk import risk_explain

    with open_store() as store:
        explanation = risk_explain(store, country, home, domain, year, framework=framework)
    console.print(str(explanation), highlight=False)


@risk_app.command("validate")
@handle_errors
def validate_cmd(
    home: Home = "CHN",
    domain: Domain = "general",
    framework: Framework = None,
    reference: Annotated[list[str] | None, typer.Option(
        "--reference", help="NAME=FILE: a reference read from the publisher's file for validation only "
                            "(fsi, gpi, freedom_house, ti_cpi, polity); repeat. Default: every reference in the store.")
    ] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="A source or indicator id to leave out of the index (e.g. fsi); repeat.")] = None,
    from_year: Annotated[int | None, typer.Option("--from", help="First data year compared.")] = None,
    to_year: Annotated[int | None, typer.Option("--to", help="Last data year compared.")] = None,
    ablation: Annotated[bool, typer.Option("--ablation/--no-ablation", help="Also drop each dimension in turn.")
                        ] = True,
    out: Annotated[Path | None, typer.Option(help="Write every figure to a .csv or .parquet file.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write the report as markdown to this file.")] = None,
) -> None:
    """Compare the index with independent references and adverse events, against two simple baselines."""
    from cultrade.risk.validate import parse_reference_options, validate

    refs = parse_reference_options(reference or [])
    with open_store() as store:
        report = validate(store, home, domain, references=refs or None, framework=framework,
                          exclude=exclude or [], ablation=ablation,
                          years=_years(from_year, to_year))
    summary = report.summary_table()
    print_frame(summary, title=f"Spearman rho with each reference, mean over {report.years[0]}-{report.years[1]} "
                               f"(home {home}, domain {domain}; positive = agreement)")
    print_frame(report.predictive_table(), title="Adverse events at t+1 from the score at t: AUC and Brier skill")
    if ablation and not report.ablation.empty:
        print_frame(report.ablation_table(), title="Change in each figure when a dimension is dropped")
    for key, won in report.beats_baseline().items():
        console.print(f"total vs plain WGI average, {key}: {'better' if won else 'not better'}", highlight=False)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
    if out is not None:
        export_frame(report.table(), out)
        console.print(f"wrote {len(report.table())} rows to {out}")
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(report.to_markdown(), encoding="utf-8")
        console.print(f"wrote the report to {markdown}")


def _years(first: int | None, last: int | None) -> range | None:
    if first is None and last is None:
        return None
    return range(first if first is not None else 1996, (last if last is not None else 2100) + 1)


@risk_app.command("uncertainty")
@handle_errors
def uncertainty_cmd(
    home: Home = "CHN",
    domain: Domain = "general",
    year: Annotated[int | None, typer.Option(help="Year; default: the latest scored year.")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws over weights, normalisation and aggregation.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (results are reproducible).")] = 0,
    top: Annotated[int, typer.Option(help="Rows to show, highest baseline risk first.")] = 30,
    out: Annotated[Path | None, typer.Option(help="Write the table to a .csv or .parquet file.")] = None,
) -> None:
    """Median rank and 90% rank interval per country under uncertain assumptions."""
    from cultrade.risk import build_index

    with open_store() as store:
        table = build_index(store, home, domain).uncertainty(draws, seed=seed, year=year)
    print_frame(table.sort_values("rank").head(top),
                title=f"Rank uncertainty, {draws} draws, home {home}, domain {domain}", max_rows=top)
    if out is not None:
        export_frame(table, out)


@risk_app.command("sensitivity")
@handle_errors
def sensitivity_cmd(
    home: Home = "CHN",
    domain: Domain = "general",
    year: Annotated[int | None, typer.Option(help="Year; default: the latest scored year.")] = None,
    n: Annotated[int, typer.Option(help="Sobol base sample size (SALib); cost grows with n.")] = 256,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Sobol first-order and total indices: which assumption moves the ranking most."""
    from cultrade.risk import build_index

    with open_store() as store:
        table = build_index(store, home, domain).sensitivity(n, seed=seed, year=year)
    print_frame(table, title="Sobol sensitivity of the ranking (mean absolute rank shift)")


@risk_app.command("override")
@handle_errors
def override_cmd(
    country: Annotated[str, typer.Argument(help="ISO3 code.")],
    target: Annotated[str, typer.Argument(help="An indicator or dimension id from the framework.")],
    value: Annotated[float, typer.Argument(help="New value on the 0-10 risk scale.")],
    year: Annotated[int, typer.Option(help="Year the override applies to.")],
    author: Annotated[str, typer.Option(help="Who makes the override.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    home: Home = "CHN",
    domain: Domain = "general",
) -> None:
    """Record an expert override with an audit trail (who, when, why, old and new values)."""
    from cultrade.api.keys import audit_local
    from cultrade.risk import add_override, build_index

    with open_store() as store:
        index = build_index(store, home, domain)
        add_override(store, index, country, year, target, value, author=author, reason=reason)
        audit_local(store, "risk override", {"iso3": country.upper(), "year": year, "target": target,
                                             "value": value, "author": author})
    console.print(f"override recorded: {country.upper()} {year} {target} = {value} by {author}")


@risk_app.command("overrides")
@handle_errors
def overrides_cmd() -> None:
    """List the expert overrides and their audit trail."""
    from cultrade.risk import load_overrides

    with open_store() as store:
        overrides = load_overrides(store)
    if not overrides:
        console.print("No overrides recorded.")
        return
    import pandas as pd

    print_frame(pd.DataFrame([o.__dict__ for o in overrides]), title="Expert overrides", max_rows=500)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
