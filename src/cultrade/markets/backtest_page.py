"""The backtest page (``docs/markets_backtest.md``) and the decision record the product reads.

Both come from the same :class:`~cultrade.markets.evaluation.BacktestResult` objects in one run of
``cultrade markets backtest --out docs/markets_backtest.md --record src/cultrade/markets/backtest_record.py``:
the page shows every figure, the record keeps the decision (:func:`~cultrade.markets.evaluation.decide`
on the primary source) and the figures behind it, for :mod:`cultrade.markets.choice`.
"""

from __future__ import annotations

import pprint
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cultrade.markets.evaluation import (
    DECISION_RULE,
    SITUATION_LABELS,
    SITUATIONS,
    SPECS,
    TOP_N,
    BacktestResult,
    choose,
    decide,
    label,
    model_figures,
)


def _f(v: Any, fmt: str = ".3f") -> str:
    return "" if v is None or v != v else format(v, fmt)


def _ci(diff: float, lo: float, hi: float) -> str:
    return "" if diff != diff else f"{diff:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def record(results: Sequence[BacktestResult], command: str, runtime: float) -> dict[str, Any]:
    """The decision of the primary source, with the other sources' decisions as confirmation, and per source
    and home how often each default beat the best baseline (for the home's own line on every view)."""
    primary = next(r for r in results if r.primary)
    figures = _rounded(model_figures(primary))
    confirm = {r.source: {s: {k: d[k] for k in ("ranking", "beats_baseline", "risk_adjusted")}
                          for s, d in decide(r).items()} for r in results if not r.primary and r.source != "baci"}
    situations = choose(figures)
    defaults = sorted({d["ranking"] for d in situations.values()})
    homes = {r.title: {d: r.home_wins(d) for d in defaults} for r in results if r.source != "baci"}
    return {"command": command, "generated": datetime.now(UTC).date().isoformat(), "runtime_s": round(runtime),
            "source": primary.source, "title": primary.title, "top_n": TOP_N, "rule": DECISION_RULE,
            "situations": situations, "figures": figures, "confirmation": confirm, "homes": homes}


def _rounded(value: Any) -> Any:
    """Floats to 6 significant digits, through dicts and lists (the record stays readable)."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def render_record(rec: dict[str, Any]) -> str:
    """The record as a Python module (shipped inside the package, read by :mod:`cultrade.markets.choice`)."""
    body = pprint.pformat(rec, width=110, sort_dicts=False)
    return (f'"""Generated on {rec["generated"]} by\n`{rec["command"]}`;\ndo not edit by hand.\n\n'
            "The backtest's decision of the default market ranking per situation and the figures behind it\n"
            '(see docs/markets_backtest.md and cultrade.markets.evaluation.decide)."""\n\n'
            "from typing import Any\n\n"
            f"RECORD: dict[str, Any] = {body}\n")


def _decision_table(rec: dict[str, Any]) -> list[str]:
    lines = ["| situation | default order | NDCG@10 | best baseline | its NDCG@10 | difference [95% interval] | "
             "better in | beats the baselines | risk adjustment |", "|---|---|---|---|---|---|---|---|---|"]
    for s in SITUATIONS:
        d = rec["situations"][s]
        f = rec["figures"][d["ranking"]]
        risk = "kept (multiplied in)" if d["risk_adjusted"] else \
            f"not kept: worse on {', '.join(d['risk_worse'])}; risk shown beside (frontier)"
        lines.append(f"| {SITUATION_LABELS[s]} | {label(d['ranking'])} | {f['ndcg']:.3f} | {label(f['baseline'])} | "
                     f"{f['baseline_ndcg']:.3f} | {_ci(f['diff'], *f['ci'])} | {f['share_beats']:.0%} | "
                     f"{'**yes**' if d['beats_baseline'] else '**NO**'} | {risk} |")
    return lines


def _source_section(res: BacktestResult) -> list[str]:
    summary = res.summary()
    best = res.best_baseline()
    lines = [f"## {res.title}{' (primary: decides the defaults)' if res.primary else ''}", "",
             *[f"- {note}" for note in res.notes], "",
             f"| ranking | in the product | NDCG@{TOP_N} | hit rate@{TOP_N} | cases | beats largest | beats nearest "
             f"| beats current partners | NDCG difference with {SPECS[best].label.removeprefix('baseline: ')} "
             "[95% interval over homes] |", "|---|---|---|---|---|---|---|---|---|"]
    for rid, r in summary.iterrows():
        spec = SPECS[str(rid)]
        where = ", ".join(spec.situations) if spec.shipped else ("no: " + spec.note if spec.kind == "model" else "")
        wins = " | ".join(_f(r[c], ".2f") for c in ("beats_largest", "beats_nearest", "beats_partners"))
        lines.append(f"| {spec.label} | {where} | {r['ndcg']:.3f} | {r['hit_rate']:.3f} | {int(r['cases'])} | {wins} | "
                     f"{_ci(r['diff'], r['lo'], r['hi'])} |")
    per = res.scores.pivot_table(index="origin", columns="ranking", values="ndcg")
    per = per.reindex(columns=[c for c in SPECS if c in per.columns])
    lines += ["", f"NDCG@{TOP_N} by origin year:", "",
              "| origin | " + " | ".join(SPECS[c].label.split(": ", 1)[1] for c in per.columns) + " |",
              "|---|" + "---|" * len(per.columns)]
    lines += [f"| {o} | " + " | ".join(_f(v) for v in r) + " |" for o, r in per.iterrows()]
    lines += _china(res)
    risk = res.risk_summary()
    if len(risk):
        lines += ["", f"Risk adjustment, opportunity x (1 - risk/10), at origins "
                  f"{', '.join(map(str, res.risk_origins))} (markets with a usable risk score; the risk index "
                  "built with data up to t). *contraction*: share of the first 10 markets whose total imports "
                  "fell from t to t+k; *loss*: share of the first 10 markets the home exported to at t where its "
                  "exports fell. Lower is better for both.", "",
                  "| ranking | cases | NDCG@10 unadjusted -> adjusted | difference [95% interval] | adjusted better in "
                  "| hit rate@10 | contraction@10 | loss@10 |", "|---|---|---|---|---|---|---|---|"]
        for rid, r in risk.iterrows():
            lines.append(f"| {SPECS[str(rid)].label} | {int(r['cases'])} | {r['ndcg']:.3f} -> {r['ndcg_adjusted']:.3f} "
                         f"| {_ci(r['diff'], r['lo'], r['hi'])} | {r['better']:.0%} | {r['hit_rate']:.3f} -> "
                         f"{r['hit_rate_adjusted']:.3f} | {r['contraction']:.3f} -> {r['contraction_adjusted']:.3f} "
                         f"| {r['loss']:.3f} -> {r['loss_adjusted']:.3f} |")
    return [*lines, ""]


def _confirmation(rec: dict[str, Any]) -> list[str]:
    if not rec["confirmation"]:
        return ["No second source was loaded: the decision rests on AGTPA alone (load UN Comtrade bilateral "
                "totals with `cultrade ingest comtrade FILE` to check it on 1995-2019).", ""]
    lines = ["The same rule applied to each other source, as a check of the decision (it does not change it):", "",
             "| source | situation | its default | beats the baselines | risk adjustment kept | agrees |",
             "|---|---|---|---|---|---|"]
    for source, per in rec["confirmation"].items():
        for s in SITUATIONS:
            d, mine = per[s], rec["situations"][s]
            agrees = all(d[k] == mine[k] for k in ("ranking", "beats_baseline", "risk_adjusted"))
            lines.append(f"| {source} | {s} | {label(d['ranking'])} | {'yes' if d['beats_baseline'] else 'NO'} | "
                         f"{'yes' if d['risk_adjusted'] else 'no'} | {'yes' if agrees else '**no**'} |")
    return [*lines, ""]


def render_markdown(results: Sequence[BacktestResult], rec: dict[str, Any]) -> str:
    """The backtest page: what ships and why, one section per source, the check, how to read it."""
    lines = ["# Market rankings: backtest", "",
             f"Generated by `{rec['command']}` on {rec['generated']} in {rec['runtime_s']} s; do not edit by "
             "hand.", "",
             "Each ranking orders every other country as a target market for a home country with data up to year t "
             "only, and is scored against the home's realised export growth (USD) from t to t+k: "
             f"NDCG@{TOP_N} (gain: the growth, 0 for a fall) and hit rate@{TOP_N} (share of the first {TOP_N} that "
             f"are among the {TOP_N} largest realised gains). *beats X* is the share of (home, origin) cases in "
             "which a ranking's NDCG is above X's. Intervals are 95% percentile intervals from "
             "a bootstrap over home countries (all of a home's cases drawn together).", "",
             "## What the product ships", "",
             "`cultrade markets rank` (and the API and dashboard) order markets by the ranking this table names, "
             "read from the record this command writes (`src/cultrade/markets/backtest_record.py`), and every view "
             "states the verdict first in its list of inputs (said plainly when the order does not beat the "
             "baselines). The rule (`cultrade.markets.evaluation.decide`), fixed before the figures and applied to "
             "the primary source:", "",
             *rec["rule"].splitlines(), "",
             *_decision_table(rec), ""]
    lines += [line for res in results for line in _source_section(res)]
    lines += ["## Check on a second source", "", *_confirmation(rec)]
    lines += ["## Reading the results", "", *_reading(results, rec)]
    return "\n".join(lines)


def _name(ranking: str) -> str:
    return SPECS[ranking].label.split(": ", 1)[1]


def _reading(results: Sequence[BacktestResult], rec: dict[str, Any]) -> list[str]:
    res = next(r for r in results if r.primary)
    summary = res.summary()
    best = res.best_baseline()
    default = rec["situations"]["goods"]["ranking"]
    beats = {str(r): bool(row["diff"] > 0 and row["lo"] > 0) for r, row in summary.iterrows()}
    ndcg: dict[str, float] = {str(k): float(v) for k, v in summary["ndcg"].items()}

    def verdict(r: str) -> str:
        word = "beats" if beats.get(r) else "does not beat"
        row = summary.loc[r]
        return (f"*{_name(r)}* {word} {_name(best)} ({row['ndcg']:.3f} against {ndcg[best]:.3f}, "
                f"difference {row['diff']:+.3f} [{row['lo']:+.3f}, {row['hi']:+.3f}])")

    partners = ndcg["partners"]
    above = [_name(str(r)) for r, row in summary.iterrows() if row["kind"] == "model" and row["ndcg"] >= partners]
    lines = [
        f"- Realised growth in dollars goes mostly to markets that are already large partners: *current partners* "
        f"scores {partners:.3f}" + (", above every model." if not above else f"; models at or above it: "
                                    f"{', '.join(above)}.") + " It is not a 'where next' answer (it says: sell "
        "more where you sell), but it is the bar to read every model against.",
        f"- The untapped potential (ITC's concept): {verdict('untapped')}. It stays visible as a column "
        "wherever a bilateral year is loaded, and orders the ranking only if it beats the baselines. On AGTPA's "
        "and Comtrade's single product the ITC formula is degenerate (ease is the pair's own deviation from "
        "gravity, so the untapped potential is zero wherever the pair already trades above gravity); the "
        f"one-product analogue, {verdict('gravity_gap')}.",
        f"- Gravity with persistence: {verdict('persistence')}. It is not in the product (it needs two bilateral "
        f"years k apart to estimate the persistence) and scores {ndcg['persistence']:.3f} "
        f"against {ndcg[default]:.3f} for the default.",
        f"- The digital proxy: {verdict('size_access_digital')}. There are no bilateral data on games, "
        "streaming or online literature to test a digital ranking on, so digital product types are decided on "
        "goods trade, and every digital view says so.",
    ]
    for ranking in dict.fromkeys(d["ranking"] for d in rec["situations"].values()):
        where = [s for s, d in rec["situations"].items() if d["ranking"] == ranking]
        risk = rec["figures"][ranking].get("risk")
        if not risk:
            continue
        kept = rec["situations"][where[0]]
        lines.append(
            f"- The risk adjustment of *{_name(ranking)}* (the default for: {', '.join(where)}), over "
            f"{risk['cases']} cases: NDCG@10 {risk['ndcg'][0]:.3f} -> {risk['ndcg'][1]:.3f} (difference "
            f"{risk['diff']:+.3f} [{risk['ci'][0]:+.3f}, {risk['ci'][1]:+.3f}]), contraction@10 "
            f"{risk['contraction'][0]:.3f} -> {risk['contraction'][1]:.3f}, loss@10 {risk['loss'][0]:.3f} -> "
            f"{risk['loss'][1]:.3f}: "
            + ("not worse, so the order is risk-adjusted." if kept["risk_adjusted"] else
               f"worse on {', '.join(kept['risk_worse'])}, so risk is shown beside the opportunity (the "
               "frontier, and a risk column) and not multiplied into the order."))
    for title, per in rec["homes"].items():
        wins = per[default].get("CHN")
        if wins:
            lines.append(f"- China as home, {title}: *{_name(default)}* beats {_name(best)} in {wins[0]} of "
                         f"{wins[1]} cases. The rule pools all homes (a home has too few cases to decide on), "
                         "and `markets rank` shows each home its own count beside the pooled verdict.")
    lines += [
        "- Nothing is tuned to these cases: the gravity covariates are the AGTPA guide's, projections use the k "
        "years before t, the risk index is built with data up to t (its time-invariant inputs, Hofstede's 2015 "
        "scores and GeoDist, are the exception), and the decision rule is stated above. The default is the best "
        "of a few candidates scored on the same cases, so its lead over the baseline is an optimistic estimate; "
        "the second source checks it on other years and countries.",
        "- A BACI section appears only when two or more BACI years are loaded; on the bundled sample (two "
        "exporters, about 55% of their rows, 2020 in HS17 and 2021 in HS92) it is a smoke test, not evidence.", ""]
    return lines


def _china(res: BacktestResult) -> list[str]:
    """NDCG@10 per origin with China as the home (the main user): few cases, read with care."""
    part = res.scores[res.scores["home"] == "CHN"]
    if part.empty:
        return []
    per = part.pivot_table(index="origin", columns="ranking", values="ndcg")
    per = per.reindex(columns=[c for c in SPECS if c in per.columns])
    return ["", "China as home (the main user; one case per origin, so read it as an illustration, not evidence):",
            "", "| origin | " + " | ".join(_name(c) for c in per.columns) + " |", "|---|" + "---|" * len(per.columns),
            *[f"| {o} | " + " | ".join(_f(v) for v in r) + " |" for o, r in per.iterrows()]]


__all__ = ["record", "render_markdown", "render_record"]
