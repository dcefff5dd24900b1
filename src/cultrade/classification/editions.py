"""Carry the HS17/HS22 reference table to older HS editions through a concordance.

A concordance is a DataFrame with columns ``from_edition, from_code, to_edition,
to_code`` (the store table ``hs_concordance``). Links are read in either
direction, so a table of HS17 -> HS12 rows serves HS12 -> HS17 as well.

An older code is *partial* when it splits into several reference codes of which
only some carry the mapping: HS12 ``852340`` (optical media) became HS17
``852341`` (unrecorded, not cultural) and ``852349`` (recorded, cultural), so
its mapping covers part of its trade only. ``n_linked`` counts the reference
codes an older code splits into and ``n_matched`` those that carry the mapping.

>>> conc = pd.DataFrame({"from_edition": ["HS17", "HS17"], "from_code": ["852341", "852349"],
...                      "to_edition": ["HS12", "HS12"], "to_code": ["852340", "852340"]})
>>> concordance_links(conc, "HS12", "HS17").to_dict("records")
[{'base_code': '852341', 'target_code': '852340'}, {'base_code': '852349', 'target_code': '852340'}]
"""

from __future__ import annotations

import pandas as pd

from cultrade.classification.options import check_edition
from cultrade.errors import ConfigError, SourceFormatError

CONCORDANCE_COLUMNS = ("from_edition", "from_code", "to_edition", "to_code")
#: Columns that identify one mapping: a target code may carry several (one per domain/role).
MAPPING_KEYS = ["scheme", "domain", "category", "role", "medium"]


def _codes(series: pd.Series, column: str) -> pd.Series:
    text = series.astype(str).str.strip().str.replace(r"\.0$", "", regex=True).str.zfill(6)
    bad = ~text.str.fullmatch(r"\d{6}")
    if bad.any():
        first = int(bad.to_numpy().argmax())
        raise SourceFormatError(f"concordance code {series.iloc[first]!r} is not a 6-digit HS code",
                                row=first + 1, column=column)
    return text


def concordance_links(concordance: pd.DataFrame, target: str, base: str) -> pd.DataFrame:
    """Distinct (base_code, target_code) pairs linking two editions, whichever way the rows run."""
    missing = [c for c in CONCORDANCE_COLUMNS if c not in concordance.columns]
    if missing:
        raise ConfigError(f"concordance lacks columns {missing}",
                          hint=f"pass a frame with columns {', '.join(CONCORDANCE_COLUMNS)}")
    target, base = check_edition(target), check_edition(base)
    editions = {e: check_edition(e) for e in set(concordance["from_edition"]) | set(concordance["to_edition"])}
    from_ed = concordance["from_edition"].map(editions)
    to_ed = concordance["to_edition"].map(editions)
    frm = _codes(concordance["from_code"], "from_code")
    to = _codes(concordance["to_code"], "to_code")
    forward = (from_ed == base) & (to_ed == target)
    backward = (from_ed == target) & (to_ed == base)
    links = pd.concat([
        pd.DataFrame({"base_code": frm[forward], "target_code": to[forward]}),
        pd.DataFrame({"base_code": to[backward], "target_code": frm[backward]}),
    ])
    return links.drop_duplicates().sort_values(["target_code", "base_code"], ignore_index=True)


def expand_table(base: pd.DataFrame, links: pd.DataFrame, target: str) -> pd.DataFrame:
    """The long reference table ``base`` (one edition) re-keyed on ``target`` codes through ``links``.

    One row per (target code, mapping); ``source_codes`` lists the reference codes
    behind it, and ``partial`` is true when the target code also covers reference
    codes without that mapping.
    """
    n_linked = links.groupby("target_code")["base_code"].nunique().rename("n_linked")
    merged = base.merge(links, left_on="hs_code", right_on="base_code", how="inner")
    if merged.empty:
        return base.iloc[0:0].copy()

    def _join(values: pd.Series) -> str:
        return "; ".join(dict.fromkeys(v for v in values if v))

    grouped = merged.groupby(["target_code", *MAPPING_KEYS], sort=True, dropna=False).agg(
        description=("description", lambda s: " | ".join(dict.fromkeys(s))),
        domain_label=("domain_label", "first"),
        domain_label_zh=("domain_label_zh", "first"),
        basis=("basis", _join),
        note=("note", _join),
        source_codes=("hs_code", lambda s: "|".join(sorted(set(s)))),
        n_matched=("hs_code", "nunique"),
    ).reset_index()
    grouped = grouped.join(n_linked, on="target_code")
    grouped["partial"] = grouped["n_matched"] < grouped["n_linked"]
    grouped["source_edition"] = base["hs_edition"].iloc[0]
    grouped["hs_edition"] = check_edition(target)
    grouped = grouped.rename(columns={"target_code": "hs_code"})
    return grouped[list(base.columns)].reset_index(drop=True)


__all__ = ["CONCORDANCE_COLUMNS", "concordance_links", "expand_table"]
