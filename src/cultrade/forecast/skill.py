"""Which forecasts ship: the bar of issue 10 applied to a backtest, and recorded in the store.

A learned model (``logit``, ``hgb``) **passes** for a target at a lead when, pooled over the
backtest's origins,

* its AUC is at least :data:`~cultrade.forecast.options.MIN_AUC_GAIN` (0.05) above the AUC of the
  **best** baseline (persistence, climatology, distance to the next cut, score rank, WGI average),
  measured on the same test rows, and
* its Brier skill against climatology is above 0.

The issue sets this bar at lead 1 (:data:`~cultrade.forecast.options.DECISION_HORIZON`), the
default of ``forecast predict``; longer leads must clear the same bar in their own backtest to be
published. The **shipped** model of a target and lead is its passing model with the highest AUC.
A target with no passing model is not shipped: ``forecast predict`` does not publish it, so the
alert rules never see it. Nothing here is a hand-made list: the decision is recomputed by every backtest
(:meth:`BacktestReport.decision`), stored with :func:`record_decision` in ``forecast_skill`` (one
partition per home and domain) together with a signature of the input data, and
:func:`current_decision` re-runs the backtest when the inputs have changed since.

>>> pooled = pd.DataFrame({"target": "t", "horizon": 1, "model": ["hgb", "logit", "persistence"],
...     "n": 100, "events": 9, "auc": [0.80, 0.77, 0.74], "auc_lo": 0.7, "auc_hi": 0.9, "bss": [0.05, 0.08, 0.0],
...     "best_baseline": "persistence", "best_baseline_auc": 0.74, "gain": [0.06, 0.03, 0.0],
...     "gain_lo": 0.0, "gain_hi": 0.1})
>>> decide(pooled)[["model", "passes", "shipped"]].to_dict("records")
[{'model': 'hgb', 'passes': True, 'shipped': True}, {'model': 'logit', 'passes': False, 'shipped': False}]
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.forecast.options import BASELINES, DECISION_HORIZON, LEARNED, MIN_AUC_GAIN, MIN_BSS, SKILL_TABLE
from cultrade.store import Provenance, Store

SOURCE = "forecast_skill"
DECISION_COLUMNS = ("target", "model", "horizon", "n", "events", "auc", "auc_lo", "auc_hi", "best_baseline",
                    "best_baseline_auc", "gain", "gain_lo", "gain_hi", "bss", "passes", "shipped", "reason")
# Inputs of the forecasts that are not in the ``indicators`` view (home perspective, H.10 rates).
_OTHER_INPUTS = frozenset({"geodist", "geodist_countries", "hofstede", "gdelt_dyads", "fred"})


def _reason(r: pd.Series) -> str:
    gain, bss = float(r["gain"]), float(r["bss"])
    fig = (f"AUC {r['auc']:.3f} vs {r['best_baseline']} {r['best_baseline_auc']:.3f} "
           f"({gain:+.3f}), BSS {bss:+.3f}")
    why = []
    if not gain >= MIN_AUC_GAIN:
        why.append(f"AUC gain below {MIN_AUC_GAIN:.2f}")
    if not bss > MIN_BSS:
        why.append("no Brier skill over climatology")
    return f"{fig}: " + ("passes" if not why else "fails (" + "; ".join(why) + ")")


def decide(pooled: pd.DataFrame) -> pd.DataFrame:
    """Per target, lead and learned model: the figures, ``passes``, ``shipped`` and the reason."""
    rows = pooled[pooled["model"].isin(LEARNED)].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=list(DECISION_COLUMNS))
    rows["passes"] = (rows["gain"] >= MIN_AUC_GAIN) & (rows["bss"] > MIN_BSS)
    rows["reason"] = [_reason(r) for _, r in rows.iterrows()]
    best = rows[rows["passes"]].sort_values(["auc", "bss"], ascending=False).groupby(["target", "horizon"]).head(1)
    rows["shipped"] = rows.index.isin(best.index)
    for col in DECISION_COLUMNS:
        if col not in rows.columns:
            rows[col] = np.nan
    return rows[list(DECISION_COLUMNS)].reset_index(drop=True)


def shipped_models(decision: pd.DataFrame, horizon: int = DECISION_HORIZON) -> dict[str, str]:
    """target -> its shipped model at ``horizon`` (targets with no passing model are absent)."""
    ok = decision[decision["shipped"].astype(bool) & (decision["horizon"] == horizon)]
    return dict(zip(ok["target"].astype(str), ok["model"].astype(str), strict=True))


def input_signature(store: Store) -> str:
    """A hash of the catalog entries of every input of the forecasts (any reload changes it)."""
    cat = store.catalog()
    if cat.empty:
        return hashlib.sha256(b"").hexdigest()[:16]
    feeds = cat["tables"].map(lambda ts: any(str(t).startswith("obs_") for t in ts)) | cat["source"].isin(_OTHER_INPUTS)
    rows = cat[feeds].sort_values(["source", "partition"])
    text = "\n".join(f"{s}|{p}|{h}|{n}" for s, p, h, n in
                     zip(rows["source"], rows["partition"], rows["sha256"], rows["rows"], strict=True))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _partition(home: str, domain: str) -> str:
    return f"{home.upper()}:{domain}"


def why_undecided(report: Any) -> str | None:
    """None when ``report`` can decide what ships (every baseline and a learned model), else the reason."""
    missing = [b for b in BASELINES if b not in report.models]
    if missing:
        return f"the backtest leaves out the baseline(s) {', '.join(missing)}"
    if not any(m in report.models for m in LEARNED):
        return "the backtest has no learned model"
    return None


def record_decision(store: Store, report: Any) -> pd.DataFrame:
    """Store ``report.decision()`` (a :class:`~cultrade.forecast.rolling.BacktestReport`) in ``forecast_skill``.

    The (target, lead) pairs of ``report`` replace their rows of the stored decision; others keep theirs
    while the input data are unchanged.
    """
    reason = why_undecided(report)
    if reason is not None:
        raise ConfigError(f"cannot record a shipping decision: {reason}",
                          hint="run the backtest with every baseline (the default)")
    decision = report.decision()
    origins = report.origins
    frame = decision.assign(home=report.home, domain=report.domain,
                            origins=f"{origins[0]}-{origins[-1]}" if origins else "",
                            complete_year=int(report.complete_year), signature=input_signature(store),
                            created_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    frame["passes"] = frame["passes"].astype(bool)
    frame["shipped"] = frame["shipped"].astype(bool)
    kept = stored_decision(store, report.home, report.domain)
    done = pd.MultiIndex.from_frame(frame[["target", "horizon"]])
    kept = kept[~pd.MultiIndex.from_frame(kept[["target", "horizon"]]).isin(done)
                & (kept["signature"] == input_signature(store))]
    frame = pd.concat([kept, frame], ignore_index=True) if not kept.empty else frame
    store.write_frames(SOURCE, {SKILL_TABLE: frame}, provenance=Provenance(
        source=SOURCE, partition=_partition(report.home, report.domain), vintage=str(report.complete_year),
        licence="derived", publisher="cultrade", origin="computed"))
    return frame


def stored_decision(store: Store, home: str = "CHN", domain: str = "general") -> pd.DataFrame:
    """The decision recorded for ``home`` and ``domain`` (empty when there is none)."""
    if not store.has_table(SKILL_TABLE):
        return pd.DataFrame(columns=[*DECISION_COLUMNS, "home", "domain", "signature", "created_at"])
    frame = store.frame(SKILL_TABLE)
    return frame[(frame["home"] == home.upper()) & (frame["domain"] == domain)].reset_index(drop=True)


def current_decision(store: Store, home: str, domain: str, targets: Sequence[str], horizons: Sequence[int],
                     run: Callable[[tuple[str, ...], tuple[int, ...]], Any]) -> tuple[pd.DataFrame, str]:
    """(decision, note): the stored decision for every ``targets`` x ``horizons`` if the inputs are unchanged
    since it was taken; otherwise ``run(targets, horizons)`` (a
    :class:`~cultrade.forecast.rolling.BacktestReport`) for the missing ones is recorded first.
    """
    signature = input_signature(store)
    stored = stored_decision(store, home, domain)
    fresh = stored[stored["signature"] == signature]
    have = set(zip(fresh["target"], fresh["horizon"].astype(int), strict=True))
    missing = [(t, int(h)) for t in targets for h in horizons if (t, int(h)) not in have]
    if not missing:
        when = pd.Timestamp(fresh["created_at"].max()).strftime("%Y-%m-%d %H:%M")
        return fresh, f"shipping decision from the backtest of {when} UTC (origins {fresh['origins'].iloc[0]})"
    why = ("no backtest is recorded" if stored.empty else "the input data changed since the last backtest"
           if fresh.empty else "no backtest is recorded for " + ", ".join(f"{t} at lead {h}" for t, h in missing))
    todo_t = tuple(dict.fromkeys(t for t, _ in missing))
    todo_h = tuple(sorted({h for _, h in missing}))
    report = run(todo_t, todo_h)
    frame = record_decision(store, report)
    return frame, (f"{why} for {home.upper()}/{domain}: ran the backtest of {', '.join(todo_t)} at lead(s) "
                   f"{', '.join(map(str, todo_h))} now ({report.elapsed:.0f} s, origins "
                   f"{report.origins[0]}-{report.origins[-1]})")


__all__ = ["DECISION_COLUMNS", "SOURCE", "current_decision", "decide", "input_signature", "record_decision",
           "shipped_models", "stored_decision", "why_undecided"]
