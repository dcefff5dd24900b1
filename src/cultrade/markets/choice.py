"""Which ranking :func:`cultrade.markets.rank_markets` orders markets by, as the backtest decided it.

The decision is data, not a preference written here: ``cultrade markets backtest --out
docs/markets_backtest.md --record src/cultrade/markets/backtest_record.py`` applies the rule of
:func:`cultrade.markets.evaluation.decide` to the backtest's figures and writes them to
:mod:`cultrade.markets.backtest_record`. This module reads that record back and words it for every view
(CLI, API and dashboard, through :attr:`Ranking.inputs`): which ranking orders the markets, whether it
beats the simple baselines, and whether risk is multiplied into the order or shown beside it.

>>> c = default_ranking("goods")
>>> c.ranking in {"size_access", "untapped", "size_access_digital"}, isinstance(c.risk_adjusted, bool)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cultrade.errors import ConfigError
from cultrade.markets.backtest_record import RECORD
from cultrade.markets.evaluation import SITUATIONS, SPECS

PAGE = "docs/markets_backtest.md"


@dataclass(frozen=True)
class Choice:
    """The default ranking of one situation and the backtest figures behind it."""

    situation: str
    entry: dict[str, Any]
    source: str

    @property
    def ranking(self) -> str:
        return str(self.entry["ranking"])

    @property
    def beats_baseline(self) -> bool:
        return bool(self.entry["beats_baseline"])

    @property
    def risk_adjusted(self) -> bool:
        return bool(self.entry["risk_adjusted"])

    def figures(self, ranking: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.entry.get("figures", {}).get(ranking)
        return found

    def verdict(self) -> str:
        """One sentence: the order used and whether it beats the best simple baseline, with the figures."""
        e = self.entry
        name = SPECS[self.ranking].label.removeprefix("model: ")
        figures = (f"NDCG@10 {e['ndcg']:.3f} against {e['baseline_ndcg']:.3f} (difference {e['diff']:+.3f}, 95% "
                   f"interval {e['ci'][0]:+.3f} to {e['ci'][1]:+.3f} over homes; better in {e['share_beats']:.0%} "
                   f"of {e['cases']} cases)")
        base = SPECS[e["baseline"]].label.removeprefix("baseline: ")
        if self.beats_baseline:
            text = (f"Validated: markets are ordered by {name}, which beats the best simple baseline, '{base}', "
                    f"in the backtest on {self.source}: {figures}.")
        else:
            text = (f"NOT VALIDATED: no ranking available here beats the simple baseline '{base}' in the backtest "
                    f"on {self.source}. The order shown ({name}) does no better: {figures}. Treat it as no better "
                    f"than listing the {base}.")
        if self.situation == "digital":
            text += (" For digital product types this is tested on goods trade only: no bilateral digital trade "
                     "data exist to test a digital ranking.")
        return text + f" ({PAGE})"

    def risk_verdict(self) -> str:
        """One sentence: whether risk is multiplied into the order, and the backtest figures that decided it."""
        e = self.entry
        if not e.get("risk_cases"):
            return ("Risk is shown beside the opportunity (frontier), not multiplied into the order: the risk "
                    "adjustment could not be tested (no backtest cases with risk data).")
        change = (f"NDCG@10 {e['risk_ndcg'][0]:.3f} -> {e['risk_ndcg'][1]:.3f}, change {e['risk_diff']:+.3f} with "
                  f"95% interval {e['risk_ci'][0]:+.3f} to {e['risk_ci'][1]:+.3f}; markets whose imports contracted "
                  f"{e['risk_contraction'][0]:.1%} -> {e['risk_contraction'][1]:.1%}; markets where the home's "
                  f"exports fell {e['risk_loss'][0]:.1%} -> {e['risk_loss'][1]:.1%} of the first 10, over "
                  f"{e['risk_cases']} cases")
        if self.risk_adjusted:
            return (f"Risk-adjusted order: opportunity x (1 - risk/10), kept because in the backtest it is not "
                    f"worse than the unadjusted order ({change}).")
        return (f"Risk is shown beside the opportunity (frontier), not multiplied into the order: in the backtest "
                f"opportunity x (1 - risk/10) was worse on {', '.join(e['risk_worse'])} ({change}). The "
                "'adjusted' column is that product, for reference only.")

    def component(self, ranking: str) -> str:
        """How a ranking shown as a column, not the order, did in the backtest (empty when not scored)."""
        f = self.figures(ranking)
        if f is None:
            return ""
        base = SPECS[self.entry["baseline"]].label.removeprefix("baseline: ")
        return (f"NDCG@10 {f['ndcg']:.3f} against {f['baseline_ndcg']:.3f} for '{base}' (difference "
                f"{f['diff']:+.3f}, 95% interval {f['ci'][0]:+.3f} to {f['ci'][1]:+.3f})")


def default_ranking(situation: str) -> Choice:
    """The recorded default of ``situation`` (one of :data:`~cultrade.markets.evaluation.SITUATIONS`)."""
    if situation not in SITUATIONS:
        raise ConfigError(f"unknown ranking situation {situation!r}", hint=f"use one of: {', '.join(SITUATIONS)}")
    entry = RECORD.get("situations", {}).get(situation)
    if entry is None:
        raise ConfigError(f"the backtest record has no decision for {situation!r}",
                          hint=f"regenerate it: cultrade markets backtest --out {PAGE} "
                               "--record src/cultrade/markets/backtest_record.py")
    return Choice(situation, entry, str(RECORD["title"]))


__all__ = ["PAGE", "Choice", "default_ranking"]
