"""Run the benchmarks: ``python -m benchmarks.run [--only ingest] [--rows N]`` (``make bench``).

Every ``benchmarks/bench_<name>.py`` module with ``run(rows, workdir) -> dict``
is a benchmark. Trade and ingest benchmarks use GENERATED BACI-shaped data (see
``benchmarks/generate.py``); the risk benchmark uses the real bundled open-data snapshot; each result says which. Results go to
``benchmarks/results/<name>-<timestamp>.json`` with the machine description.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.generate import FULL_YEAR_ROWS

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def machine() -> dict[str, Any]:
    import duckdb
    import pandas as pd
    import psutil

    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "duckdb": duckdb.__version__,
            "pandas": pd.__version__, "processor": platform.processor() or platform.machine()}


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description="Run cultrade benchmarks on GENERATED data.")
    parser.add_argument("--only", choices=available(), action="append", help="run just this benchmark")
    parser.add_argument("--rows", type=int, default=FULL_YEAR_ROWS, help="rows of the generated BACI year")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    written = []
    for name in args.only or available():
        module = importlib.import_module(f"benchmarks.bench_{name}")
        with tempfile.TemporaryDirectory(prefix=f"cultrade-bench-{name}-") as tmp:
            result = module.run(args.rows, Path(tmp))
        result = {"machine": machine(), "date": stamp, **result}
        out = RESULTS / f"{name}-{stamp}.json"
        out.write_text(json.dumps(result, indent=1, default=str) + "\n")
        print(json.dumps(result, indent=1, default=str))
        written.append(out)
    return written


if __name__ == "__main__":
    main()
