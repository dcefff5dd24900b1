"""Event-stream monitoring commands: replay stored GDELT slices, watch a folder, query country signals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cultrade.commands.common import console, handle_errors, open_store, print_frame
from cultrade.errors import ConfigError
from cultrade.settings import get_settings

monitor_app = typer.Typer(help="Monitor the GDELT event stream: country signals, anomalies, alerts.",
                          no_args_is_help=True)

SLICES_SUBDIR = Path("events") / "gdelt_v2_2025" / "export"


def default_slice_dir() -> Path:
    """settings.shared_data/events/gdelt_v2_2025/export, else ../shared/data/... from the working folder."""
    settings = get_settings()
    candidates = []
    if settings.shared_data is not None:
        candidates.append(Path(settings.shared_data) / SLICES_SUBDIR)
    candidates.append(Path.cwd().parent / "shared" / "data" / SLICES_SUBDIR)
    for c in candidates:
        if c.is_dir():
            return c
    raise ConfigError(f"no folder of GDELT slices found (looked in {', '.join(str(c) for c in candidates)})",
                      hint="pass --dir FOLDER with the <YYYYMMDDHHMMSS>.export.CSV.gz files, or set "
                           "CULTRADE_SHARED_DATA to the folder holding events/gdelt_v2_2025/export")


def rules_hook() -> Any:
    """The rule engine as a slice hook: a :class:`cultrade.monitor.evaluator.Evaluator`, which the event stream
    runs inside each slice's (or replay batch's) transaction, so the alert transitions and their outbox rows
    commit together with the slices that caused them. Rules are evaluated as of each slice's time, so a
    replay of past slices fires alerts at the times they would have fired."""
    from cultrade.monitor.evaluator import Evaluator

    return Evaluator()


def _day(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{option} {value!r} is not a date", hint="use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from exc


def _report(report: Any, store: Any, start: datetime | None, end: datetime | None) -> None:
    from cultrade.monitor.signals import top_anomalies

    d = report.as_dict()
    console.print(
        f"slices: {d['processed']:,} processed, {d['skipped']:,} skipped (done before), {d['late']:,} late, "
        f"{d['missing']:,} missing, {d['failed']:,} failed; events: {d['events']:,} read, "
        f"{d['new_events']:,} new, {d['duplicates']:,} duplicates dropped; {d['seconds']:.1f} s"
        + (f" ({d['events'] / d['seconds']:,.0f} events/s)" if d["seconds"] > 0 and d["events"] else ""))
    for err in report.errors[:5]:
        console.print(f"[red]failed[/]: {err}", highlight=False)
    top = top_anomalies(store, granularity="day", n=10, start=start, end=end)
    if not top.empty:
        top["ts"] = top["ts"].dt.strftime("%Y-%m-%d")
        print_frame(top.drop(columns=["granularity"]), title="Top daily anomalies (robust z)")


def _progress_bar(total: int) -> tuple[Progress, Callable[[Any], None]]:
    bar = Progress(TextColumn("[bold]replay"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                   TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task("", total=total)

    def advance(summary: Any) -> None:
        bar.update(task, advance=1, description=f"{summary.slice_ts:%Y-%m-%d %H:%M} {summary.status}")

    return bar, advance


@monitor_app.command("replay")
@handle_errors
def replay_cmd(
    start: Annotated[str | None, typer.Option("--from", help="First day (UTC), YYYY-MM-DD[THH:MM].")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (UTC, included), YYYY-MM-DD[THH:MM].")] = None,
    directory: Annotated[Path | None, typer.Option("--dir", help="Folder of slices (default: the shared data).")]
    = None,
    rules: Annotated[bool, typer.Option(help="Run the rules engine after each slice, if installed.")] = True,
) -> None:
    """Replay stored GDELT 2.0 slices in time order into the signals (resumes where a previous run stopped)."""
    from cultrade.monitor.feeds import replay
    from cultrade.monitor.slices import list_slices

    folder = directory or default_slice_dir()
    t0 = _day(start, "--from") if start else None
    t1 = _day(end, "--to") if end else None
    if t1 is not None and end is not None and len(end) <= 10:
        t1 = t1 + timedelta(days=1)  # a day given for --to includes that day
    hooks = [rules_hook()] if rules else []
    console.print("rules: " + ("every rule is evaluated after each slice" if rules else "off (signals only)"))
    total = len(list_slices(folder, t0, t1))
    with open_store() as store:
        bar, advance = _progress_bar(total)
        with bar:
            report = replay(store, folder, t0, t1, on_slice=hooks, progress=advance)
        _report(report, store, t0, t1)


@monitor_app.command("watch")
@handle_errors
def watch_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder where new slices appear.")],
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 5.0,
    max_iterations: Annotated[int | None, typer.Option(help="Stop after this many polls (default: run forever).")]
    = None,
    rules: Annotated[bool, typer.Option(help="Run the rules engine after each slice, if installed.")] = True,
) -> None:
    """Watch a folder for new GDELT 2.0 slices and process each as it arrives (Ctrl-C stops)."""
    from cultrade.monitor.feeds import watch

    hook = rules_hook() if rules else None

    def show(summary: Any) -> None:
        if summary.status == "processed":
            console.print(f"{summary.slice_ts:%Y-%m-%d %H:%M} {summary.events:,} events, {summary.new_events:,} new"
                          f"{' (late)' if summary.late else ''}, {summary.countries} countries, "
                          f"{summary.seconds * 1000:.0f} ms", highlight=False)

    with open_store() as store:
        try:
            report = watch(store, directory, interval=interval, max_iterations=max_iterations,
                           on_slice=[hook] if hook else [], progress=show)
        except KeyboardInterrupt:
            console.print("stopped")
            return
        _report(report, store, None, None)


@monitor_app.command("evaluate")
@handle_errors
def evaluate_cmd(
    labels: Annotated[Path, typer.Option(help="CSV of labelled events (see docs/monitoring_labels.csv).")],
    start: Annotated[str, typer.Option("--from", help="First day (UTC) of the window.")] = "2025-05-15",
    end: Annotated[str, typer.Option("--to", help="Last day (UTC, included) of the window.")] = "2025-06-05",
    directory: Annotated[Path | None, typer.Option("--dir", help="Folder of slices (default: the shared data).")]
    = None,
    report: Annotated[Path | None, typer.Option(help="Markdown file to write the figures into (between the "
                                                      "evaluate markers), e.g. docs/monitoring_replay.md.")] = None,
    lead: Annotated[str, typer.Option(help="How long before the first reporting slice an alert may start.")] = "3h",
    horizon: Annotated[str, typer.Option(help="How long after it an alert still counts as detecting it.")] = "24h",
    warmup: Annotated[str, typer.Option(help="Labels this early in the replay have no baseline: not scored.")]
    = "24h",
    rules: Annotated[Path | None, typer.Option(help="A rules YAML file merged onto the shipped rules.")] = None,
    levels: Annotated[str | None, typer.Option(help="Also replay with every surprise rule entering at these levels, "
                                                     "e.g. 3,5 (operating points; one replay each).")] = None,
) -> None:
    """Replay a window with the rules and measure detection latency, recall and false alerts against labels."""
    from cultrade.monitor.evaluation import evaluate_labels, operating_points, render, render_points, write_report
    from cultrade.monitor.labels import read_labels
    from cultrade.monitor.rules import load_rules, parse_duration

    folder = directory or default_slice_dir()
    t0 = _day(start, "--from")
    t1 = _day(end, "--to") + (timedelta(days=1) if len(end) <= 10 else timedelta(0))
    found = read_labels(labels, start=t0, end=t1)
    ruleset = load_rules(rules) if rules else None

    def span(text: str, option: str) -> timedelta:
        try:
            return parse_duration(text).timedelta
        except ValueError as exc:
            raise ConfigError(f"{option}: {exc}", hint="write e.g. 3h, 24h") from None

    console.print(f"{len(found)} labels ({len({lab.event for lab in found})} events); replaying {folder} "
                  f"{t0:%Y-%m-%d}..{t1 - timedelta(days=1):%Y-%m-%d} with every rule ...")
    result = evaluate_labels(folder, found, start=t0, end=t1, rules=ruleset, lead=span(lead, "--lead"),
                             horizon=span(horizon, "--horizon"), warmup=span(warmup, "--warmup"))
    markdown = render(result, labels_file=str(labels))
    if levels:
        try:
            values = [float(v) for v in levels.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"--levels {levels!r} is not a list of numbers", hint="write e.g. 3,5") from None
        points = operating_points(folder, found, values, start=t0, end=t1, rules=ruleset, lead=span(lead, "--lead"),
                                  horizon=span(horizon, "--horizon"), warmup=span(warmup, "--warmup"))
        markdown += render_points(points, result)
    console.print(markdown, markup=False, highlight=False)
    if report is not None:
        console.print(f"written to {write_report(report, markdown)}")


@monitor_app.command("status")
@handle_errors
def status_cmd() -> None:
    """Is the event feed live or stale? The last slice, its lag, quarantined slices and the outbox backlog."""
    from cultrade.monitor.status import feed_status

    with open_store() as store:
        s = feed_status(store)
    console.print(f"event feed {s.sentence()}", highlight=False)
    if s.lag is not None:
        console.print(f"slices processed: {s.slices:,}; the last one {s.lag.total_seconds() / 60:,.0f} min after its "
                      f"time; quarantined slices: {s.quarantined}", highlight=False)
    console.print("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(s.outbox.items())) or "empty")
                  + (f"; oldest pending {s.oldest_pending:%Y-%m-%d %H:%M} UTC" if s.oldest_pending else ""),
                  highlight=False)


@monitor_app.command("signals")
@handle_errors
def signals_cmd(
    country: Annotated[str | None, typer.Option(help="Country: ISO3 code or name.")] = None,
    metric: Annotated[str | None, typer.Option(help="Metric, e.g. protest, events, tone.")] = None,
    granularity: Annotated[str, typer.Option(help="day or hour.")] = "day",
    start: Annotated[str | None, typer.Option("--from", help="From (UTC, included).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="To (UTC, excluded).")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 60,
) -> None:
    """Print stored country signals with their baseline and anomaly score."""
    from cultrade.countries import get_countries
    from cultrade.monitor.signals import signals

    if granularity not in ("day", "hour"):
        raise ConfigError(f"unknown granularity {granularity!r}", hint="use day or hour")
    iso3 = get_countries().to_iso3(country) if country else None
    with open_store() as store:
        df = signals(store, iso3=iso3, metric=metric, granularity=granularity,  # type: ignore[arg-type]
                     start=start, end=end)
    if df.empty:
        console.print("no signals: run `cultrade monitor replay` or `cultrade monitor watch` first")
        return
    print_frame(df.drop(columns=["granularity", "updated_at"]), title=f"signals ({granularity})", max_rows=limit)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")


__all__ = ["default_slice_dir", "monitor_app", "register", "rules_hook"]
