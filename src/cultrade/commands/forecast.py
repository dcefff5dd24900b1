"""Forecast commands: ``cultrade forecast backtest`` and ``cultrade forecast predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cultrade.commands.common import console, export_frame, handle_errors, open_store, print_frame

forecast_app = typer.Typer(help="Forecasts of adverse events (conflict onset, currency and inflation crises, output "
                                "collapse, risk-score rises, band deterioration) and their backtests.",
                           no_args_is_help=True)

TargetOpt = Annotated[list[str] | None, typer.Option("--target", help="conflict_onset, currency_crisis, "
                                                                       "inflation_crisis, output_collapse, score_rise "
                                                                       "or band_deterioration; repeat for several.")]
HorizonOpt = Annotated[list[int] | None, typer.Option("--horizon", help="Lead time in years, 1-3; repeat for several "
                                                                        "(default: 1).")]
Home = Annotated[str, typer.Option(help="Home country (ISO3) of the risk index perspective.")]
Domain = Annotated[str, typer.Option(help="Cultural domain profile of the risk index.")]


@forecast_app.command("backtest")
@handle_errors
def backtest_cmd(
    target: TargetOpt = None,
    from_year: Annotated[int, typer.Option("--from", help="First origin year (features up to this year).")] = 2008,
    to_year: Annotated[int | None, typer.Option("--to", help="Last origin year (default: the latest complete "
                                                              "data year).")] = None,
    horizon: HorizonOpt = None,
    model: Annotated[list[str] | None, typer.Option("--model", help="logit, hgb or a baseline; repeat for several "
                                                                    "(default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the models and the bootstrap.")] = 0,
    home: Home = "CHN",
    domain: Domain = "general",
    out: Annotated[Path | None, typer.Option(help="Write the full report: .md (the document), or .csv / .parquet "
                                                  "(the pooled scores).")] = None,
) -> None:
    """Rolling-origin backtest against five baselines; records which models ship (forecast_skill)."""
    from cultrade.forecast import backtest, load_data, record_decision
    from cultrade.forecast.options import MODELS, TARGETS
    from cultrade.forecast.skill import why_undecided

    with open_store() as store:
        data = load_data(store, home, domain)
        rep = backtest(data, target or TARGETS, origins=range(from_year, (to_year or data.complete_year) + 1), horizons=horizon or (1,),
                       models=model or MODELS, seed=seed)
        reason = why_undecided(rep)
        if reason is None:
            record_decision(store, rep)
    pooled = rep.pooled()
    print_frame(pooled[["target", "horizon", "model", "n", "events", "auc", "auc_lo", "auc_hi", "ap", "brier",
                        "bss", "gain"]],
                title=f"Backtest, origins {rep.origins[0]}-{rep.origins[-1]}, pooled ({rep.elapsed:.0f} s)",
                max_rows=len(pooled))
    decision = rep.decision()
    print_frame(decision[["target", "model", "auc", "best_baseline", "best_baseline_auc", "gain", "bss", "passes",
                          "shipped"]], title="Shipping decision (lead 1)", max_rows=len(decision))
    console.print("decision recorded in forecast_skill" if reason is None else f"decision not recorded: {reason}")
    for note in rep.notes:
        console.print(f"note: {note}", highlight=False)
    if out is not None:
        if out.suffix.lower() in (".csv", ".parquet"):
            export_frame(pooled, out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(rep.to_markdown(), encoding="utf-8")
        console.print(f"wrote the report to {out}")


@forecast_app.command("predict")
@handle_errors
def predict_cmd(
    year: Annotated[int | None, typer.Option(help="Origin (data) year; default: the latest complete data year "
                                                  "(observed WGI for most countries).")] = None,
    target: TargetOpt = None,
    horizon: HorizonOpt = None,
    top: Annotated[int, typer.Option(help="Countries to show per target, highest probability first.")] = 15,
    seed: Annotated[int, typer.Option(help="Random seed of the models.")] = 0,
    home: Home = "CHN",
    domain: Domain = "general",
) -> None:
    """Forecast the shipped targets from ``--year``, store them in forecast_probabilities and show the highest."""
    from cultrade.forecast import predict_and_store
    from cultrade.forecast.options import LOW_COVERAGE
    from cultrade.risk.index import country_name

    with open_store() as store:
        result = predict_and_store(store, year, targets=target, horizons=horizon or (1,), seed=seed, home=home,
                                   domain=domain)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    rows = result.rows
    console.print(f"stored {len(rows)} forecasts in forecast_probabilities")
    pairs = rows[["target", "horizon_years"]].drop_duplicates().itertuples(index=False)
    for tgt, lead in pairs:
        best, left_out = result.top(str(tgt), int(lead), top)
        best.insert(1, "name", [country_name(c) for c in best["iso3"]])
        origin = int(rows["origin_year"].iloc[0])
        print_frame(best[["iso3", "name", "probability", "model", "coverage"]],
                    title=f"{tgt}: P(event in {origin + int(lead)}) from {origin} data", max_rows=top)
        if left_out:
            console.print(f"left out for low index coverage (< {LOW_COVERAGE:.0%} of the index weight with data): "
                          + ", ".join(f"{country_name(c)} ({c})" for c in left_out), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")


__all__ = ["forecast_app", "register"]
