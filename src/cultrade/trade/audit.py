"""Audit figures about cultural trade quoted in news and think-tank articles.

Reported figures disagree: a total that is not exports + imports, two sources
giving two values for the same year, a growth rate the levels do not support,
a yuan figure that is not the dollar figure at that year's rate.
:func:`audit_reported` checks a table of such figures against itself and lists
every check, passed or not, with the figures, sources, expected and reported
values, the difference and the tolerance used.

Table layout
------------
A CSV (UTF-8, header first) or a DataFrame, one reported figure per row.
Required columns, as in ``reported/china_cultural_trade_reported.csv``:

=========== ===============================================================
metric      what is measured, e.g. ``cultural_products_trade``
period      a calendar year, e.g. ``2023`` (half-years are not supported)
flow        a level: ``total``, ``exports``, ``imports``, ``balance``
            (exports − imports), ``count``; or a claim: ``growth`` (% change
            on ``base_period``), ``cagr`` (% per year from ``base_period`` to
            ``period``), ``share`` (% of a whole)
value       the number as published (``1,400`` and ``148.40`` are fine; the
            decimals printed set the rounding allowance, so in a DataFrame
            give values as text to keep trailing zeros)
unit        ``USD bn``, ``USD m``, ``CNY bn``, ``CNY m`` (also EUR, GBP, JPY,
            HKD, KRW) for money flows; ``enterprises`` or ``count`` for
            counts; ``%`` for claims
source      who published it (article, outlet, date)
=========== ===============================================================

Optional columns (leave a cell empty when it does not apply; other extra
columns such as ``note`` or ``url`` are ignored):

=========== ===============================================================
base_period growth: the year compared with (default ``period`` − 1);
            cagr: the first year (required)
level_flow  growth, cagr, share: the level flow the claim is about
            (default ``total``); for a share, the part
level_unit  growth, cagr, share: use only levels in this currency (a growth
            in CNY differs from one in USD); default: every currency, each
            checked separately
of_metric   share: the metric of the whole (default: the row's metric)
of_flow     share: the flow of the whole (default ``total``)
=========== ===============================================================

Unit conversions need no extra column: the same metric, period and flow
quoted in ``CNY bn`` and ``USD bn`` are checked against the ``fx`` table.

Checks
------
``agreement`` same figure from several rows; ``total`` total = exports +
imports and ``balance`` balance = exports − imports, for every combination of
the figures available (so each source's version is checked); ``growth``,
``cagr``, ``share`` claims against levels; ``conversion`` non-USD figures at
the year's exchange rate. Defaults of :class:`Tolerance` are documented there:
0.02 bn for levels, 0.1 percentage points for claims, 1 % for conversions,
each widened by the rounding of the published figures.

>>> import pandas as pd
>>> table = pd.DataFrame({
...     "metric": ["books"] * 4, "period": ["2023", "2023", "2023", "2022"],
...     "flow": ["total", "exports", "imports", "total"],
...     "value": ["3.00", "2.00", "1.20", "2.50"], "unit": ["USD bn"] * 4,
...     "source": ["Invented example"] * 4})
>>> report = audit_reported(table)
>>> print(report.render(show_ok=False))  # doctest: +NORMALIZE_WHITESPACE
Audit: 4 figures, 1 check: 0 ok, 1 inconsistent, 0 not checkable
  INCONSISTENT  total      books 2023: exports 2.00 USD bn [row 3] + imports 1.20 USD bn [row 4] = 3.20 vs
  total 3.00 USD bn [row 2]; difference -0.2 USD bn, |difference| > tolerance 0.02; sources: Invented example
  1 figure had nothing to be checked against (rows 5)
>>> report.to_frame()[["check", "status", "severity", "expected", "reported"]].round(2)
   check        status severity  expected  reported
0  total  inconsistent    error       3.2       3.0
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.trade.audit_checks import (
    check_agreement,
    check_conversions,
    check_growth,
    check_shares,
    check_sums,
)
from cultrade.trade.audit_report import CHECKS, AuditReport, Finding, Tolerance
from cultrade.trade.audit_table import Figure, figures, load_fx, load_reported


def audit_reported(
    table: str | Path | pd.DataFrame,
    fx: pd.DataFrame | None = None,
    tolerance: Tolerance | float | None = None,
) -> AuditReport:
    """Check a table of reported figures for internal consistency.

    ``table`` is a CSV path or a DataFrame in the layout above. ``fx`` is an
    exchange-rate table (columns ``currency`` (ISO 4217), ``year``, ``rate`` =
    local currency units per USD, annual average); without it conversions are
    listed as not checkable. ``tolerance`` is a :class:`Tolerance`, or a number
    taken as its ``absolute`` part (billions). Raises
    :class:`~cultrade.errors.SourceFormatError` for a malformed table.
    """
    tol = tolerance if isinstance(tolerance, Tolerance) else (
        Tolerance() if tolerance is None else Tolerance(absolute=float(tolerance)))
    frame = load_reported(table)
    figs = figures(frame)
    rates = load_fx(fx) if fx is not None else None
    findings: list[Finding] = [
        *check_agreement(figs, tol),
        *check_sums(figs, tol),
        *check_growth(figs, tol),
        *check_shares(figs, tol),
        *check_conversions(figs, tol, rates),
    ]
    order = {name: i for i, name in enumerate(CHECKS)}
    findings.sort(key=lambda f: (f.metric, f.period, order[f.check], f.rows))
    path = "" if isinstance(table, pd.DataFrame) else Path(table).name
    return AuditReport(findings=findings, figures=figs, tolerance=tol, path=path)


__all__ = ["AuditReport", "Figure", "Finding", "Tolerance", "audit_reported", "load_fx", "load_reported"]
