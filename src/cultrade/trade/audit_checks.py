"""The checks of the statistics audit; each returns a list of :class:`Finding`.

Every check compares every combination of figures it applies to, so that when
two sources report the same figure differently, each source's version is
checked and the findings say which sources are involved.

>>> from cultrade.trade.audit_table import Figure
>>> f = [Figure(2, "books", 2023, "total", 3.0, "USD bn", "A"),
...      Figure(3, "books", 2023, "exports", 2.0, "USD bn", "A"),
...      Figure(4, "books", 2023, "imports", 1.2, "USD bn", "A", decimals=1)]
>>> [(x.status, round(x.expected, 2), x.reported) for x in check_sums(f, Tolerance())]
[('inconsistent', 3.2, 3.0)]
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

from cultrade.trade.audit_report import INCONSISTENT, NOT_CHECKABLE, OK, Finding, Tolerance, within
from cultrade.trade.audit_table import LEVEL_FLOWS, MONEY_FLOWS, Figure

Key = tuple[str, int, str]  # metric, period, flow


def _levels(figures: Iterable[Figure]) -> dict[Key, list[Figure]]:
    out: dict[Key, list[Figure]] = defaultdict(list)
    for f in figures:
        if f.flow in LEVEL_FLOWS:
            out[(f.metric, f.period, f.flow)].append(f)
    return out


def _in(value: float, source: Figure, target: Figure) -> float:
    """``value`` (in the unit of ``source``) expressed in the unit of ``target`` (same currency)."""
    return value * source.scale / target.scale


def _num(value: float, decimals: int = 2) -> str:
    return f"{value:.{max(decimals, 2)}f}"


def _status(diff: float, tol: float) -> str:
    return OK if within(diff, tol) else INCONSISTENT


def _claim_key(c: Figure) -> tuple[object, ...]:
    return (c.metric, c.period, c.flow, c.level_flow, c.base_period, c.level_unit, c.of_metric or c.metric, c.of_flow)


def check_agreement(figures: list[Figure], tol: Tolerance) -> list[Finding]:
    """The same figure reported more than once: do the values agree?

    Levels agree when they have the same metric, period, flow and currency
    (or count unit); claims when they describe the same change or share. The
    two figures are given in table order; the second is the "reported" one.
    """
    groups: dict[tuple[object, ...], list[Figure]] = defaultdict(list)
    for f in figures:
        groups[(f.metric, f.period, f.flow, f.kind) if f.flow in LEVEL_FLOWS else _claim_key(f)].append(f)
    out = []
    for group in groups.values():
        for a, b in itertools.combinations(group, 2):
            expected = _in(a.value, a, b)
            rounding = _in(a.half_unit, a, b) + b.half_unit
            if b.flow in LEVEL_FLOWS:
                t = tol.level(expected=expected, rounding=rounding, scale=b.scale)
            else:
                t = tol.claim(rounding=rounding)
            diff = b.value - expected
            out.append(Finding(
                "agreement", _status(diff, t), b.metric, b.period, (a, b), expected, b.value, t, b.unit,
                f"{a.label()} ({a.source}) vs {b.label()} ({b.source})",
                "" if within(diff, t) else f"the sources disagree on {b.what}",
            ))
    return out


def check_sums(figures: list[Figure], tol: Tolerance) -> list[Finding]:
    """total = exports + imports and balance = exports − imports, for every combination of figures."""
    levels = _levels(figures)
    out = []
    for (metric, period, flow), reported_group in levels.items():
        if flow not in ("total", "balance"):
            continue
        sign = 1.0 if flow == "total" else -1.0
        exports = levels.get((metric, period, "exports"), [])
        imports = levels.get((metric, period, "imports"), [])
        for r, x, m in itertools.product(reported_group, exports, imports):
            if not r.kind == x.kind == m.kind:
                continue
            expected = _in(x.value, x, r) + sign * _in(m.value, m, r)
            rounding = _in(x.half_unit, x, r) + _in(m.half_unit, m, r) + r.half_unit
            t = tol.level(expected=expected, rounding=rounding, scale=r.scale)
            op = "+" if sign > 0 else "−"
            decimals = max(x.decimals, m.decimals)
            formula = f"{x.label()} {op} {m.label()} = {_num(expected, decimals)} vs {r.label()}"
            out.append(Finding(flow, _status(r.value - expected, t), metric, period, (r, x, m), expected,
                               r.value, t, r.unit, formula))
    return out


def _claim_levels(claim: Figure, levels: dict[Key, list[Figure]], metric: str, period: int,
                  flow: str) -> list[Figure]:
    found = levels.get((metric, period, flow), [])
    if claim.level_unit is not None:
        wanted = Figure(0, "", 0, "", 0.0, claim.level_unit, "").kind
        found = [f for f in found if f.kind == wanted]
    return found


def _missing(claim: Figure, what: list[str]) -> Finding:
    return Finding(claim.flow, NOT_CHECKABLE, claim.metric, claim.period, (claim,), reported=claim.value,
                   unit="%", formula=claim.label(),
                   note=f"not checkable: the table has no level for {' nor '.join(what)}"
                        + (f" in {claim.level_unit}" if claim.level_unit else ""))


def check_growth(figures: list[Figure], tol: Tolerance) -> list[Finding]:
    """Year-on-year growth and CAGR claims against the levels of the same metric and flow."""
    levels = _levels(figures)
    out: list[Finding] = []
    for c in figures:
        if c.flow not in ("growth", "cagr") or c.base_period is None:
            continue
        now = _claim_levels(c, levels, c.metric, c.period, c.level_flow)
        then = _claim_levels(c, levels, c.metric, c.base_period, c.level_flow)
        missing = [f"{c.metric} {c.level_flow} {y}" for y, got in ((c.base_period, then), (c.period, now))
                   if not got]
        pairs = [(a, b) for a, b in itertools.product(now, then) if a.kind == b.kind]
        if missing or not pairs:
            out.append(_missing(c, missing or [f"{c.metric} {c.level_flow} in one currency for both years"]))
            continue
        years = c.period - c.base_period
        for a, b in pairs:
            va, vb = a.value, _in(b.value, b, a)
            if vb == 0 or va / vb <= 0:
                note = "not checkable: a level is zero or the levels differ in sign"
                out.append(Finding(c.flow, NOT_CHECKABLE, c.metric, c.period, (c, a, b), reported=c.value, unit="%",
                                   formula=c.label(), note=note))
                continue
            n = years if c.flow == "cagr" else 1
            ratio = (va / vb) ** (1 / n)
            expected = (ratio - 1) * 100
            # d/da and d/db of 100 * ((a/b)^(1/n) - 1), times the rounding of a and b
            rounding = 100 * ratio / n * (a.half_unit / abs(va) + _in(b.half_unit, b, a) / abs(vb)) + c.half_unit
            t = tol.claim(rounding=rounding)
            power = f"^(1/{n})" if c.flow == "cagr" else ""
            formula = (f"({_num(va, a.decimals)} / {_num(vb, b.decimals)}){power} − 1 = {expected:.2f} % "
                       f"[{c.base_period}→{c.period}, {a.unit}] vs {c.label()}")
            out.append(Finding(c.flow, _status(c.value - expected, t), c.metric, c.period, (c, a, b), expected,
                               c.value, t, "%", formula))
    return out


def check_shares(figures: list[Figure], tol: Tolerance) -> list[Finding]:
    """Share claims against their part (metric, level_flow) and whole (of_metric, of_flow) in the same year."""
    levels = _levels(figures)
    out: list[Finding] = []
    for c in figures:
        if c.flow != "share":
            continue
        whole_metric = c.of_metric or c.metric
        parts = _claim_levels(c, levels, c.metric, c.period, c.level_flow)
        wholes = _claim_levels(c, levels, whole_metric, c.period, c.of_flow)
        missing = [label for label, got in ((f"{c.metric} {c.level_flow} {c.period}", parts),
                                            (f"{whole_metric} {c.of_flow} {c.period}", wholes)) if not got]
        pairs = [(p, w) for p, w in itertools.product(parts, wholes) if p.kind == w.kind]
        if missing or not pairs:
            out.append(_missing(c, missing or ["the part and the whole in one unit"]))
            continue
        for p, w in pairs:
            vp, vw = p.value, _in(w.value, w, p)
            if vw == 0:
                out.append(Finding("share", NOT_CHECKABLE, c.metric, c.period, (c, p, w), reported=c.value, unit="%",
                                   formula=c.label(), note="not checkable: the whole is zero"))
                continue
            expected = 100 * vp / vw
            rounding = 100 * (p.half_unit / abs(vw) + abs(vp) * _in(w.half_unit, w, p) / vw**2) + c.half_unit
            t = tol.claim(rounding=rounding)
            formula = (f"{p.label()} / {w.label()} ({w.metric}) = {expected:.2f} % vs {c.label()}")
            out.append(Finding("share", _status(c.value - expected, t), c.metric, c.period, (c, p, w), expected,
                               c.value, t, "%", formula))
    return out


def check_conversions(figures: list[Figure], tol: Tolerance, fx: dict[tuple[str, int], float] | None) -> list[Finding]:
    """A non-USD money figure against the same figure in another currency, at that year's rate.

    A non-USD figure with no counterpart in another currency is listed as not checkable.
    """
    out: list[Finding] = []
    levels = _levels(figures)
    for (metric, period, flow), group in levels.items():
        if flow not in MONEY_FLOWS:
            continue
        for r in group:
            if r.currency in (None, "USD"):
                continue
            # each pair once: the non-USD figure is the reported one; two non-USD figures: the later row
            others = [o for o in group if o.currency not in (None, r.currency)
                      and (o.currency == "USD" or o.row < r.row)]
            if not others and not any(o.currency not in (None, r.currency) for o in group):
                out.append(Finding("conversion", NOT_CHECKABLE, metric, period, (r,), reported=r.value, unit=r.unit,
                                   formula=r.label(),
                                   note=f"not checkable: no figure for {metric} {flow} {period} in another currency"))
            for o in others:
                out.append(_convert(r, o, fx, tol))
    return out


def _convert(r: Figure, o: Figure, fx: dict[tuple[str, int], float] | None, tol: Tolerance) -> Finding:
    assert r.currency is not None and o.currency is not None
    if fx is None:
        return Finding("conversion", NOT_CHECKABLE, r.metric, r.period, (r, o), reported=r.value, unit=r.unit,
                       formula=f"{o.label()} vs {r.label()}", note="not checkable: no exchange-rate table given (fx=)")
    rate_r, rate_o = fx.get((r.currency, r.period)), fx.get((o.currency, r.period))
    if rate_r is None or rate_o is None:
        lacking = r.currency if rate_r is None else o.currency
        return Finding("conversion", NOT_CHECKABLE, r.metric, r.period, (r, o), reported=r.value, unit=r.unit,
                       formula=f"{o.label()} vs {r.label()}",
                       note=f"not checkable: the FX table has no {lacking} rate for {r.period}")
    rate = rate_r / rate_o  # units of r's currency per unit of o's currency
    expected = o.value * o.scale * rate / r.scale
    rounding = o.half_unit * o.scale * rate / r.scale + r.half_unit
    t = tol.fx(expected=expected, rounding=rounding, scale=r.scale)
    formula = f"{o.label()} × {rate:.4f} {r.currency}/{o.currency} = {_num(expected)} {r.unit} vs {r.label()}"
    return Finding("conversion", _status(r.value - expected, t), r.metric, r.period, (r, o), expected, r.value, t,
                   r.unit, formula, note=f"rate: {r.period} annual average")


__all__ = ["check_agreement", "check_conversions", "check_growth", "check_shares", "check_sums"]
