"""One place where every country code and name becomes ISO3.

The table ``data/countries.csv`` is built by ``scripts/build_country_reference.py``
from the bundled references (datahub ISO/M49, World Bank FY25 metadata, GDELT's
FIPS table, CAMEO codes, BACI codes, Gleditsch-Ward codes). Each scheme is
looked up explicitly, because codes collide across schemes ("AU" is Australia in
ISO2 but Austria in FIPS).

>>> c = get_countries()
>>> c.to_iso3("ROM", "wb"), c.to_iso3("AS", "fips"), c.to_iso3("AU", "iso2"), c.to_iso3(750, "gw")
('ROU', 'AUS', 'AUS', 'IND')
>>> c.to_iso3("Cote d'Ivoire", "name"), c.to_iso3("842", "baci"), c.to_iso3("156", "m49")
('CIV', 'USA', 'CHN')
>>> c.is_aggregate("WLD", "wb"), c.is_aggregate("AFR", "cameo"), c.is_aggregate("FRA", "iso3")
(True, True, False)
>>> c.to_iso3("Qqqq Zzzz", "name")
Traceback (most recent call last):
...
cultrade.errors.UnknownCountryError: unknown country 'Qqqq Zzzz' (scheme name). Fix: use an ISO3 code, or add the spelling to the aliases in countries.csv
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

import pandas as pd

from cultrade.errors import ConfigError, UnknownCountryError

Scheme = Literal["iso3", "iso2", "m49", "baci", "wb", "fips", "cameo", "gw", "name", "auto"]
SCHEMES: tuple[str, ...] = get_args(Scheme)
_CODE_SCHEMES = ("iso3", "iso2", "m49", "baci", "wb", "fips", "cameo", "gw")
_MULTI = ("wb", "fips", "cameo", "gw", "baci")


def _fold(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key for names."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"\(the\)|\bthe\b", " ", text.casefold())
    text = text.replace("&", " and ").replace("st.", "saint").replace("st ", "saint ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _numeric_key(value: str) -> str:
    value = value.strip()
    try:
        return str(int(float(value)))
    except (ValueError, OverflowError):  # not a number, or inf
        return value


@dataclass(frozen=True)
class Country:
    iso3: str
    iso2: str
    m49: str
    name: str
    name_zh: str
    region: str
    income: str
    historical: bool


class Countries:
    """Lookup tables for every scheme, built once per process."""

    def __init__(self, table: pd.DataFrame, aggregates: pd.DataFrame) -> None:
        self.table = table.set_index("iso3", drop=False)
        self._maps: dict[str, dict[str, str]] = {s: {} for s in _CODE_SCHEMES}
        self._names: dict[str, str] = {}
        for row in table.to_dict("records"):
            iso3 = row["iso3"]
            self._maps["iso3"][iso3] = iso3
            if row["iso2"]:
                self._maps["iso2"][row["iso2"]] = iso3
            if row["m49"]:
                self._maps["m49"][_numeric_key(row["m49"])] = iso3
            for scheme in _MULTI:
                for code in filter(None, str(row[scheme]).split("|")):
                    key = _numeric_key(code) if scheme in ("gw", "baci") else code
                    self._maps[scheme].setdefault(key, iso3)
            for name in [row["name"], iso3, *filter(None, str(row["aliases"]).split("|"))]:
                self._names.setdefault(_fold(name), iso3)
        # The World Bank and CAMEO codes are ISO3 for nearly everyone.
        for scheme in ("wb", "cameo"):
            for iso3 in self._maps["iso3"]:
                self._maps[scheme].setdefault(iso3, iso3)
        self._aggregates: dict[str, dict[str, str]] = {}
        for row in aggregates.to_dict("records"):
            self._aggregates.setdefault(row["scheme"], {})[row["code"]] = row["name"]
            self._names.pop(_fold(row["name"]), None)

    # -- lookups -------------------------------------------------------------------
    def to_iso3(self, value: object, scheme: Scheme = "auto") -> str:
        """ISO3 for ``value`` in ``scheme``; raises :class:`UnknownCountryError` with close matches."""
        if scheme not in SCHEMES:
            raise ConfigError(f"unknown country scheme {scheme!r}", hint=f"use one of {', '.join(SCHEMES)}")
        text = str(value).strip()
        found = self._lookup(text, scheme)
        if found is None:
            raise UnknownCountryError(value, scheme=scheme, suggestions=self.suggest(text, scheme))
        return found

    def _lookup(self, text: str, scheme: str) -> str | None:
        if scheme == "auto":
            for s in ("iso3", "wb", "iso2", "m49", "name"):
                hit = self._lookup(text, s)
                if hit:
                    return hit
            return None
        if scheme == "name":
            return self._names.get(_fold(text))
        if scheme in ("m49", "gw", "baci"):
            return self._maps[scheme].get(_numeric_key(text))
        return self._maps[scheme].get(text.upper())

    def try_iso3(self, value: object, scheme: Scheme = "auto") -> str | None:
        """Like :meth:`to_iso3` but ``None`` for unknown values."""
        return self._lookup(str(value).strip(), scheme)

    def to_iso3_many(self, values: Iterable[object], scheme: Scheme = "auto") -> list[str]:
        """Vectorised :meth:`to_iso3`, resolving each distinct value once."""
        cache_: dict[object, str] = {}
        out = []
        for v in values:
            if v not in cache_:
                cache_[v] = self.to_iso3(v, scheme)
            out.append(cache_[v])
        return out

    def suggest(self, text: str, scheme: str = "auto", n: int = 3) -> list[str]:
        """Close matches among codes and names, as 'KEY (ISO3)'."""
        if scheme in ("name", "auto"):
            keys = difflib.get_close_matches(_fold(text), self._names.keys(), n=n, cutoff=0.6)
            return [f"{self.name(self._names[k])} ({self._names[k]})" for k in keys]
        pool = self._maps.get(scheme, {})
        keys = difflib.get_close_matches(text.upper(), pool.keys(), n=n, cutoff=0.5)
        return [f"{k} ({pool[k]})" for k in keys]

    def is_aggregate(self, code: object, scheme: Scheme = "auto") -> bool:
        """World Bank, OWID and CAMEO regional aggregates (WLD, EUU, HIC, OWID_WRL, AFR...)."""
        text = str(code).strip().upper()
        if text.startswith("OWID_") or text in {"WORLD", "WLD"}:
            return True
        if scheme == "cameo":
            return text in self._aggregates.get("cameo", {})
        if scheme in ("name",):
            return _fold(text) in {_fold(n) for n in self._aggregates.get("wb", {}).values()}
        return text in self._aggregates.get("wb", {}) and text not in self._maps["iso3"]

    def country(self, iso3: str) -> Country:
        if iso3 not in self.table.index:
            raise UnknownCountryError(iso3, scheme="iso3", suggestions=self.suggest(iso3, "iso3"))
        row = self.table.loc[iso3].to_dict()
        return Country(iso3, str(row["iso2"]), str(row["m49"]), str(row["name"]), str(row["name_zh"]),
                       str(row["region"]), str(row["income"]), bool(row["historical"]))

    def name(self, iso3: str) -> str:
        return self.country(iso3).name

    def region(self, iso3: str) -> str:
        """World Bank region (FY25); empty for economies the Bank does not cover."""
        return self.country(iso3).region

    def codes(self, *, include_historical: bool = False) -> list[str]:
        t = self.table if include_historical else self.table[~self.table["historical"]]
        return sorted(t["iso3"])

    def aggregates(self, scheme: str = "wb") -> dict[str, str]:
        return dict(self._aggregates.get(scheme, {}))


def _read_reference(name: str) -> pd.DataFrame:
    with resources.files("cultrade.data").joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def get_countries() -> Countries:
    """The process-wide normaliser, loaded from the bundled reference on first use."""
    table = _read_reference("countries.csv")
    table["historical"] = table["historical"] == "True"
    return Countries(table, _read_reference("aggregates.csv"))


def to_iso3(value: object, scheme: Scheme = "auto") -> str:
    """Shortcut for ``get_countries().to_iso3``."""
    return get_countries().to_iso3(value, scheme)


__all__ = ["SCHEMES", "Countries", "Country", "Scheme", "get_countries", "to_iso3"]
