"""UCDP conflict data: the UCDP/PRIO Armed Conflict Dataset (ACD) and GED events.

The ACD has one row per conflict and year. ``gwno_loc`` names the
Gleditsch-Ward codes of the countries whose territory the conflict is fought
on, several for interstate wars ("651, 666"), so each row is exploded to one
row per location country. ``intensity_level`` 1 means 25-999 battle-related
deaths in the year, 2 means 1,000 or more (a war). The country-year summary in
``obs_ucdp`` counts distinct conflicts located in the country.

GED (Georeferenced Event Dataset) has one row per event with a best, low and
high estimate of deaths; ``country_id`` is the Gleditsch-Ward code of the
country the event happened in. Files may be plain or gzipped CSV; each file is
its own partition, so country extracts can coexist.

>>> split_gwno("651, 666")
['651', '666']
>>> UCDPGED().partition(Path("ged231_myanmar.csv.gz"))
'ged231_myanmar'
"""

from __future__ import annotations

import gzip
import re
import tempfile
import zlib
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, unique
from cultrade.sources.registry import register

ACD_COLUMNS = ("conflict_id", "location", "side_a", "side_b", "incompatibility", "territory_name", "year",
               "intensity_level", "type_of_conflict", "start_date", "ep_end", "gwno_loc", "region", "version")
GED_COLUMNS = ("id", "year", "type_of_violence", "conflict_new_id", "conflict_name", "dyad_new_id", "side_a",
               "side_b", "country", "country_id", "region", "where_prec", "latitude", "longitude", "event_clarity",
               "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
               "deaths_unknown", "best", "low", "high")
# The largest one-day GED death estimates are in the hundreds of thousands (Rwanda 1994).
MAX_EVENT_DEATHS = 1_000_000


def split_gwno(value: str) -> list[str]:
    """The Gleditsch-Ward codes in one ``gwno_loc`` cell."""
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _checked(df: pd.DataFrame, column: str, allowed: set[int], path: Path) -> pd.Series:
    values = numeric(df, column, path=path, integer=True)
    bad = values.isna() | ~values.isin(list(allowed))
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"value {df[column].iloc[pos]!r} is not one of {sorted(allowed)}", path=path,
                                row=int(df.attrs["line_offset"]) + pos, column=column,
                                hint="see the UCDP codebook for the codes this column may hold")
    return values


@register
class UCDP(TableAdapter):
    name = "ucdp"
    title = "UCDP/PRIO Armed Conflict Dataset"
    publisher = "Uppsala Conflict Data Program (UCDP) and PRIO"
    licence = "CC BY 4.0"
    bundle = True
    homepage = "https://ucdp.uu.se/downloads/"
    tables = ("ucdp_conflicts", "obs_ucdp")
    patterns = ("UcdpPrioConflict_v*.csv", "ucdp_prio_acd_v*.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"v(\d+)_(\d+)", path.name)
        return f"v{match.group(1)}.{match.group(2)}" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=ACD_COLUMNS)
        df = df.assign(
            conflict_id=numeric(df, "conflict_id", lo=1, integer=True),
            year=numeric(df, "year", lo=1946, hi=2100, integer=True, required=True),
            intensity_level=_checked(df, "intensity_level", {1, 2}, path),
            type_of_conflict=_checked(df, "type_of_conflict", {1, 2, 3, 4}, path),
            incompatibility=_checked(df, "incompatibility", {1, 2, 3}, path),
        )
        unique(df, ["conflict_id", "year"], path=path)
        empty = df["gwno_loc"].str.strip() == ""
        if empty.any():
            pos = int(empty.to_numpy().nonzero()[0][0])
            raise SourceFormatError("the conflict has no location country", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="gwno_loc",
                                    hint="gwno_loc lists the Gleditsch-Ward codes of the location countries")
        df["gwno"] = df["gwno_loc"].map(split_gwno)
        rows = df.explode("gwno")
        try:
            conflicts = iso3_column(rows.reset_index(drop=True), "gwno", "gw", path=path)
        except UnknownCountryError as exc:
            # After the explode, positions are not lines: point at the conflict-year the code came from.
            first = rows.index[(rows["gwno"] == exc.value).to_numpy()][0]
            raise UnknownCountryError(exc.value, scheme="gw", suggestions=exc.suggestions, path=path,
                                      row=int(df.attrs["line_offset"]) + int(first), column="gwno_loc") from None
        if len(conflicts) != len(rows):
            raise SourceFormatError("gwno_loc lists an aggregate, not a country", path=path, column="gwno_loc",
                                    hint="gwno_loc must list the Gleditsch-Ward codes of countries")
        conflicts["gwno"] = conflicts["gwno"].astype(int)
        keep = ["conflict_id", "year", "gwno", "iso3", "location", "side_a", "side_b", "incompatibility",
                "territory_name", "intensity_level", "type_of_conflict", "start_date", "ep_end", "region",
                "version"]
        conflicts = conflicts[keep].reset_index(drop=True)
        return {"ucdp_conflicts": conflicts, "obs_ucdp": country_year(conflicts)}


def country_year(conflicts: pd.DataFrame) -> pd.DataFrame:
    """Conflicts located in each country and year: count, highest intensity, war flag, wars.

    >>> rows = pd.DataFrame({"iso3": ["SYR", "SYR"], "year": [2015, 2015], "conflict_id": [1, 2],
    ...                      "intensity_level": [2, 1]})
    >>> country_year(rows).set_index("indicator")["value"].to_dict()
    {'n_conflicts': 2.0, 'max_intensity': 2.0, 'war': 1.0, 'n_war_level': 1.0}
    """
    per = conflicts.drop_duplicates(["iso3", "year", "conflict_id"])
    grouped = per.groupby(["iso3", "year"])
    summary = pd.DataFrame({
        "n_conflicts": grouped["conflict_id"].nunique(),
        "max_intensity": grouped["intensity_level"].max(),
        "n_war_level": grouped["intensity_level"].agg(lambda s: int((s == 2).sum())),
    }).reset_index()
    summary["war"] = (summary["max_intensity"] == 2).astype(int)
    frames = [long_obs(summary, indicator=v, value=v)
              for v in ("n_conflicts", "max_intensity", "war", "n_war_level")]
    out = pd.concat(frames, ignore_index=True)
    return out


def _read_maybe_gzip(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Plain or gzipped CSV through the strict reader; errors name ``path``, not a temp file."""
    raw = path.read_bytes()
    if not raw.startswith(b"\x1f\x8b"):
        return read_csv(path, required=required)
    try:
        data = gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise SourceFormatError(f"the gzip stream is damaged ({exc})", path=path,
                                hint="the file is truncated; download it again") from exc
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / path.name.removesuffix(".gz")
        plain.write_bytes(data)
        try:
            df = read_csv(plain, required=required)
        except SourceFormatError as exc:
            raise SourceFormatError(exc.message, path=path, row=exc.row, column=exc.column,
                                    hint=exc.hint) from None
    df.attrs["path"] = str(path)
    return df


@register
class UCDPGED(TableAdapter):
    name = "ucdp_ged"
    title = "UCDP Georeferenced Event Dataset"
    publisher = "Uppsala Conflict Data Program (UCDP)"
    licence = "CC BY 4.0"
    bundle = True
    homepage = "https://ucdp.uu.se/downloads/"
    tables = ("ucdp_ged_events", "obs_ucdp_ged")
    patterns = ("ged*.csv", "ged*.csv.gz", "GEDEvent_v*.csv")

    def partition(self, path: Path) -> str:
        return path.name.removesuffix(".gz").removesuffix(".csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"ged(\d\d)(\d)", path.name, re.IGNORECASE)
        return f"GED {match.group(1)}.{match.group(2)}" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = _read_maybe_gzip(path, GED_COLUMNS)
        out = df.assign(
            id=numeric(df, "id", lo=1, integer=True, required=True),
            year=numeric(df, "year", lo=1989, hi=2100, integer=True, required=True),
            type_of_violence=_checked(df, "type_of_violence", {1, 2, 3}, path),
            conflict_new_id=numeric(df, "conflict_new_id", integer=True),
            dyad_new_id=numeric(df, "dyad_new_id", integer=True),
            where_prec=numeric(df, "where_prec", lo=1, hi=7, integer=True),
            date_prec=numeric(df, "date_prec", lo=1, hi=5, integer=True),
            event_clarity=numeric(df, "event_clarity", lo=1, hi=2, integer=True),
            latitude=numeric(df, "latitude", lo=-90, hi=90),
            longitude=numeric(df, "longitude", lo=-180, hi=180),
            date_start=pd.to_datetime(df["date_start"].str[:10], errors="coerce"),
            date_end=pd.to_datetime(df["date_end"].str[:10], errors="coerce"),
            **{c: numeric(df, c, lo=0, hi=MAX_EVENT_DEATHS, integer=True)
               for c in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "low", "high")},
        )
        out.attrs = df.attrs
        unique(out, ["id"], path=path)
        events = iso3_column(out, "country_id", "gw", path=path)
        events["country_id"] = events["country_id"].astype(int)
        keep = ["id", "year", "type_of_violence", "conflict_new_id", "conflict_name", "dyad_new_id", "side_a",
                "side_b", "country", "country_id", "iso3", "region", "where_prec", "latitude", "longitude",
                "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
                "deaths_civilians", "deaths_unknown", "best", "low", "high"]
        events = events[keep].reset_index(drop=True)
        grouped = events.groupby(["iso3", "year"])
        per = pd.DataFrame({"events": grouped["id"].count(), "deaths_best": grouped["best"].sum()}).reset_index()
        obs = pd.concat([long_obs(per, indicator=v, value=v) for v in ("events", "deaths_best")],
                        ignore_index=True)
        return {"ucdp_ged_events": events, "obs_ucdp_ged": obs}
