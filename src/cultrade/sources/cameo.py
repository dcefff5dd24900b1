"""CAMEO reference lookups: event codes with Goldstein values, actor types, country codes.

CAMEO (Conflict and Mediation Event Observations, Schrodt et al.) is the coding
scheme of GDELT's events. Four publisher files, one table each (the partition
is the file's kind, so each can be reloaded on its own):

* ``icewspkg_cameo_codes_goldstein.csv`` (the ``cameo-codes.csv`` of the ICEWS
  R package) → ``cameo_event_codes``: code, root, level, name, description,
  goldstein, quad_class. It is chosen over the py-gdelt JSON because its Goldstein
  values are the ones GDELT assigns (226 of the 230 codes seen in the 2025
  events agree; GDELT differs on 016, 022, 164, 1213). The file is cp1252
  holding UTF-8 text that once passed through MacRoman; the quotes are repaired.
* ``CAMEO.eventcodes.txt`` (GDELT's own lookup) → ``cameo_event_labels``:
  code, root, level, label, GDELT's wording of each code.
* ``cameo_actor_role_codes_from_manual_ch3.csv`` → ``cameo_actor_types``.
* ``cameo_country_codes_observed_gdelt2025.csv`` → ``cameo_countries``: code,
  most common actor name, iso3 (NULL for regions such as AFR or EUR), is_region.

QuadClass is not in any file: GDELT derives it from the root code, 01-05 verbal
cooperation (1), 06-09 material cooperation (2), 10-14 verbal conflict (3),
15-20 material conflict (4). This is what GDELT assigns in all 1,044,402 events
of the 2025 slices; the py-gdelt JSON puts roots 09 (investigate) and 14
(protest) one class higher, which GDELT's data contradicts.

>>> quad_class("190"), quad_class("0211"), quad_class("14"), quad_class("090")
(4, 1, 3, 2)
>>> repair_mojibake("Moscow\\u201a\\xc4\\xf4s will")
'Moscow’s will'
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, numeric, read_csv, unique
from cultrade.sources.registry import register

KINDS = {
    "codes": ("*cameo_codes_goldstein*.csv", "cameo-codes.csv"),
    "labels": ("CAMEO.eventcodes.txt", "*CAMEO.eventcodes.txt"),
    "actor_types": ("*actor_role_codes*.csv",),
    "countries": ("cameo_country_codes*.csv",),
}
_CODE = re.compile(r"^(0[1-9]|1[0-9]|20)[0-9]{0,2}$")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def quad_class(code: str) -> int:
    """GDELT's QuadClass for a CAMEO event code, from its two-digit root."""
    root = int(code[:2])
    return 1 if root <= 5 else 2 if root <= 9 else 3 if root <= 14 else 4


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as MacRoman (``‚Äô`` → ``’``); runs that do not decode are kept."""

    def fix(match: re.Match[str]) -> str:
        try:
            return match.group(0).encode("mac_roman").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group(0)

    return _NON_ASCII.sub(fix, text)


def file_kind(path: Path) -> str:
    """Which CAMEO file ``path`` is, from its name."""
    for kind, patterns in KINDS.items():
        if any(fnmatch(path.name, p) for p in patterns):
            return kind
    raise SourceFormatError("not a known CAMEO reference file", path=path,
                            hint=f"use one of {', '.join(p for ps in KINDS.values() for p in ps)}")


def _bad(path: Path, df: pd.DataFrame, mask: pd.Series, column: str, message: str, hint: str) -> None:
    if mask.any():
        pos = int(mask.to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"{message}: {df[column].iloc[pos]!r}", path=path,
                                row=int(df.attrs["line_offset"]) + pos, column=column, hint=hint)


def _check_codes(path: Path, df: pd.DataFrame, column: str) -> None:
    codes = df[column].str.strip()
    _bad(path, df, ~codes.str.match(_CODE), column, "not a CAMEO event code",
         "CAMEO event codes have 2-4 digits with a root from 01 to 20, as text with leading zeros")


@register
class CAMEO(TableAdapter):
    name = "cameo"
    title = "CAMEO event, actor type and country codes"
    publisher = "Schrodt et al. (CAMEO); GDELT Project; ICEWS R package"
    licence = "MIT / GDELT (free with citation)"
    bundle = True
    homepage = "https://parusanalytics.com/eventdata/data.dir/cameo.html"
    tables = ("cameo_event_codes", "cameo_event_labels", "cameo_actor_types", "cameo_countries")
    patterns = tuple(p for ps in KINDS.values() for p in ps)

    def partition(self, path: Path) -> str:
        return file_kind(path)

    def parse(self, path: Path) -> dict[str, Frame]:
        kind = file_kind(path)
        if kind == "codes":
            return {"cameo_event_codes": self._codes(path)}
        if kind == "labels":
            return {"cameo_event_labels": self._labels(path)}
        if kind == "actor_types":
            return {"cameo_actor_types": self._actor_types(path)}
        return {"cameo_countries": self._countries(path)}

    @staticmethod
    def _read(path: Path, required: tuple[str, ...], sep: str = ",") -> pd.DataFrame:
        raw = path.read_bytes()
        if b"\x00" in raw[:4096]:
            raise SourceFormatError("the file is UTF-16 or binary, not text", path=path, row=1,
                                    hint="save the file as UTF-8 (or cp1252, as the ICEWS package ships it)")
        try:
            return read_csv(path, required=required, sep=sep)
        except SourceFormatError as exc:
            if "not valid utf-8" not in exc.message:
                raise
        # The ICEWS file is cp1252: decode it so, then repair its mojibake.
        return read_csv(path, required=required, sep=sep, encoding="cp1252")

    def _codes(self, path: Path) -> pd.DataFrame:
        df = self._read(path, ("code", "name", "goldstein", "root_code", "description"))
        _check_codes(path, df, "code")
        _bad(path, df, df["root_code"] != df["code"].str[:2], "root_code",
             "root_code is not the code's first two digits", "root_code is the first two digits of the code")
        out = pd.DataFrame({
            "code": df["code"].astype("string"),
            "root": df["root_code"].astype("string"),
            "level": df["code"].str.len().map({2: 1, 3: 2, 4: 3}).astype("int8"),
            "name": df["name"].str.strip().astype("string"),
            "description": df["description"].replace({"NA": ""}).map(repair_mojibake).str.strip().astype("string"),
            "goldstein": numeric(df, "goldstein", lo=-10, hi=10),
        })
        out.attrs = df.attrs
        _bad(path, df, out["goldstein"].isna(), "goldstein", "missing Goldstein value", "every code has one")
        unique(out, ["code"], path=path)
        out["quad_class"] = out["code"].map(quad_class).astype("int8")
        return out.reset_index(drop=True)

    def _labels(self, path: Path) -> pd.DataFrame:
        df = self._read(path, ("CAMEOEVENTCODE", "EVENTDESCRIPTION"), sep="\t")
        _check_codes(path, df, "CAMEOEVENTCODE")
        _bad(path, df, df["EVENTDESCRIPTION"].str.strip() == "", "EVENTDESCRIPTION", "empty description",
             "every code has a description")
        unique(df, ["CAMEOEVENTCODE"], path=path)
        codes = df["CAMEOEVENTCODE"].str.strip()
        return pd.DataFrame({
            "code": codes.astype("string"),
            "root": codes.str[:2].astype("string"),
            "level": codes.str.len().map({2: 1, 3: 2, 4: 3}).astype("int8"),
            "label": df["EVENTDESCRIPTION"].str.strip().astype("string"),
            "quad_class": codes.map(quad_class).astype("int8"),
        })

    def _actor_types(self, path: Path) -> pd.DataFrame:
        df = self._read(path, ("code", "description"))
        _bad(path, df, ~df["code"].str.fullmatch(r"[A-Z]{3}"), "code", "not a three-letter CAMEO actor code",
             "actor type codes are three upper-case letters (GOV, MIL, BUS...)")
        _bad(path, df, df["description"].str.strip() == "", "description", "empty description",
             "every actor type has a description")
        unique(df, ["code"], path=path)
        return pd.DataFrame({"code": df["code"].astype("string"),
                             "description": df["description"].str.strip().astype("string")})

    def _countries(self, path: Path) -> pd.DataFrame:
        columns = ("cameo_country_code", "actor_name_most_common", "n_events_as_bare_country_actor")
        df = self._read(path, columns)
        df["n_events"] = numeric(df, "n_events_as_bare_country_actor", lo=0, integer=True)
        unique(df, ["cameo_country_code"], path=path)
        countries = get_countries()
        df["is_region"] = df["cameo_country_code"].map(lambda c: countries.is_aggregate(c, "cameo"))
        mapped = iso3_column(df, "cameo_country_code", "cameo", path=path, drop_aggregates=True)
        df["iso3"] = mapped["iso3"].reindex(df.index)
        return pd.DataFrame({
            "code": df["cameo_country_code"].astype("string"),
            "name": df["actor_name_most_common"].astype("string"),
            "iso3": df["iso3"].astype("string"),
            "is_region": df["is_region"].astype(bool),
            "n_events": df["n_events"],
        }).reset_index(drop=True)


__all__ = ["CAMEO", "KINDS", "file_kind", "quad_class", "repair_mojibake"]
