"""Country codes and articles of GDELT events: the code mapping and counting helpers the country signals
(:mod:`cultrade.monitor.signals`) and the dyad counts (:mod:`cultrade.monitor.dyads`) share.

Countries are positions in :func:`country_index` (every ISO3 of :mod:`cultrade.countries`, historical ones
included). :class:`CodeMapper` maps ``ActionGeo_CountryCode`` (FIPS 10-4) and the actors' CAMEO country codes
to those positions: regional CAMEO codes (AFR, EUR...) and the FIPS codes of
:data:`cultrade.sources.gdelt.FIPS_NO_COUNTRY` (oceans, disputed islands) belong to no country (-1), and codes
the reference does not know are -1 too and remembered as ``unmapped`` (a monitor must not stop on one odd
code). An *article* is a distinct ``SOURCEURL`` (:func:`article_codes`); :func:`count_articles` counts the
distinct articles per country (or pair) and event group.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pyarrow as pa

from cultrade.countries import get_countries
from cultrade.sources.gdelt import CAMEO_TERRITORIES, FIPS_NO_COUNTRY


@cache
def country_index() -> tuple[str, ...]:
    """Every ISO3 a signal can have (the reference's codes, historical included), in a fixed order."""
    return tuple(get_countries().codes(include_historical=True))


@cache
def iso3_position() -> dict[str, int]:
    return {c: i for i, c in enumerate(country_index())}


class CodeMapper:
    """FIPS (ActionGeo) and CAMEO (actors) codes → positions in :func:`country_index`; -1 for none."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], int] = {}
        self.unmapped: set[tuple[str, str]] = set()

    def code(self, code: str, scheme: str) -> int:
        key = (scheme, code)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        countries = get_countries()
        iso3: str | None
        if scheme == "cameo" and code in CAMEO_TERRITORIES:
            iso3 = CAMEO_TERRITORIES[code]
        elif (scheme == "fips" and code in FIPS_NO_COUNTRY) or (
                scheme == "cameo" and countries.is_aggregate(code, "cameo")):
            iso3 = None
        else:
            iso3 = countries.try_iso3(code, "fips" if scheme == "fips" else "cameo")
            if iso3 is None:
                self.unmapped.add(key)
        pos = iso3_position().get(iso3, -1) if iso3 else -1
        self._cache[key] = pos
        return pos

    def positions(self, column: pa.ChunkedArray | pa.Array, scheme: str) -> tuple[np.ndarray, int]:
        """Positions for a string column (NULL and empty → -1) and how many non-empty codes were unknown."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        encoded = column.dictionary_encode()
        values = encoded.dictionary.to_pylist()
        table = np.array([self.code(v, scheme) if v else -1 for v in values] + [-1], dtype=np.int32)
        idx = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
        out = table[idx]
        unknown = {i for i, v in enumerate(values) if v and (scheme, v) in self.unmapped}
        n_unknown = int(np.isin(idx, list(unknown)).sum()) if unknown else 0
        return out, n_unknown



def base_mask(column: pa.ChunkedArray | pa.Array, codes: Sequence[str]) -> np.ndarray:
    """Per value of a string column, whether it is one of ``codes`` (NULL: no)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = column.dictionary_encode()
    values = encoded.dictionary.to_pylist()
    table = np.array([v in codes for v in values] + [False])
    return table[encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)]


def article_codes(events: pa.Table) -> tuple[np.ndarray, int]:
    """A code per event for its article (``SOURCEURL``; an event without one is an article of its own) and
    the number of codes.

    >>> codes, n = article_codes(pa.table({"SOURCEURL": ["a", "b", "a", None]}))
    >>> codes.tolist(), n
    ([0, 1, 0, 2], 3)
    """
    column = events.column("SOURCEURL")
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = column.dictionary_encode()
    n_dict = len(encoded.dictionary)
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    missing = np.flatnonzero(codes < 0)
    codes[missing] = n_dict + np.arange(len(missing))
    return codes, n_dict + len(missing)


def count_articles(groups: np.ndarray, article: np.ndarray, n_articles: int, masks: dict[str, np.ndarray],
                   n_groups: int) -> dict[str, np.ndarray]:
    """Distinct articles per group (e.g. country) and mask: ``groups`` and ``article`` are aligned codes of
    (event, group) pairs, ``masks`` are per pair.

    >>> count_articles(np.array([0, 0, 1, 0]), np.array([5, 5, 5, 6]), 7, {"all": np.ones(4, dtype=bool)}, 2)
    {'all': array([2, 1])}
    """
    key = groups.astype(np.int64) * n_articles + article
    return {name: np.bincount(np.unique(key[mask]) // n_articles, minlength=n_groups) for name, mask in masks.items()}


__all__ = ["CodeMapper", "article_codes", "base_mask", "count_articles", "country_index", "iso3_position"]
