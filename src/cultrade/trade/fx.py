"""Annual exchange rates from the store, for conversions and the audit.

Annual H.10 averages are used where the Fed publishes them; other years fall
back to the mean of that year's monthly rates (the Fed's own method), and a
year with fewer than 12 months is left out rather than guessed.

>>> import pandas as pd
>>> from cultrade.store import Store, Provenance
>>> s = Store(":memory:")
>>> months = pd.DataFrame({"currency": "CNY", "iso3": "CHN", "country": "China",
...     "date": pd.date_range("2019-01-01", periods=12, freq="MS"), "frequency": "monthly", "rate": 7.0})
>>> _ = s.write_frames("fred", {"fx_rates": months}, provenance=Provenance(source="fred", partition="monthly"))
>>> annual_fx(s).to_dict("records")
[{'currency': 'CNY', 'year': 2019, 'rate': 7.0, 'basis': 'monthly mean'}]
"""

from __future__ import annotations

import ibis
import pandas as pd

from cultrade.store import Store


def annual_fx(store: Store) -> pd.DataFrame:
    """currency, year, rate (local units per USD), basis; empty if no rates are loaded."""
    if not store.has_table("fx_rates"):
        return pd.DataFrame(columns=["currency", "year", "rate", "basis"])
    t = store.table("fx_rates")
    t = t.mutate(year=t.date.year().cast("int32"))
    annual = t.filter(t.frequency == "annual").group_by(["currency", "year"]).aggregate(rate=t.rate.mean())
    m = t.filter(t.frequency == "monthly")
    monthly = (m.group_by(["currency", "year"]).aggregate(rate=m.rate.mean(), months=m.date.nunique())
               .filter(lambda x: x.months == 12).drop("months"))
    missing = monthly.anti_join(annual, ["currency", "year"])
    out = annual.mutate(basis=ibis.literal("annual")).union(missing.mutate(basis=ibis.literal("monthly mean")))
    return out.order_by(["currency", "year"]).execute()


__all__ = ["annual_fx"]
