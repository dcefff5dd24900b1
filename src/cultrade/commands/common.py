"""What every command shares: consoles, error handling, table printing, the store."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cultrade.errors import ConfigError, CultradeError
from cultrade.settings import get_settings
from cultrade.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# Pipes and CI logs get a wide console so tables do not fold into slivers.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def handle_errors(func: F) -> F:
    """Show library errors as one readable line and exit with the error's code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CultradeError as exc:
            err_console.print(f"[bold red]error[/]: {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def open_store() -> Store:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    return Store(settings=settings)


def _cell(value: Any) -> str:
    """Numbers as people read them: thousands separators, two decimals, small shares kept."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        if value == 0 or abs(value) >= 1:
            return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def print_frame(df: pd.DataFrame, title: str | None = None, *, max_rows: int = 60) -> None:
    """Render a DataFrame as a rich table."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    if len(df) > max_rows:
        console.print(f"... {len(df) - max_rows} more rows")




def export_frame(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` as CSV or Parquet, chosen by the file suffix."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        raise ConfigError(f"cannot export to {path.name!r}", hint="use a .csv or .parquet file name")
    return path
