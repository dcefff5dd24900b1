"""Benchmark: classify and aggregate a GENERATED 11M-row BACI-shaped year.

The data are generated (benchmarks/generate.py), not real. The task: keep the
cultural HS6 codes (UNCTAD core, HS17), attach their domain and sum values to
year × exporter × partner × domain. Three implementations run on the same
machine in the same process, nine times each for the sub-0.1 s queries (best kept; pandas twice):

* ours: the Ibis expressions in ``cultrade.trade`` executed on the DuckDB store;
* raw SQL: the same query written by hand for DuckDB;
* pandas: a straightforward merge + groupby on the flows already in memory.

Loading is excluded for all three: each starts from the flows already in its engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from benchmarks.generate import cached
from cultrade.settings import Settings
from cultrade.sources import get_adapter
from cultrade.store import Store
from cultrade.trade.data import classified_flows, cultural_mapping
from cultrade.trade.metrics import aggregate

SQL = """
SELECT f.year, f.exporter, f.importer, m.domain, sum(f.value_kusd * 1000.0) AS value
FROM baci_flows AS f JOIN mapping AS m ON f.hs6 = m.hs6
GROUP BY ALL
"""


def _best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def run(rows: int, workdir: Path) -> dict[str, Any]:
    path = cached(rows)
    settings = Settings(home=workdir)
    store_path = workdir / "bench_trade.duckdb"
    if store_path.exists():
        store_path.unlink()
    with Store(store_path, settings=settings) as store:
        store.ingest(get_adapter("baci"), path)
        mapping = cultural_mapping("HS17", "unctad", role="core")
        con: duckdb.DuckDBPyConnection = store.con
        con.register("mapping", mapping)

        def ours() -> Any:
            return aggregate(classified_flows(store, "unctad", role="core")).to_pyarrow()

        def raw_sql() -> Any:
            return con.sql(SQL).to_arrow_table()

        t_ours, a = _best(ours, repeat=9)
        t_sql, b = _best(raw_sql, repeat=9)
        flows = con.execute("SELECT year, exporter, importer, hs6, value_kusd FROM baci_flows").df()

    def pandas_impl() -> pd.DataFrame:
        j = flows.merge(mapping[["hs6", "domain"]], on="hs6", how="inner")
        j["value"] = j["value_kusd"] * 1000.0
        return j.groupby(["year", "exporter", "importer", "domain"], as_index=False, observed=True)["value"].sum()

    t_pd, c = _best(pandas_impl, repeat=2)
    same = a.num_rows == b.num_rows == len(c)
    total = float(pd.Series(c["value"]).sum())
    return {
        "benchmark": "trade_classify_aggregate",
        "data": "GENERATED BACI-shaped year (not real data)",
        "rows": rows,
        "output_rows": a.num_rows,
        "outputs_agree": bool(same),
        "total_value_usd": total,
        "seconds": {"ours_ibis": t_ours, "duckdb_sql": t_sql, "pandas": t_pd},
        "ratios": {"ours_over_sql": t_ours / t_sql, "pandas_over_ours": t_pd / t_ours},
        "targets": {"ours_over_sql": "<= 1.2", "pandas_over_ours": ">= 3"},
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import tempfile

    print(json.dumps(run(1_000_000, Path(tempfile.mkdtemp())), indent=1))
