"""The ``cultrade`` command: a thin shell over the library.

Each command calls one library function and turns a :class:`CultradeError`
into a readable message and a non-zero exit code. No SQL lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cultrade.commands.alerts import register as register_alerts
from cultrade.commands.common import console, handle_errors, print_frame
from cultrade.commands.common import open_store as _open_store
from cultrade.commands.demo import demo as demo_cmd
from cultrade.commands.fetch import register as register_fetch
from cultrade.commands.forecast import register as register_forecast
from cultrade.commands.markets import register as register_markets
from cultrade.commands.monitor import register as register_monitor
from cultrade.commands.report import register as register_report
from cultrade.commands.risk import register as register_risk
from cultrade.commands.serve import register as register_serve
from cultrade.commands.trade import register as register_trade
from cultrade.countries import SCHEMES, get_countries
from cultrade.errors import ConfigError, CultradeError
from cultrade.settings import get_settings
from cultrade.sources import available, get_adapter
from cultrade.sources.loading import expand_paths, summarise
from cultrade.sources.snapshot import build_snapshot, load_snapshot
from cultrade.store import IngestResult

app = typer.Typer(help="cultrade: cultural trade statistics, country risk and market opportunities.",
                  no_args_is_help=True, add_completion=False)
snapshot_app = typer.Typer(help="Build or inspect the bundled open-data snapshot.", no_args_is_help=True)
app.add_typer(snapshot_app, name="snapshot")
register_trade(app)
register_risk(app)
register_fetch(app)
register_alerts(app)
register_monitor(app)
register_report(app)
register_serve(app)
app.command("demo")(demo_cmd)
register_forecast(app)
register_markets(app)
@app.command()
@handle_errors
def init(force: Annotated[bool, typer.Option(help="Delete the existing store first.")] = False) -> None:
    """Create the store and load the bundled open-licence snapshot into it."""
    settings = get_settings()
    assert settings.store_path is not None
    if force and settings.store_path.exists():
        settings.store_path.unlink()
    with _open_store() as store:
        result = load_snapshot(store)
    rows = sum(result.tables.values())
    if result.status == "unchanged":
        console.print(f"Store {settings.store_path} already holds the bundled snapshot ({result.entries} files).")
    else:
        console.print(f"Loaded {result.entries} files into {len(result.tables)} tables ({rows:,} rows) "
                      f"at {settings.store_path}.")


@app.command()
@handle_errors
def ingest(
    source: Annotated[str, typer.Argument(help="Adapter name, e.g. wgi, fsi, baci (see `cultrade sources --available`).")],
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders holding the publisher's files.")],
) -> None:
    """Parse, validate and load files; each file is one transaction, and an unchanged file is skipped."""
    adapter = get_adapter(source)
    files = expand_paths(adapter, paths)
    results: list[tuple[Path, IngestResult]] = []
    with _open_store() as store, Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task(f"ingest {source}", total=len(files))
        for path in files:
            progress.update(task, description=f"{source}: {path.name}")
            results.append((path, store.ingest(adapter, path)))
            progress.advance(task)
    frame = pd.DataFrame([
        {"file": p.name, "partition": r.partition, "status": r.status, "rows": r.total_rows}
        for p, r in results
    ])
    print_frame(frame, title=f"{source}: {len(results)} file(s)")


@app.command()
@handle_errors
def sources(
    available_: Annotated[bool, typer.Option("--available", help="List the adapters instead of the catalog.")] = False,
) -> None:
    """List what is loaded, with provenance and licence (or every adapter with --available)."""
    if available_:
        frame = pd.DataFrame([cls().describe() for cls in available().values()])
        frame["tables"] = frame["tables"].map(", ".join)
        print_frame(frame[["name", "title", "publisher", "licence", "bundle", "tables"]], title="Adapters",
                    max_rows=200)
        return
    with _open_store() as store:
        cat = store.catalog()
    if cat.empty:
        console.print("The store is empty: run `cultrade init` or `cultrade ingest SOURCE PATH`.")
        return
    cat["sha256"] = cat["sha256"].str.slice(0, 12)
    cat["loaded_at"] = cat["loaded_at"].astype(str).str.slice(0, 19)
    cat["path"] = cat["path"].map(lambda p: Path(str(p)).name if not str(p).startswith("snapshot:") else p)
    print_frame(cat[["source", "partition", "path", "vintage", "licence", "rows", "sha256", "loaded_at", "origin"]],
                title="Catalog", max_rows=500)


@app.command()
@handle_errors
def summary() -> None:
    """A readable summary of the store: sources, licences, countries, years and rows."""
    with _open_store() as store:
        s = summarise(store)
    if s.catalog.empty:
        console.print("The store is empty: run `cultrade init`.")
        return
    by_source = (s.catalog.groupby(["source", "licence"], as_index=False)
                 .agg(files=("partition", "count"), rows=("rows", "sum"), publisher=("publisher", "first")))
    print_frame(by_source, title=f"{s.sources} sources, {s.rows:,} rows", max_rows=100)
    if not s.indicator_coverage.empty:
        print_frame(s.indicator_coverage, title="Indicator coverage (the `indicators` view)", max_rows=100)
    print_frame(pd.DataFrame(sorted(s.tables.items()), columns=["table", "rows"]), title="Tables", max_rows=200)


@app.command()
@handle_errors
def country(
    value: Annotated[str, typer.Argument(help="A code or name: ROM, 'Cote d'Ivoire', 750 ...")],
    scheme: Annotated[str, typer.Option(help=f"One of {', '.join(SCHEMES)}.")] = "auto",
) -> None:
    """Resolve a country code or name to ISO3 (unknown values list close matches)."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown scheme {scheme!r}", hint=f"use one of {', '.join(SCHEMES)}")
    countries = get_countries()
    iso3 = countries.to_iso3(value, scheme)  # type: ignore[arg-type]
    info = countries.country(iso3)
    console.print(f"{value} ({scheme}) → [bold]{iso3}[/] {info.name} / {info.name_zh}; "
                  f"region: {info.region or '-'}; income: {info.income or '-'}")


@snapshot_app.command("build")
@handle_errors
def snapshot_build(
    data_dir: Annotated[Path, typer.Argument(help="The shared/data folder with the raw files.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default: inside the package).")] = None,
) -> None:
    """Rebuild the bundled Parquet snapshot from the raw files (maintainers)."""
    manifest = build_snapshot(data_dir, out)
    console.print(f"Snapshot: {len(manifest['entries'])} files, {len(manifest['tables'])} tables, "
                  f"{manifest['bytes'] / 2**20:.1f} MB")


def run() -> None:
    """The ``cultrade`` executable: the commands, run through the server when ``cultrade serve`` owns the store
    (see :mod:`cultrade.commands.remote`)."""
    import sys

    from cultrade.commands.remote import maybe_forward

    try:
        code = maybe_forward(sys.argv[1:])
    except CultradeError as exc:
        from cultrade.commands.common import err_console

        err_console.print(f"[bold red]error[/]: {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    if code is not None:
        sys.exit(code)
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
