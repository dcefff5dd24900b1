"""Forecast commands: ``cultrade forecast backtest`` and ``cultrade forecast predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cultrade.commands.common import console, handle_errors, open_store, print_frame

forecast_app = typer.Typer(help="Forecasts of risk-band deterioration and conflict onset, and their backtests.",
                           no_args_is_help=True)

TargetOpt = Annotated[str | None, typer.Option("--target", help="conflict_onset or band_deterioration "
                                                                 "(default: both).")]
HorizonOpt = Annotated[list[int] | None, typer.Option("--horizon", help="Lead time in years, 1-3; repeat for several "
                                                                        "(default: 1).")]
Home = Annotated[str, typer.Option(help="Home country (ISO3) of the risk index perspective.")]
Domain = Annotated[str, typer.Option(help="Cultural domain profile of the risk index.")]


def _targets(target: str | None) -> tuple[str, ...]:
    from cultrade.forecast.options import TARGETS, check

    return TARGETS if target is None else (check("target", target),)


@forecast_app.command("backtest")
@handle_errors
def backtest_cmd(
    target: TargetOpt = None,
    from_year: Annotated[int, typer.Option("--from", help="First origin year (features up to this year).")] = 2008,
    to_year: Annotated[int, typer.Option("--to", help="Last origin year.")] = 2022,
    horizon: HorizonOpt = None,
    model: Annotated[list[str] | None, typer.Option("--model", help="logit, hgb, persistence, climatology; "
                                                                    "repeat for several (default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the models and the bootstrap.")] = 0,
    home: Home = "CHN",
    domain: Domain = "general",
    out: Annotated[Path | None, typer.Option(help="Write the full report (markdown) to this file.")] = None,
) -> None:
    """Rolling-origin backtest: AUC, average precision, Brier (skill), calibration per model and baseline."""
    from cultrade.forecast import backtest, load_data
    from cultrade.forecast.options import MODELS, check_many
    from cultrade.forecast.rolling import METRIC_COLUMNS

    targets = _targets(target)
    models = check_many("model", model) if model else MODELS
    with open_store() as store:
        data = load_data(store, home, domain)
    reports = [backtest(data, t, origins=range(from_year, to_year + 1), horizons=horizon or (1,),  # type: ignore[arg-type]
                        models=models, seed=seed) for t in targets]
    for rep in reports:
        pooled = rep.pooled()
        print_frame(pooled[["horizon", "model", *[c for c in METRIC_COLUMNS if c in pooled.columns]]],
                    title=f"Backtest {rep.target}: origins {from_year}-{to_year}, pooled ({rep.elapsed:.1f} s)")
        for note in rep.notes:
            console.print(f"note: {note}", highlight=False)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(r.to_markdown() for r in reports), encoding="utf-8")
        console.print(f"wrote the report to {out}")


@forecast_app.command("predict")
@handle_errors
def predict_cmd(
    year: Annotated[int | None, typer.Option(help="Origin (data) year; default: the last data year.")] = None,
    target: TargetOpt = None,
    horizon: HorizonOpt = None,
    top: Annotated[int, typer.Option(help="Countries to show per target, highest probability first.")] = 15,
    seed: Annotated[int, typer.Option(help="Random seed of the models.")] = 0,
    home: Home = "CHN",
    domain: Domain = "general",
) -> None:
    """Forecast from ``--year``, store the probabilities in forecast_probabilities and show the highest."""
    from cultrade.forecast import predict_and_store
    from cultrade.risk.index import country_name

    with open_store() as store:
        rows = predict_and_store(store, year, targets=_targets(target), horizons=horizon or (1,), seed=seed,
                                 home=home, domain=domain)
    console.print(f"stored {len(rows)} forecasts in forecast_probabilities")
    for (tgt, _), g in rows.groupby(["target", "horizon_years"], sort=False):
        wide = g.pivot_table(index="iso3", columns="model", values="probability")
        wide["mean"] = wide.mean(axis=1)
        wide = wide.sort_values("mean", ascending=False).head(top).reset_index()
        wide.insert(1, "name", [country_name(c) for c in wide["iso3"]])
        origin = int(g["origin_year"].iloc[0])
        lead = int(g["horizon_years"].iloc[0])
        print_frame(wide, title=f"{tgt}: P(event by {origin + lead}) from {origin} data", max_rows=top)


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")


__all__ = ["forecast_app", "register"]
