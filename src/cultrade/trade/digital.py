"""Digital cultural exports as reported (online games, online literature...), audited, beside goods and services.

Games, online literature and streaming are what the sector now exports, and no goods classification
sees them: the only figures are those the industry and the press report. :func:`reported_digital`
returns that series for a country from the store's ``reported_figures`` (``cultrade init`` loads the
bundled China file; ``cultrade ingest reported FILE`` adds others), one row per published figure with its
source and unit, the product type it describes (from the product-type table,
:mod:`cultrade.classification.markets`), and what the statistics audit
(:func:`cultrade.trade.audit.audit_reported`) says about it: ``ok`` when every check it took part in
passed, ``inconsistent`` when one failed, ``unchecked`` when nothing could be checked against it (a single
figure per metric and year cannot contradict anything). Figures are never summed with goods: they are
revenues of a different kind (sales by enterprises, not customs values).
"""

from __future__ import annotations

import pandas as pd

from cultrade.classification.markets import market_domains
from cultrade.store import Store
from cultrade.trade.audit import audit_reported
from cultrade.trade.audit_report import INCONSISTENT, OK
from cultrade.trade.fx import annual_fx

COLUMNS = ["domain", "metric", "period", "flow", "value", "unit", "source", "audit", "audit_note"]


def digital_metrics() -> dict[str, str]:
    """Reported metric -> product type, from the product-type table."""
    return {d.reported_metric: d.domain for d in market_domains().values() if d.reported_metric}


def reported_digital(store: Store, iso3: str = "CHN") -> pd.DataFrame:
    """The reported digital export figures of ``iso3`` with their audit status (empty when none are loaded)."""
    if not store.has_table("reported_figures"):
        return pd.DataFrame(columns=COLUMNS)
    rows = store.con.execute(
        "SELECT row, metric, period, flow, value_text AS value, unit, source FROM reported_figures "
        "WHERE iso3 = ? ORDER BY metric, period, row", [iso3]).df()
    metrics = digital_metrics()
    if rows.empty or not rows["metric"].isin(list(metrics)).any():
        return pd.DataFrame(columns=COLUMNS)
    fx = annual_fx(store)
    report = audit_reported(rows.drop(columns="row").astype({"period": str}), fx=fx if not fx.empty else None)
    # The audit numbers a DataFrame's rows from 2 (as the CSV lines would be): map back to the stored rows.
    line = {2 + i: int(r) for i, r in enumerate(rows["row"])}
    status: dict[int, str] = {}
    notes: dict[int, list[str]] = {}
    for f in report.findings:
        for r in f.rows:
            stored = line[r]
            if f.status == INCONSISTENT or (status.get(stored) != INCONSISTENT and f.status == OK):
                status[stored] = f.status
            if f.status == INCONSISTENT:
                notes.setdefault(stored, []).append(f.describe())
    digital = rows[rows["metric"].isin(list(metrics))].copy()
    digital["domain"] = digital["metric"].map(metrics)
    digital["value"] = pd.to_numeric(digital["value"].str.replace(",", "", regex=False))
    digital["audit"] = [status.get(int(r), "unchecked") for r in digital["row"]]
    digital["audit_note"] = ["; ".join(notes.get(int(r), [])) for r in digital["row"]]
    return digital[COLUMNS].reset_index(drop=True)


__all__ = ["COLUMNS", "digital_metrics", "reported_digital"]
