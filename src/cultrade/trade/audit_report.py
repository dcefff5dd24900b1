"""What an audit returns: the tolerances it used, one :class:`Finding` per check, an :class:`AuditReport`.

>>> t = Tolerance()
>>> t.level(expected=100.0, rounding=0.015), t.level(expected=100.0, rounding=0.15)
(0.02, 0.15)
>>> Tolerance(absolute=0.0, relative=0.1, rounding=False).level(expected=200.0, rounding=0.15)
0.2
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cultrade.trade.audit_table import Figure

OK, INCONSISTENT, NOT_CHECKABLE = "ok", "inconsistent", "not_checkable"
CHECKS = ("agreement", "total", "balance", "growth", "cagr", "share", "conversion")


@dataclass(frozen=True)
class Tolerance:
    """How far a reported figure may be from the expected one and still count as consistent.

    The tolerance of a check is the largest of the terms that apply to it:

    * ``absolute`` (default 0.02): in billions of the currency for money figures
      (in the unit itself for counts); used by ``total``, ``balance``,
      ``agreement`` and ``conversion``. Published figures rounded to 2 decimals
      can be off by 0.005 each, so a sum of two compared with a third can be
      off by 0.015 through rounding alone; 0.02 covers that and nothing more.
    * ``relative`` (default 0 %): percent of the expected value, for the same
      level checks; raise it to accept revisions (e.g. 0.5).
    * ``points`` (default 0.1 percentage points): for ``growth``, ``cagr`` and
      ``share`` claims, usually published to one decimal (±0.05).
    * ``fx_relative`` (default 1 %): percent of the expected value for
      ``conversion``. The FX table holds annual averages of market rates,
      while publishers convert at official central parity, year-end or
      monthly rates, which differ by up to about 1 %.
    * ``rounding`` (default on): also allow the error that the rounding of the
      figures involved can cause, i.e. half a unit in the last digit printed
      (0.05 for 69.1, 0.005 for 69.10), propagated through the formula. This is
      what lets 69.1 + 55.2 = 124.3 agree with a published 124.4.
    """

    absolute: float = 0.02
    relative: float = 0.0
    points: float = 0.1
    fx_relative: float = 1.0
    rounding: bool = True

    def level(self, *, expected: float, rounding: float, scale: float = 1e9) -> float:
        """Tolerance for a money or count check, in the unit of the reported figure (``scale`` per unit)."""
        absolute = self.absolute * (1e9 / scale if scale > 1 else 1.0)
        return max(absolute, self.relative / 100 * abs(expected), rounding if self.rounding else 0.0)

    def claim(self, *, rounding: float) -> float:
        """Tolerance for a growth, CAGR or share claim, in percentage points."""
        return max(self.points, rounding if self.rounding else 0.0)

    def fx(self, *, expected: float, rounding: float, scale: float = 1e9) -> float:
        """Tolerance for a currency conversion, in the unit of the reported figure."""
        return max(self.level(expected=expected, rounding=rounding, scale=scale),
                   self.fx_relative / 100 * abs(expected))


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one combination of figures.

    ``figures`` holds the reported figure first, then those the expected value
    is computed from (for ``agreement``, the two figures in table order).

    ``difference`` is reported − expected; ``severity`` is ``info`` for ok and
    not-checkable findings, ``error`` when the figures of a single source
    contradict each other, ``warning`` when figures from different sources do
    (different vintages or definitions, or a typo: check the originals).
    """

    check: str
    status: str
    metric: str
    period: int
    figures: tuple[Figure, ...]
    expected: float | None = None
    reported: float | None = None
    tolerance: float | None = None
    unit: str = ""
    formula: str = ""
    note: str = ""

    @property
    def difference(self) -> float | None:
        if self.expected is None or self.reported is None:
            return None
        return round(self.reported - self.expected, 10) + 0.0  # no 1e-15 noise, no -0.0

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.source for f in self.figures))

    @property
    def rows(self) -> tuple[int, ...]:
        return tuple(f.row for f in self.figures)

    @property
    def severity(self) -> str:
        if self.status != INCONSISTENT:
            return "info"
        return "error" if len(self.sources) == 1 else "warning"

    def describe(self) -> str:
        """One line: status, check, what was compared, the numbers and the sources."""
        head = f"{self.status.upper():<13} {self.check:<10} {self.metric} {self.period}"
        if self.expected is None or self.reported is None:
            return f"{head}: {self.formula}{'; ' if self.formula else ''}{self.note}"
        diff = self.difference or 0.0
        tol = self.tolerance or 0.0
        sign = "<=" if abs(diff) <= tol + 1e-9 else ">"
        text = (f"{head}: {self.formula}; difference {diff:+.4g} {self.unit}, |difference| {sign} "
                f"tolerance {tol:.4g}; sources: {' | '.join(self.sources)}")
        return f"{text}; {self.note}" if self.note else text


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def within(difference: float, tolerance: float) -> bool:
    """Consistency test shared by the checks (with a hair of slack for binary floating point)."""
    return abs(difference) <= tolerance + 1e-9


@dataclass
class AuditReport:
    """Every finding of an audit, the figures no check could use, and the tolerance applied."""

    findings: list[Finding]
    figures: list[Figure]
    tolerance: Tolerance = field(default_factory=Tolerance)
    path: str = ""

    @property
    def ok(self) -> bool:
        """True when no finding is inconsistent (not-checkable findings do not count against it)."""
        return not self.inconsistent

    @property
    def inconsistent(self) -> list[Finding]:
        return [f for f in self.findings if f.status == INCONSISTENT]

    @property
    def not_checkable(self) -> list[Finding]:
        return [f for f in self.findings if f.status == NOT_CHECKABLE]

    @property
    def unchecked(self) -> list[Figure]:
        """Figures that took part in no check (nothing in the table to compare them with)."""
        used = {row for f in self.findings for row in f.rows}
        return [fig for fig in self.figures if fig.row not in used]

    def select(self, *, check: str | None = None, status: str | None = None, metric: str | None = None,
               period: int | None = None) -> list[Finding]:
        """The findings matching every criterion given."""
        return [f for f in self.findings
                if (check is None or f.check == check) and (status is None or f.status == status)
                and (metric is None or f.metric == metric) and (period is None or f.period == period)]

    def to_frame(self) -> pd.DataFrame:
        """One row per finding, ready for a notebook, a CSV or the API."""
        columns = ["check", "status", "severity", "metric", "period", "expected", "reported", "difference",
                   "tolerance", "unit", "rows", "sources", "formula", "note"]
        rows = [{
            "check": f.check, "status": f.status, "severity": f.severity, "metric": f.metric,
            "period": f.period, "expected": f.expected, "reported": f.reported, "difference": f.difference,
            "tolerance": f.tolerance, "unit": f.unit, "rows": ";".join(map(str, f.rows)),
            "sources": " | ".join(f.sources), "formula": f.formula, "note": f.note,
        } for f in self.findings]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.astype({c: "float64" for c in ("expected", "reported", "difference", "tolerance")})

    def summary(self) -> str:
        counts = {s: sum(f.status == s for f in self.findings) for s in (OK, INCONSISTENT, NOT_CHECKABLE)}
        where = f" of {self.path}" if self.path else ""
        return (f"Audit{where}: {_n(len(self.figures), 'figure')}, {_n(len(self.findings), 'check')}: {counts[OK]} ok, "
                f"{counts[INCONSISTENT]} inconsistent, {counts[NOT_CHECKABLE]} not checkable")

    def render(self, *, show_ok: bool = True) -> str:
        """A short text report: the summary, then inconsistent, not checkable and (optionally) ok findings."""
        lines = [self.summary()]
        order = (INCONSISTENT, NOT_CHECKABLE, OK) if show_ok else (INCONSISTENT, NOT_CHECKABLE)
        for status in order:
            lines += [f"  {f.describe()}" for f in self.findings if f.status == status]
        if self.unchecked:
            rows = ", ".join(str(f.row) for f in self.unchecked)
            lines.append(f"  {_n(len(self.unchecked), 'figure')} had nothing to be checked against (rows {rows})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


__all__ = ["CHECKS", "INCONSISTENT", "NOT_CHECKABLE", "OK", "AuditReport", "Finding", "Tolerance", "within"]
