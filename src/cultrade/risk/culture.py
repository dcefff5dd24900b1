"""Cultural distance from the home country: Hofstede's six dimensions and shared languages.

**Hofstede scores, dimension by dimension** (:func:`hofstede_scores`). Each country's score on each
of the six dimensions is taken from the first of:

1. the official 2015 dimension data matrix (``official``);
2. the Hofstede Insights country comparison (2021 scrape), whose starred rows are estimates
   (``insights``, or ``insights estimate``);
3. the score of the Hofstede region whose survey sample included the country (``regional``):
   Hofstede's "Arab countries" (Egypt, Iraq, Kuwait, Lebanon, Libya, Saudi Arabia, United Arab
   Emirates), "Africa East" (Ethiopia, Kenya, Tanzania, Zambia) and "Africa West" (Ghana, Nigeria,
   Sierra Leone), as listed in ``risk/data/hofstede_regions.csv``. No score is carried to a country
   outside the region's sample.

A country with none of these has no scores: nothing is invented.

**Kogut-Singh distance** (:func:`kogut_singh`): the mean over the dimensions scored for both
countries of ``(I_j - I_home)^2 / V``, V the variance across countries; at least
:data:`MIN_DIMENSIONS` shared dimensions, or the distance is missing (Montenegro's two official
dimensions would otherwise stand for its whole culture).

**Language proximity** (:func:`language_proximity`), from CEPII GeoDist: 1 when the two countries
share an official language; 0.75 when a language is spoken by at least 20% of both populations;
0.5 when one is spoken by at least 9% of both (CEPII's ``comlang_ethno``); 0 otherwise. The Chinese
varieties that GeoDist lists separately (Mandarin, Yue, Wu, Min Nan, Hakka) share one written
language, so they count as Chinese.

>>> sets = {"CHN": ({"Chinese"}, {"Chinese"}, {"Chinese"}), "SGP": ({"English", "Chinese"}, {"English"}, set()),
...         "USA": ({"English"}, {"English"}, {"Spanish"}), "MEX": ({"Spanish"}, {"Spanish"}, {"Spanish"})}
>>> language_proximity(sets, "CHN").to_dict(), float(language_proximity(sets, "USA")["MEX"])
({'SGP': 1.0, 'USA': 0.0, 'MEX': 0.0}, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from cultrade.store import Store

DIMENSIONS = ("pdi", "idv", "mas", "uai", "lto", "ivr")
MIN_DIMENSIONS = 4
ORIGINS = ("official", "insights", "insights estimate", "regional")

LanguageSets = dict[str, tuple[set[str], set[str], set[str]]]


@cache
def region_members() -> pd.DataFrame:
    """Hofstede's regional samples: hofstede_code, iso3, basis."""
    with resources.files("cultrade.risk").joinpath("data/hofstede_regions.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def hofstede_scores(table: pd.DataFrame, regions: pd.DataFrame | None = None,
                    members: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, origin): two iso3 x dimension frames, the score and where it came from.

    ``table`` is the store's ``hofstede`` table (iso3, the six dimensions, estimated, dataset);
    ``regions`` its ``hofstede_regions`` table (hofstede_code, the six dimensions).
    """
    members = region_members() if members is None else members
    layers: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    dims = [d for d in DIMENSIONS if d in table.columns]
    for dataset in ("official", "insights"):
        part = table[table["dataset"] == dataset] if "dataset" in table.columns else table
        part = part.drop_duplicates("iso3").set_index("iso3")
        if part.empty:
            continue
        est = part["estimated"].fillna(False).astype(bool) if "estimated" in part.columns else False
        label = np.where(est, f"{dataset} estimate", dataset) if dataset == "insights" else dataset
        origin = pd.DataFrame({d: label for d in dims}, index=part.index)
        layers.append((part[dims].astype(float), origin))
    if regions is not None and not regions.empty:
        reg = members.merge(regions, on="hofstede_code").drop_duplicates("iso3").set_index("iso3")
        layers.append((reg[dims].astype(float), pd.DataFrame("regional", index=reg.index, columns=dims)))
    index = pd.Index(sorted(set().union(*(s.index for s, _ in layers)))) if layers else pd.Index([])
    scores = pd.DataFrame(np.nan, index=index, columns=list(dims))
    origin = pd.DataFrame(None, index=index, columns=list(dims), dtype="object")
    for s, o in layers:
        s, o = s.reindex(index), o.reindex(index)
        fill = scores.isna() & s.notna()
        scores = scores.mask(fill, s)
        origin = origin.mask(fill, o)
    return scores.dropna(how="all"), origin.loc[scores.dropna(how="all").index]


def load_hofstede(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`hofstede_scores` of the store's ``hofstede`` and ``hofstede_regions`` tables (empty if not loaded)."""
    if not store.has_table("hofstede"):
        empty = pd.DataFrame(columns=list(DIMENSIONS))
        return empty, empty.copy()
    regions = store.frame("hofstede_regions") if store.has_table("hofstede_regions") else None
    return hofstede_scores(store.frame("hofstede"), regions)


def pair_distances(scores: pd.DataFrame, origins: Sequence[str] | None = None, *,
                   min_dimensions: int = MIN_DIMENSIONS) -> pd.DataFrame:
    """Kogut-Singh distance for ordered pairs (iso_o, iso_d, cultural_distance), from each origin in turn.

    >>> s = pd.DataFrame({"pdi": [10.0, 20.0, 30.0], "idv": [0.0, 0.0, 60.0]}, index=["A", "B", "C"])
    >>> d = pair_distances(s, min_dimensions=2).set_index(["iso_o", "iso_d"])["cultural_distance"]
    >>> float(d["A", "C"]), float(d["C", "A"]) == float(d["A", "C"])
    (3.5, True)
    """
    parts = []
    for origin in origins if origins is not None else scores.index:
        ks = kogut_singh(scores, origin, min_dimensions=min_dimensions)
        parts.append(pd.DataFrame({"iso_o": origin, "iso_d": ks.index, "cultural_distance": ks.to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=["iso_o", "iso_d", "cultural_distance"])
    out = pd.concat(parts, ignore_index=True)
    return out[out["iso_o"] != out["iso_d"]].dropna().reset_index(drop=True)


def kogut_singh(scores: pd.DataFrame, home: str, *, min_dimensions: int = MIN_DIMENSIONS) -> pd.Series:
    """Kogut-Singh distance of every country in ``scores`` from ``home``; NaN below ``min_dimensions``.

    >>> s = pd.DataFrame({"pdi": [10.0, 20.0, 30.0], "idv": [0.0, 0.0, 60.0]}, index=["A", "B", "C"])
    >>> kogut_singh(s, "A", min_dimensions=2).round(4).to_dict()   # V_pdi = 100, V_idv = 1200
    {'A': 0.0, 'B': 0.5, 'C': 3.5}
    """
    if home not in scores.index:
        return pd.Series(np.nan, index=scores.index, dtype=float)
    table = scores.astype(float)
    own = table.loc[home]
    terms = (table - own) ** 2 / table.var(ddof=1)
    terms.loc[:, own.isna().to_numpy()] = np.nan
    used = terms.notna().sum(axis=1)
    return (terms.sum(axis=1, min_count=1) / used).where(used >= min_dimensions).astype(float)


def _chinese(name: str) -> str:
    return "Chinese" if name.startswith("Chinese") else name


def language_sets(countries: pd.DataFrame) -> LanguageSets:
    """Per iso3: (official, spoken by >= 20%, spoken by >= 9%) language sets from ``geodist_countries``.

    The 20% set includes the official languages spoken that widely; the 9% set includes both others.
    """
    out: LanguageSets = {}
    for iso3, g in countries.groupby("iso3"):
        def split(col: str, g: pd.DataFrame = g) -> set[str]:
            if col not in g.columns:
                return set()
            return {_chinese(x.strip()) for v in g[col].dropna() for x in str(v).split("|") if x.strip()}
        official, s20, s9 = split("lang_official"), split("lang_spoken_20"), split("lang_spoken_9")
        out[str(iso3)] = (official, s20, s20 | s9 | official)
    return out


def language_proximity(sets: LanguageSets, home: str, pairs: pd.DataFrame | None = None) -> pd.Series:
    """Language proximity (0, 0.5, 0.75 or 1) of every country to ``home``; NaN where a side is unknown.

    ``pairs`` (GeoDist dyads with iso_o, iso_d, comlang_off, comlang_ethno) adds CEPII's own flags.
    """
    if home not in sets:
        return pd.Series(dtype=float)
    h_off, h20, h9 = sets[home]
    out = {}
    for iso3, (off, s20, s9) in sets.items():
        if iso3 == home:
            continue
        out[iso3] = 1.0 if h_off & off else 0.75 if h20 & s20 else 0.5 if h9 & s9 else 0.0
    result = pd.Series(out, dtype=float)
    if pairs is not None and not pairs.empty:
        rows = pairs[pairs["iso_o"] == home].drop_duplicates("iso_d").set_index("iso_d")
        flags = pd.Series(0.0, index=rows.index)
        if "comlang_ethno" in rows.columns:
            flags = flags.where(~(rows["comlang_ethno"] == 1), 0.5)
        if "comlang_off" in rows.columns:
            flags = flags.where(~(rows["comlang_off"] == 1), 1.0)
        flags = flags.reindex(result.index).fillna(0.0)
        result = pd.Series(np.maximum(result.to_numpy(), flags.to_numpy()), index=result.index)
    return result


__all__ = ["DIMENSIONS", "MIN_DIMENSIONS", "ORIGINS", "hofstede_scores", "kogut_singh", "language_proximity",
           "language_sets", "load_hofstede", "pair_distances", "region_members"]
