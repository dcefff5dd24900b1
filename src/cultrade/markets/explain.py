"""Each market's place in a ranking, in words and numbers (the ``explanation`` column of a ranking).

>>> import pandas as pd
>>> row = pd.Series({"name": "Japan", "rank": 1, "opportunity": 12.5, "size": 5.1e12, "access": 1.8,
...                  "risk": 2.0, "band": "low", "adjusted": 10.0, "frontier": True})
>>> explain(row, "proxies", 150, risk_adjusted=False)
'#1 of 150, Japan: 12.50% of the gravity-weighted market (market $5.1tn, access x1.80 of the average market); \
risk 2.0/10 (low), shown beside the opportunity; on the opportunity-risk frontier.'
"""

from __future__ import annotations

import pandas as pd


def usd(v: float) -> str:
    """A dollar amount in words, "no data" for a missing value.

    >>> usd(2.5e9), usd(float("nan"))
    ('$2.5bn', 'no data')
    """
    if v != v:
        return "no data"
    for div, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(v) >= div:
            return f"{'-' if v < 0 else ''}${abs(v) / div:.1f}{unit}"
    return f"${v:.0f}"


def _has(row: pd.Series, key: str) -> bool:
    return key in row.index and bool(pd.notna(row[key]))


def explain(r: pd.Series, basis: str, n_ranked: int, risk_adjusted: bool) -> str:
    """The explanation of one row of a ranking ordered on ``basis`` (``proxies`` or a BACI basis)."""
    name = r["name"]
    if pd.isna(r["rank"]):
        return f"{name}: not ranked ({r['reason']})."
    if basis == "proxies":
        opp = (f"{r['opportunity']:.2f}% of the gravity-weighted market (market {usd(r['size'])}, access "
               f"x{r['access']:.2f} of the average market)")
    else:
        opp = f"untapped potential {usd(r['opportunity'])} (potential {usd(r['potential'])}, actual " \
              f"{usd(r['actual'])})"
    if risk_adjusted:
        adjusted = f"{r['adjusted']:.2f}%" if basis == "proxies" else usd(r["adjusted"])
        risk = f"risk {r['risk']:.1f}/10 ({r['band']}) -> risk-adjusted {adjusted}"
    else:
        risk = f"risk {r['risk']:.1f}/10 ({r['band']}), shown beside the opportunity"
    parts = [f"#{int(r['rank'])} of {n_ranked}, {name}: {opp}", risk]
    if basis == "proxies" and _has(r, "untapped"):
        parts.append(f"untapped potential {usd(r['untapped'])} (a column, not the order)")
    if _has(r, "internet") and _has(r, "gdp") and basis == "proxies":
        parts.append(f"internet users {r['internet']:.0f}% of the population")
    if r["frontier"]:
        parts.append("on the opportunity-risk frontier")
    if _has(r, "cultural_distance"):
        parts.append(f"cultural distance {r['cultural_distance']:.2f} (Kogut-Singh)")
    if _has(r, "common_language"):
        parts.append("common spoken language" if r["common_language"] else "no common spoken language")
    if _has(r, "barriers"):
        parts.append(f"digital and regulatory barriers {r['barriers']:.1f}/10")
    if _has(r, "relations"):
        parts.append(f"relations {r['relations']:.2f}")
    return "; ".join(parts) + "."


__all__ = ["explain", "usd"]
