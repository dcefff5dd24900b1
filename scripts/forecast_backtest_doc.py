"""Regenerate ``docs/forecast_backtest.md`` from the command, on the bundled open-data snapshot.

Loads the snapshot into a temporary ``CULTRADE_HOME`` (``cultrade init``), then runs the full
backtest (every target, model and baseline; origins 2008 to the latest complete data year; leads
1-3) with ``--out docs/forecast_backtest.md``. Nothing in the document is typed by hand.

Run: ``.venv/bin/python scripts/forecast_backtest_doc.py`` (about 5-10 minutes on 2 busy cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "forecast_backtest.md"


def main() -> int:
    cli = str(Path(sys.executable).parent / "cultrade")
    with tempfile.TemporaryDirectory(prefix="cultrade-forecast-doc-") as home:
        env = {**os.environ, "CULTRADE_HOME": home}
        subprocess.run([cli, "init"], env=env, check=True)
        start = time.perf_counter()
        subprocess.run([cli, "forecast", "backtest", "--horizon", "1", "--horizon", "2", "--horizon", "3",
                        "--out", str(OUT)], env=env, check=True)
    print(f"wrote {OUT.relative_to(ROOT)} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
