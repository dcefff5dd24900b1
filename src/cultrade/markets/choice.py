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
    """The default ranking of one situation (``entry``: the decision) and the backtest figures behind it."""

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

    def figures(self, ranking: str | None = None) -> dict[str, Any]:
        """The recorded figures of ``ranking`` (default: the chosen one); empty when it was not scored."""
        found: dict[str, Any] = RECORD.get("figures", {}).get(ranking or self.ranking, {})
        return found

    def _against(self, f: dict[str, Any]) -> str:
        base = SPECS[f["baseline"]].label.removeprefix("baseline: ")
        return (f"NDCG@10 {f['ndcg']:.3f} against {f['baseline_ndcg']:.3f} for '{base}' (difference {f['diff']:+.3f}, "
                f"95% interval {f['ci'][0]:+.3f} to {f['ci'][1]:+.3f} over homes; better in {f['share_beats']:.0%} "
                f"of {f['cases']} cases)")

    def verdict(self) -> str:
        """One sentence: the order used and whether it beats the best simple baseline, with the figures."""
        f = self.figures()
        name = SPECS[self.ranking].label.removeprefix("model: ")
        base = SPECS[f["baseline"]].label.removeprefix("baseline: ")
        if self.beats_baseline:
            text = (f"Validated: markets are ordered by {name}, which beats the best simple baseline, '{base}', "
                    f"in the backtest on {self.source}: {self._against(f)}.")
        else:
            text = (f"NOT VALIDATED: no ranking available here beats the simple baseline '{base}' in the backtest "
                    f"on {self.source}. The order shown ({name}) is not shown to do better: {self._against(f)}. Treat it "
                    f"as no better than listing the {base}.")
        if self.situation == "digital":
            text += (" For digital product types this is tested on goods trade only: no bilateral digital trade "
                     "data exist to test a digital ranking.")
        return text + f" ({PAGE})"

    def risk_verdict(self) -> str:
        """One sentence: whether risk is multiplied into the order, and the backtest figures that decided it."""
        r = self.figures().get("risk")
        if not r:
            return ("Risk is shown beside the opportunity (frontier), not multiplied into the order: the risk "
                    "adjustment could not be tested (no backtest cases with risk data).")
        change = (f"NDCG@10 {r['ndcg'][0]:.3f} -> {r['ndcg'][1]:.3f}, change {r['diff']:+.3f} with 95% interval "
                  f"{r['ci'][0]:+.3f} to {r['ci'][1]:+.3f}; markets whose imports contracted "
                  f"{r['contraction'][0]:.1%} -> {r['contraction'][1]:.1%}; markets where the home's exports fell "
                  f"{r['loss'][0]:.1%} -> {r['loss'][1]:.1%} of the first 10, over {r['cases']} cases")
        if self.risk_adjusted:
            return (f"Risk-adjusted order: opportunity x (1 - risk/10), kept because in the backtest it is not "
                    f"worse than the unadjusted order ({change}).")
        return (f"Risk is shown beside the opportunity (frontier), not multiplied into the order: in the backtest "
                f"opportunity x (1 - risk/10) was worse on {', '.join(self.entry['risk_worse'])} ({change}). The "
                "'adjusted' column is that product, for reference only.")

    def home_record(self, home: str) -> str:
        """How the order did for ``home`` itself in each backtest source (empty when it was not a home there)."""
        parts = []
        for title, per in RECORD.get("homes", {}).items():
            wins = per.get(self.ranking, {}).get(home)
            if wins:
                parts.append(f"{wins[0]} of {wins[1]} backtest cases on {title.split(' (')[0]}")
        if not parts:
            return ""
        base = SPECS[self.figures()["baseline"]].label.removeprefix("baseline: ")
        return (f"For {home} as home, the order beat '{base}' in {' and in '.join(parts)}; the verdict above pools "
                "all homes, since one home has too few cases to decide on.")

    def component(self, ranking: str) -> str:
        """How a ranking shown as a column, not the order, did in the backtest (empty when not scored)."""
        f = self.figures(ranking)
        return self._against(f) if f else ""


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
