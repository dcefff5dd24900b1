"""Online fetch commands (World Bank API, GDELT file lists, Comtrade preview); every answer is cached."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cultrade.commands.common import console, export_frame, handle_errors, open_store, print_frame

fetch_app = typer.Typer(help="Fetch public data online (needs network access; answers are cached).",
                        no_args_is_help=True)


@fetch_app.command("worldbank")
@handle_errors
def worldbank_cmd(
    code: Annotated[str, typer.Argument(help="A WDI indicator code, e.g. NY.GDP.MKTP.CD.")],
    date: Annotated[str | None, typer.Option(help="A year (2023) or a range (2000:2023).")] = None,
    load: Annotated[bool, typer.Option(help="Load into the store (obs_wb_api) instead of printing.")] = False,
) -> None:
    """Fetch a World Bank indicator for every economy (aggregates dropped)."""
    from cultrade.sources.fetch import load_worldbank_indicator, worldbank_indicator

    if load:
        with open_store() as store:
            result = load_worldbank_indicator(store, code, date=date)
        console.print(f"{code}: {result.status}, {result.total_rows} rows")
        return
    print_frame(worldbank_indicator(code, date=date), title=f"World Bank {code}")


@fetch_app.command("gdelt-list")
@handle_errors
def gdelt_list_cmd(
    start: Annotated[datetime | None, typer.Option(help="First slice time (UTC).")] = None,
    end: Annotated[datetime | None, typer.Option(help="End of the range (exclusive).")] = None,
    master: Annotated[bool, typer.Option(help="Use the full master file list, not lastupdate.txt.")] = False,
    download: Annotated[Path | None, typer.Option(help="Download the listed slices into this folder.")] = None,
) -> None:
    """List (and optionally download, md5-checked) GDELT 2.0 15-minute export slices."""
    from cultrade.sources.fetch import download_gdelt_file, gdelt_file_list

    files = gdelt_file_list(start=start, end=end, master=master)
    print_frame(pd.DataFrame([{"timestamp": f.timestamp, "name": f.name, "size": f.size} for f in files]),
                title=f"{len(files)} GDELT slices", max_rows=200)
    if download is not None:
        for entry in files:
            download_gdelt_file(entry, download)
        console.print(f"downloaded {len(files)} slices to {download}")


@fetch_app.command("comtrade")
@handle_errors
def comtrade_cmd(
    reporter: Annotated[str, typer.Argument(help="Reporter M49 code(s), comma-separated, e.g. 156.")],
    period: Annotated[str, typer.Argument(help="Year, e.g. 2022.")],
    cmd: Annotated[str, typer.Option(help="HS code(s), e.g. 4901,9701 or TOTAL.")] = "TOTAL",
    partner: Annotated[str, typer.Option(help="Partner M49 code(s); 0 = world.")] = "0",
    flow: Annotated[str, typer.Option(help="X (exports) or M (imports).")] = "X",
    out: Annotated[Path | None, typer.Option(help="Write to a .csv or .parquet file.")] = None,
) -> None:
    """Goods trade from the UN Comtrade preview API (at most 500 rows a call)."""
    from cultrade.sources.fetch import comtrade_preview

    frame = comtrade_preview(reporter=reporter.split(","), period=period, partner=partner.split(","), cmd=cmd,
                             flow=flow)
    print_frame(frame, title=f"Comtrade {reporter} {period} {cmd}")
    if out is not None:
        export_frame(frame, out)


def register(app: typer.Typer) -> None:
    app.add_typer(fetch_app, name="fetch")
