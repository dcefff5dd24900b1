"""Cultural trade metrics as Ibis expressions: the same code runs on DuckDB or PySpark.

The input is a table of flows with the standard columns ``year, exporter,
importer, hs6, value`` (value in USD; ``importer`` may be NULL for data
without partners, such as OTS exports by HS4 or services). Classifying joins
a mapping ``hs6 -> domain, digital``; everything downstream groups by domain.

>>> import ibis, pandas as pd
>>> flows = ibis.memtable(pd.DataFrame({
...     "year": [2020, 2020, 2021, 2021], "exporter": ["CHN", "CHN", "CHN", "USA"],
...     "importer": ["USA", "JPN", "USA", "CHN"], "hs6": ["490199", "490199", "490199", "970110"],
...     "value": [60.0, 40.0, 90.0, 10.0]}))
>>> mapping = ibis.memtable(pd.DataFrame({"hs6": ["490199", "970110"], "domain": ["D", "C"],
...     "digital": [False, False]}))
>>> agg = aggregate(classify(flows, mapping))
>>> b = balance(agg).execute().sort_values(["iso3", "year", "domain"])
>>> b[b.iso3 == "CHN"][["year", "domain", "exports", "imports", "balance"]].values.tolist()
[[2020, 'D', 100.0, 0.0, 100.0], [2021, 'C', 0.0, 10.0, -10.0], [2021, 'D', 90.0, 0.0, 90.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import ibis.expr.types as ir

from cultrade.errors import ConfigError

Flow = Literal["exports", "imports"]
FLOW_COLUMNS = ("year", "exporter", "importer", "hs6", "value")


def _require(table: ir.Table, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConfigError(f"{what} lacks columns {missing}; it has {list(table.columns)}",
                          hint=f"provide a table with {', '.join(columns)}")


def classify(flows: ir.Table, mapping: ir.Table) -> ir.Table:
    """Keep cultural flows and attach their domain and digital flag (inner join on hs6).

    A code mapped to several domains contributes to each; pass a mapping for one
    scheme (UNESCO FCS or UNCTAD) with one row per (hs6, domain), so that domain
    totals do not double count. The mapping is joined as given (no DISTINCT): an
    aggregate on the small side would stop the engine from joining the mapping to
    the product lookup first, which is what keeps an 11 M-row join on integers.
    """
    _require(flows, FLOW_COLUMNS, "the flows table")
    _require(mapping, ("hs6", "domain", "digital"), "the classification mapping")
    m = mapping.select("hs6", "domain", "digital")
    joined = flows.join(m, flows.hs6 == m.hs6)
    return joined.select(
        joined.year, joined.exporter, joined.importer, joined.domain, joined.digital, joined.value
    )


def aggregate(classified: ir.Table, by: Sequence[str] = ("year", "exporter", "importer", "domain")) -> ir.Table:
    """Sum values to country × partner × domain × year (the core reduction)."""
    return classified.group_by(list(by)).aggregate(value=classified.value.sum())


def balance(agg: ir.Table) -> ir.Table:
    """Exports, imports, total and balance per year × iso3 × domain."""
    ex = agg.group_by(["year", "exporter", "domain"]).aggregate(exports=agg.value.sum()).rename(iso3="exporter")
    im = (agg.filter(agg.importer.notnull()).group_by(["year", "importer", "domain"])
          .aggregate(imports=agg.value.sum()).rename(iso3="importer"))
    j = ex.outer_join(im, ["year", "iso3", "domain"])
    out = j.select(
        year=ibis.coalesce(j.year, j.year_right),
        iso3=ibis.coalesce(j.iso3, j.iso3_right),
        domain=ibis.coalesce(j.domain, j.domain_right),
        exports=j.exports.fill_null(0.0),
        imports=j.imports.fill_null(0.0),
    )
    return out.mutate(total=out.exports + out.imports, balance=out.exports - out.imports)


def growth(table: ir.Table, value: str, keys: Sequence[str]) -> ir.Table:
    """Year-on-year growth of ``value`` within ``keys``; NULL where the previous year is missing.

    Joins on ``year - 1`` rather than lagging, so a gap year never fakes a growth rate.
    """
    keys = list(keys)
    prev = table.select(*keys, year=table.year + 1, _prev=table[value])
    j = table.left_join(prev, [*keys, "year"])
    j = j.select(*table.columns, _prev=j._prev)
    return j.mutate(yoy=ibis.ifelse(j._prev > 0, j[value] / j._prev - 1.0, ibis.null())).drop("_prev")


def cagr(table: ir.Table, value: str, keys: Sequence[str], start: int, end: int) -> ir.Table:
    """Compound annual growth of ``value`` between ``start`` and ``end`` within ``keys``."""
    if end <= start:
        raise ConfigError(f"CAGR needs end > start (got {start}..{end})", hint="swap or widen the span")
    keys = list(keys)
    a = table.filter(table.year == start).select(*keys, v0=table[value])
    b = table.filter(table.year == end).select(*keys, v1=table[value])
    j = a.join(b, keys)
    span = float(end - start)
    return j.select(*keys, start=ibis.literal(start), end=ibis.literal(end), v0=j.v0, v1=j.v1,
                    cagr=ibis.ifelse((j.v0 > 0) & (j.v1 >= 0), (j.v1 / j.v0).pow(1.0 / span) - 1.0, ibis.null()))


def world_share(agg: ir.Table) -> ir.Table:
    """Each exporter's share of world exports per domain × year."""
    ex = agg.group_by(["year", "exporter", "domain"]).aggregate(exports=agg.value.sum())
    w = ibis.window(group_by=[ex.year, ex.domain])
    world = ex.exports.sum().over(w)
    return ex.rename(iso3="exporter").mutate(world_exports=world, share=ex.exports / world)


def partner_shares(agg: ir.Table, flow: Flow = "exports") -> ir.Table:
    """Each partner's share of a country's exports (or imports) per domain × year, ranked."""
    own, other = ("exporter", "importer") if flow == "exports" else ("importer", "exporter")
    t = agg.filter(agg.importer.notnull())
    by = t.group_by(["year", own, other, "domain"]).aggregate(value=t.value.sum())
    by = by.rename(iso3=own, partner=other)
    w = ibis.window(group_by=[by.year, by.iso3, by.domain])
    ranked = ibis.window(group_by=[by.year, by.iso3, by.domain], order_by=[ibis.desc(by.value), by.partner])
    return by.mutate(share=by.value / by.value.sum().over(w), rank=ibis.row_number().over(ranked) + 1)


def concentration(agg: ir.Table, flow: Flow = "exports", top_n: int = 3) -> ir.Table:
    """Herfindahl–Hirschman index (0–1) and top-N partner share per iso3 × domain × year."""
    if top_n < 1:
        raise ConfigError(f"top_n must be at least 1 (got {top_n})", hint="use e.g. --top 3")
    s = partner_shares(agg, flow)
    return s.group_by(["year", "iso3", "domain"]).aggregate(
        hhi=(s.share * s.share).sum(),
        top_n_share=s.share.sum(where=s["rank"] <= top_n),
        partners=s.partner.count(),
        value=s.value.sum(),
    ).mutate(top_n=ibis.literal(top_n))


def dependence(agg: ir.Table, partners: Sequence[str], flow: Flow = "exports") -> ir.Table:
    """Share of a country's trade going to a set of partners (e.g. USA + EU + JPN) per domain × year."""
    s = partner_shares(agg, flow)
    chosen = s.filter(s.partner.isin(list(partners)))
    return chosen.group_by(["year", "iso3", "domain"]).aggregate(share=chosen.share.sum(), value=chosen.value.sum())


def trend(table: ir.Table, value: str, keys: Sequence[str]) -> ir.Table:
    """OLS slope of ``value`` on year within ``keys`` (units per year), with the years it rests on."""
    keys = list(keys)
    t = table.filter(table[value].notnull())
    g = t.group_by(keys).aggregate(
        n=t.year.count(), sx=t.year.cast("float64").sum(), sy=t[value].sum(),
        sxx=(t.year.cast("float64") * t.year).sum(), sxy=(t.year.cast("float64") * t[value]).sum(),
        first_year=t.year.min(), last_year=t.year.max(),
    )
    denom = g.n * g.sxx - g.sx * g.sx
    return g.select(*keys, "first_year", "last_year", years="n",
                    slope=ibis.ifelse(denom != 0, (g.n * g.sxy - g.sx * g.sy) / denom, ibis.null()))


def rca(exports: ir.Table, value: str = "exports", country: str = "iso3", product: str = "domain") -> ir.Table:
    """Balassa revealed comparative advantage: (X_cp / X_c) / (X_wp / X_w) per year.

    ``exports`` holds one row per year × country × product; RCA > 1 means the
    country is relatively specialised in that product.
    """
    t = exports
    x_c = t[value].sum().over(ibis.window(group_by=[t.year, t[country]]))
    x_p = t[value].sum().over(ibis.window(group_by=[t.year, t[product]]))
    x_w = t[value].sum().over(ibis.window(group_by=[t.year]))
    return t.mutate(rca=ibis.ifelse((x_c > 0) & (x_p > 0), (t[value] / x_c) / (x_p / x_w), ibis.null()))


def group_growth(bal: ir.Table, groups: ir.Table, value: str = "exports") -> ir.Table:
    """Trade with each country group (region, ASEAN, GCC, EU...) per domain × year, with growth.

    ``groups`` has columns ``group`` and ``iso3``; a country may sit in several groups.
    """
    _require(groups, ("group", "iso3"), "the groups table")
    j = bal.join(groups, "iso3")
    by = j.group_by(["group", "year", "domain"]).aggregate(value=j[value].sum(), members=j.iso3.nunique())
    return growth(by, "value", ["group", "domain"])


def partner_group_growth(agg: ir.Table, groups: ir.Table, flow: Flow = "exports") -> ir.Table:
    """Each country's trade with each partner group per domain × year: value, share and growth.

    Answers "how fast do our exports to ASEAN grow?"; a partner in several groups counts in each.
    """
    _require(groups, ("group", "iso3"), "the groups table")
    own, other = ("exporter", "importer") if flow == "exports" else ("importer", "exporter")
    t = agg.filter(agg.importer.notnull())
    total = t.group_by(["year", own, "domain"]).aggregate(_total=t.value.sum())
    j = t.join(groups, t[other] == groups.iso3)
    by = j.group_by(["year", own, "group", "domain"]).aggregate(value=j.value.sum(), partners=j[other].nunique())
    by = by.join(total, ["year", own, "domain"])
    by = by.select("year", "group", "domain", "value", "partners", iso3=by[own], share=by.value / by._total)
    return growth(by, "value", ["iso3", "group", "domain"])


def digital_split(classified: ir.Table, flow: Flow = "exports") -> ir.Table:
    """Digital versus traditional goods per country × year: values and the digital share."""
    own = "exporter" if flow == "exports" else "importer"
    t = classified.filter(classified[own].notnull())
    g = t.group_by(["year", own]).aggregate(
        digital=t.value.sum(where=t.digital), traditional=t.value.sum(where=~t.digital))
    g = g.mutate(digital=g.digital.fill_null(0.0), traditional=g.traditional.fill_null(0.0)).rename(iso3=own)
    return g.mutate(digital_share=g.digital / (g.digital + g.traditional))


__all__ = [
    "FLOW_COLUMNS", "aggregate", "balance", "cagr", "classify", "concentration", "dependence",
    "digital_split", "group_growth", "growth", "partner_group_growth", "partner_shares", "rca", "trend",
    "world_share",
]
