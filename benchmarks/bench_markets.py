"""Benchmarks of the market-opportunity library (issue 12), each as a ratio against a baseline run alongside.

* **potential**: export potential of every exporter in every market and cultural HS6 product on the
  GENERATED 11M-row BACI-shaped year (benchmarks/generate.py; not real data). Ours: the Ibis expression
  :func:`cultrade.markets.potential.export_potential` on the DuckDB store; baseline: the same formula written
  by hand in DuckDB SQL. Both start from the loaded flows and the same ease and growth tables (ease is
  computed once by gravity and excluded; growth factors are GENERATED), and both reduce the result to the
  untapped potential per exporter, so that moving 10M+ rows to Python does not dominate. Target <= 1.5.
* **rank**: ``rank_markets(store, "CHN", "games")`` on the real bundled snapshot, from a fresh store (no memo;
  interpreter warm). Target: under 2 s; the ratio is against the risk index it calls (``risk_scores``).
* **ppml**: the AGTPA guide's PPML through :func:`cultrade.markets.gravity` (store read, frame, checks, fit)
  against calling ``pyfixest.fepois`` directly on the prepared data frame. Target <= 1.5.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.bench_trade import _best
from benchmarks.generate import cached
from cultrade.settings import Settings
from cultrade.sources import get_adapter
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store

POTENTIAL_SQL = """
WITH flows AS (
  SELECT f.exporter, f.importer, f.hs6 AS product, sum(f.value_kusd * 1000.0) AS value
  FROM baci_flows f WHERE f.year = 2022 AND list_contains($codes, f.hs6) GROUP BY ALL),
x AS (SELECT exporter, product, sum(value) AS x_ik FROM flows GROUP BY ALL),
w AS (SELECT product, sum(x_ik) AS x_k FROM x GROUP BY ALL),
s AS (SELECT x.exporter, x.product, x.x_ik / w.x_k AS supply FROM x JOIN w USING (product)),
m AS (SELECT importer, product, sum(value) AS imports FROM flows GROUP BY ALL),
d AS (SELECT m.importer, m.product, m.imports * coalesce(g.growth_factor, 1.0) AS demand
      FROM m LEFT JOIN bench_growth g ON m.importer = g.iso3),
p AS (SELECT s.exporter, d.importer, s.product, s.supply * d.demand * e.ease AS raw, d.demand
      FROM s JOIN d ON s.product = d.product LEFT JOIN bench_ease e ON s.exporter = e.exporter AND d.importer = e.importer
      WHERE s.exporter <> d.importer),
q AS (SELECT p.exporter, CASE WHEN raw IS NULL THEN NULL ELSE least(raw, demand) END AS potential,
             coalesce(a.value, 0.0) AS actual
      FROM p LEFT JOIN flows a ON p.exporter = a.exporter AND p.importer = a.importer AND p.product = a.product)
SELECT exporter, sum(CASE WHEN potential IS NULL THEN NULL ELSE greatest(potential - actual, 0.0) END) AS untapped
FROM q GROUP BY ALL
"""


def _potential(rows: int, workdir: Path) -> dict[str, Any]:
    from cultrade.markets.potential import export_potential, product_flows
    from cultrade.trade.data import cultural_mapping

    settings = Settings(home=workdir)
    with Store(workdir / "bench_markets.duckdb", settings=settings) as store:
        store.ingest(get_adapter("baci"), cached(rows))
        store.con.execute("SET enable_progress_bar = false")
        pairs = store.con.execute("SELECT DISTINCT exporter, importer FROM baci_flows").df()
        rng = np.random.default_rng(12)
        # GENERATED ease (a gravity fit on generated flows would measure nothing real) and growth factors
        ease = pairs.assign(ease=rng.lognormal(0.0, 0.5, len(pairs)))
        countries = sorted(set(pairs["exporter"]) | set(pairs["importer"]))
        growth = pd.DataFrame({"iso3": countries[::2], "growth_factor": rng.uniform(1.0, 1.4, len(countries[::2]))})
        e = store.register_frame("bench_ease", ease)
        g = store.register_frame("bench_growth", growth)
        codes = sorted(cultural_mapping("HS17", "unctad", role="core")["hs6"])

        def ours() -> Any:
            expr = export_potential(product_flows(store, 2022, "hs6"), e, g)
            return expr.group_by("exporter").aggregate(untapped=expr.untapped.sum()).to_pyarrow()

        def raw_sql() -> Any:
            return store.con.sql(POTENTIAL_SQL, params={"codes": codes}).to_arrow_table()

        t_ours, a = _best(ours)
        t_sql, b = _best(raw_sql)
        left = a.to_pandas().set_index("exporter")["untapped"].sort_index()
        right = b.to_pandas().set_index("exporter")["untapped"].sort_index()
        agree = bool(np.allclose(left.to_numpy(), right.reindex(left.index).to_numpy(), rtol=1e-9, equal_nan=True))
    return {"rows": rows, "data": "GENERATED BACI-shaped year (not real data); ease and growth GENERATED",
            "products": len(codes), "exporters": len(left), "outputs_agree": agree,
            "seconds": {"ours_ibis": t_ours, "duckdb_sql": t_sql}, "ratio_ours_over_sql": t_ours / t_sql,
            "target": "<= 1.5"}


def _rank_and_ppml() -> dict[str, Any]:
    import pyfixest as pf

    from cultrade.markets import gravity, rank_markets
    from cultrade.markets.data import AGTPA_REFERENCE, AGTPA_REFERENCE_YEARS, agtpa_frame
    from cultrade.markets.gravity import _with_fe
    from cultrade.risk import risk_scores

    out: dict[str, Any] = {}
    with Store(":memory:") as template:
        load_snapshot(template)
        rank_markets(template, "CHN", "games")  # warm imports and caches of libraries, not of this store

        def fresh() -> Store:
            s = Store(":memory:")
            load_snapshot(s)
            return s

        times_rank, times_risk = [], []
        for _ in range(3):
            s = fresh()
            start = time.perf_counter()
            rank_markets(s, "CHN", "games")
            times_rank.append(time.perf_counter() - start)
            s.close()
            s = fresh()
            start = time.perf_counter()
            risk_scores(s, "CHN", "games")
            times_risk.append(time.perf_counter() - start)
            s.close()
        out["rank"] = {"data": "real bundled snapshot", "seconds": {"rank_markets": min(times_rank),
                                                                    "risk_scores_alone": min(times_risk)},
                       "ratio_rank_over_risk": min(times_rank) / min(times_risk), "target": "rank < 2 s"}
        frame = _with_fe(agtpa_frame(template, AGTPA_REFERENCE_YEARS))
        formula = f"value ~ {' + '.join(AGTPA_REFERENCE)} | exp_year + imp_year"

        def direct() -> Any:
            return pf.fepois(formula, data=frame, vcov={"CRV1": "pair"})

        def ours() -> Any:
            return gravity(template, "agtpa")

        t_direct, fit = _best(direct)
        t_ours, res = _best(ours)
        agree = bool(np.allclose(fit.coef().to_numpy(), res.coefficients["estimate"].to_numpy(), atol=1e-9))
        out["ppml"] = {"data": "real AGTPA (bundled)", "seconds": {"ours_gravity": t_ours, "pyfixest_direct": t_direct},
                       "ratio_ours_over_pyfixest": t_ours / t_direct, "coefficients_agree": agree,
                       "target": "<= 1.5"}
    return out


def run(rows: int, workdir: Path) -> dict[str, Any]:
    import os

    result: dict[str, Any] = {"benchmark": "markets", "loadavg_start": os.getloadavg()}
    result.update(_rank_and_ppml())
    result["potential"] = _potential(rows, workdir)
    result["loadavg_end"] = os.getloadavg()
    return result


if __name__ == "__main__":  # pragma: no cover
    import json
    import tempfile

    print(json.dumps(run(1_000_000, Path(tempfile.mkdtemp())), indent=1, default=str))
