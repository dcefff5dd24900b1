"""``cultrade demo``: the main job on the bundled data, end to end, then the dashboard.

It runs the same commands a user would, in order: load the bundled snapshot,
summarise it, score country risk, profile cultural trade, replay four bundled
days of real GDELT slices through signals and rules, deliver the alerts to the
log and to a CSV, write a Chinese country brief, and serve the dashboard at
http://127.0.0.1:8000 with a demo admin key.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

import click
import typer

from cultrade.commands.common import console, export_frame, handle_errors, open_store
from cultrade.settings import get_settings

KEY_FILE = "demo-admin-key.txt"


def bundled_slices() -> Path:
    """The four days of real GDELT 2.0 slices shipped with the package."""
    return Path(str(resources.files("cultrade.data"))) / "gdelt_demo"


def _step(app: typer.Typer, title: str, args: list[str]) -> None:
    console.rule(f"[bold]{title}")
    command = typer.main.get_command(app)
    try:
        code = command.main(args, prog_name="cultrade", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    if code not in (0, None):
        raise typer.Exit(int(code))


def _demo_key() -> str:
    """Create (once) an admin API key for the demo and keep it in CULTRADE_HOME."""
    from cultrade.api.keys import create_key

    path = get_settings().home / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    with open_store() as store:
        created = create_key(store, "demo", "admin")
    path.write_text(created.key + "\n")
    path.chmod(0o600)
    return created.key


@handle_errors
def demo(
    serve: Annotated[bool, typer.Option(help="End by serving the dashboard at http://127.0.0.1:8000.")] = True,
    port: Annotated[int, typer.Option(help="Port for the dashboard.")] = 8000,
) -> None:
    """The main job on the bundled data: risk scores, trade profile, market opportunities, event replay, alerts,
    report, dashboard."""
    from cultrade.cli import app

    out = get_settings().home / "demo-output"
    out.mkdir(parents=True, exist_ok=True)
    _step(app, "1. Load the bundled open-licence snapshot", ["init"])
    _step(app, "2. What the store holds", ["summary"])
    _step(app, "3. Country risk for a Chinese game studio, 2023",
          ["risk", "score", "--home", "CHN", "--domain", "games", "--year", "2023", "--top", "15",
           "--out", str(out / "risk_scores_CHN_games_2023.csv")])
    _step(app, "4. Keep the risk bands for the band rules", ["alerts", "snapshot-risk", "--home", "CHN",
                                                           "--domain", "games"])
    _step(app, "5. China's cultural trade profile, 2017", ["trade", "profile", "CHN", "--year", "2017",
                                                         "--out", str(out)])
    _step(app, "5b. Where to go next: markets for a Chinese game studio, risk-adjusted (inputs listed)",
          ["markets", "rank", "--home", "CHN", "--domain", "games", "--top", "10",
           "--out", str(out / "markets_CHN_games.csv")])
    _step(app, "6. Forecast next year's adverse events that beat their baselines (stored for the forecast rules)",
          ["forecast", "predict"])
    _step(app, "7. Replay four days of real GDELT events (2025-06-02..05); every rule runs after each slice",
          ["monitor", "replay", "--from", "2025-06-02", "--to", "2025-06-05", "--dir", str(bundled_slices())])
    _step(app, "8. Deliver notifications (log receiver)", ["alerts", "dispatch"])
    _step(app, "9. Firing alerts", ["alerts", "list", "--state", "firing"])
    from cultrade.monitor.alerts import list_alerts

    with open_store() as store:
        export_frame(list_alerts(store), out / "alerts.csv")
    fmt = "pdf" if shutil.which("chromium") or Path("/usr/bin/chromium").exists() else "html"
    _step(app, f"10. A country risk brief in Chinese ({fmt})",
          ["report", "country", "IRN", "--home", "CHN", "--domain", "games", "--lang", "zh", "--format", fmt,
           "--out", str(out / f"IRN-country-zh.{fmt}")])
    console.print(f"[bold green]Outputs written to {out}[/]")
    key = _demo_key()
    console.rule("[bold]Dashboard")
    console.print(f"Open http://127.0.0.1:{port}/ and log in with the demo admin key:\n  {key}\n"
                  f"(kept in {get_settings().home / KEY_FILE}; create others with `cultrade keys create`).")
    if serve:
        _step(app, "Serving (Ctrl-C to stop)", ["serve", "--host", "127.0.0.1", "--port", str(port)])
