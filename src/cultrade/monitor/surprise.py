"""The ``surprise`` condition on stream panels: the counts of the last hours against each key's baseline share.

For every metric of a rule (a family: e.g. assault, fight, aerial-strike and mass-violence articles) and every
window (the last 1 and 3 clock hours, the current one so far included), the count of each key is tested with
:func:`cultrade.monitor.detect.surprise` against its :class:`Baseline`: its count and the stream's articles over
the ``baseline`` span before the window, and the pooled dispersion of the metric. A key *enters* on the highest
surprise among the tests whose count reaches ``min_value`` and *holds* on the highest of all; the test that
explains it (the metric, the window, the count, the usual range) becomes the alert's ``why``. Severity is the
rule's, or critical when every criterion of ``rule.critical`` holds (magnitude, articles, event types,
mentions).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from cultrade.monitor import detect
from cultrade.monitor.conditions import BUCKET, OPS, Reading
from cultrade.monitor.panels import StreamData
from cultrade.monitor.rules import Rule, severity_rank
from cultrade.monitor.signals import event_type


@dataclass(frozen=True)
class Baseline:
    """A key's counts over a baseline window (``counts``, one per key; keys added later counted 0), the
    stream's articles over it (``exposure``), the pooled dispersion 1/k₀ and the hours it covers."""

    counts: np.ndarray
    exposure: float
    inv_k: float
    covered: timedelta


def window_totals(data: StreamData, source: str, g: str, metric: str, start: datetime, end: datetime
                  ) -> tuple[np.ndarray, float, int]:
    """Over the covered buckets with start <= time < end whose exposure is known: the metric's count per key,
    the stream's articles, and how many buckets."""
    covered = data.covered.get(g, [])
    times = covered[bisect_left(covered, start): bisect_left(covered, end)]
    exposure = data.exposure_of(g, times)
    known = ~np.isnan(exposure)
    width = max(data.width(source), 1)
    counts = np.zeros(width)
    if not known.any():
        return counts, 0.0, 0
    btimes, bvals = data.buckets((source, g, metric, "value")).window(start, end - timedelta(microseconds=1))
    if len(btimes):
        use = {t for t, k in zip(times, known, strict=True) if k}
        rows = np.fromiter((t in use for t in btimes), dtype=bool, count=len(btimes))
        vals = bvals[rows][:, :width]
        counts[: vals.shape[1]] = np.nansum(vals, axis=0)
    return counts, float(exposure[known].sum()), int(known.sum())


def baseline_dispersion(data: StreamData, source: str, g: str, metric: str, start: datetime, end: datetime
                        ) -> float:
    """The pooled 1/k₀ of a metric over start <= time < end (:func:`cultrade.monitor.detect.dispersion`,
    computed on the keys with volume only)."""
    counts, total, n = window_totals(data, source, g, metric, start, end)
    busy = np.flatnonzero(counts / max(n, 1) >= detect.DISPERSION_MIN_MEAN)  # mean per bucket
    if not len(busy) or total <= 0:
        return detect.DEFAULT_INV_K
    covered = data.covered.get(g, [])
    times = covered[bisect_left(covered, start): bisect_left(covered, end)]
    exposure = data.exposure_of(g, times)
    known = ~np.isnan(exposure)
    pos = {t: i for i, t in enumerate(t for t, k in zip(times, known, strict=True) if k)}
    mat = np.zeros((len(pos), len(busy)))
    btimes, bvals = data.buckets((source, g, metric, "value")).window(start, end - timedelta(microseconds=1))
    for t, row in zip(btimes, bvals, strict=True):
        if t in pos:
            mat[pos[t]] = np.nan_to_num(row[busy])
    return detect.dispersion(mat, exposure[known], share=counts[busy] / total)


def baseline_stats(data: StreamData, source: str, g: str, metric: str, start: datetime, end: datetime) -> Baseline:
    """:class:`Baseline` of a metric over the covered buckets with start <= time < end whose exposure is known."""
    counts, total, n = window_totals(data, source, g, metric, start, end)
    return Baseline(counts, total, baseline_dispersion(data, source, g, metric, start, end) if total > 0
                    else detect.DEFAULT_INV_K, n * BUCKET[g])


def _counts(data: StreamData, source: str, g: str, metric: str, since: datetime, until: datetime,
            width: int) -> np.ndarray:
    """The metric's counts summed over the buckets with since <= time <= until (no row: 0), one per key."""
    _, vals = data.buckets((source, g, metric, "value")).window(since, until)
    out = np.zeros(width)
    if len(vals):
        out[: min(width, vals.shape[1])] = np.nansum(vals, axis=0)[:width]
    return out


BaselineOf = Callable[[str, datetime], Baseline]


def surprise_reading(data: StreamData, rule: Rule, head: datetime, stale: bool, source: str, alerted: np.ndarray,
              baseline: BaselineOf) -> Reading:
    cond, g = rule.condition, rule.series.granularity
    bucket = BUCKET[g]
    metrics, windows = rule.series.metrics, cond.windows
    tests = len(metrics) * len(windows)
    covered = data.covered.get(g, [])
    width = max(data.width(source), 1)
    alerted = np.resize(alerted, width) if len(alerted) != width else alerted
    floor = max(cond.min_value or 1.0, 1.0)  # a key with fewer counts than this cannot enter: skip it
    best = np.full(width, -np.inf)           # max surprise over every (metric, window): hold
    best_in = np.full(width, -np.inf)        # the same over those passing min_value: enter
    pick = np.full(width, -1)                # which test explains the key (an entering one first)
    per_metric = np.full((len(metrics), width), -np.inf)
    tested: list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for mi, m in enumerate(metrics):
        for w in windows:
            w_start = head - w.timedelta + bucket
            times = covered[bisect_left(covered, w_start): bisect_right(covered, head)]
            n = data.exposure_of(g, times)
            if not times or np.isnan(n).any() or n.sum() <= 0:
                continue
            base = baseline(m, w_start)
            if base.covered < cond.min_baseline.timedelta or base.exposure <= 0:
                continue
            x = _counts(data, source, g, m, w_start, head, width)
            cand = np.flatnonzero((x >= floor) | alerted)
            if not len(cand):
                continue
            X = np.zeros(len(cand))
            inside = cand < len(base.counts)
            X[inside] = base.counts[cand[inside]]
            mu = detect.expected(X, base.exposure, float(n.sum()))
            ik = detect.inverse_size(X, base.inv_k)
            sv = detect.surprise(x[cand], mu, ik, tests=tests)
            t = len(tested)
            tested.append((m, int(w.timedelta / timedelta(hours=1)), cand, x[cand], mu, ik))
            per_metric[mi, cand] = np.maximum(per_metric[mi, cand], sv)
            up = sv > best[cand]
            best[cand[up]] = sv[up]
            pick[cand[up & (best_in[cand] == -np.inf)]] = t
            ok = (x[cand] >= (cond.min_value or 0.0)) & (sv > best_in[cand])
            best_in[cand[ok]] = sv[ok]
            pick[cand[ok]] = t
    level = float(cond.value or 0.0)
    exit_level = float(cond.exit if cond.exit is not None else level)
    op = OPS[cond.op]
    # only keys that enter or have an alert matter to the engine: the others are not explained
    cols = np.flatnonzero((pick >= 0) & (op(best_in, level) | alerted))
    if not len(cols):
        return Reading.empty()
    enter, hold = op(best_in[cols], level), op(best[cols], exit_level)
    # breadth: distinct event types (CAMEO roots) surprising at once; an air strike (195) is a kind of fight (19)
    kinds = sorted({event_type(m) for m in metrics})
    per_type = np.array([(per_metric[[i for i, m in enumerate(metrics) if event_type(m) == k]][:, cols]
                          >= exit_level).any(axis=0) for k in kinds])
    types = per_type.sum(axis=0)
    values, details, severities = np.zeros(len(cols)), [], []
    mentions_of = None
    if rule.critical is not None and rule.critical.mentions is not None:
        mentions_of = {h: _counts(data, source, g, "mentions", head - timedelta(hours=h) + bucket, head, width)
                       for h in {t[1] for t in tested}}
    for i, c in enumerate(cols):
        m, hours, cand, xs, mu, ik = tested[pick[c]]
        j = int(np.searchsorted(cand, c))
        count = float(xs[j])
        s = float(best_in[c] if enter[i] else best[c])
        lo, hi = detect.usual_range(mu[j:j + 1], ik[j:j + 1])
        p = float(detect.p_value(np.array([s]), tests)[0])
        values[i] = count
        mentions = float(mentions_of[hours][c]) if mentions_of is not None else None
        severities.append(_severity(rule, s, count, int(types[i]), mentions))
        span = "the last hour" if hours == 1 else f"the last {hours} hours"
        p_text = "< 1e-12" if p < 1e-12 else f"{p:.0e}"
        family = f"; {int(types[i])} of {len(kinds)} event types" if len(kinds) > 1 else ""
        why = (f"{m.replace('_', ' ')} {count:,.0f} in {span} vs usual {lo[0]:,.0f}–{hi[0]:,.0f} "
               f"(expected {float(mu[j]):.1f}; p {p_text}{family})")
        details.append({"kind": "surprise", "metric": m, "value": count, "unit": "articles", "window_hours": hours,
                        "baseline": float(mu[j]), "usual": [float(lo[0]), float(hi[0])], "p": p, "derived": s,
                        "types": int(types[i]), "of_types": len(kinds), "why": why})
    derived = np.where(enter, best_in[cols], best[cols])
    stamps: list[datetime | None] = [head] * len(cols)
    return Reading(cols, stamps, values, derived, enter, hold, np.full(len(cols), stale), severities, details)


def _severity(rule: Rule, s: float, articles: float, types: int, mentions: float | None) -> str:
    """The rule's severity, or critical when every criterion of ``rule.critical`` holds."""
    crit = rule.critical
    if crit is None or severity_rank(rule.severity) >= severity_rank("critical"):
        return rule.severity
    ok = (crit.surprise is None or s >= crit.surprise) and (crit.articles is None or articles >= crit.articles) \
        and (crit.types is None or types >= crit.types) and (crit.mentions is None or (mentions or 0) >= crit.mentions)
    return "critical" if ok else rule.severity


__all__ = ["Baseline", "BaselineOf", "baseline_dispersion", "baseline_stats", "surprise_reading", "window_totals"]
