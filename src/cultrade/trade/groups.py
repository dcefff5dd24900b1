"""Country groups for regional growth: World Bank regions, bundled groups and the user's own list.

Bundled groups (``trade/data/country_groups.csv``): ASEAN, GCC, EU27 and
US-EU-Japan, each row citing its basis. A user list is a CSV with columns
``group, iso3`` (any country scheme the normaliser knows is accepted in iso3,
e.g. names); it adds groups or replaces bundled groups of the same name.

>>> g = load_groups()
>>> sorted(g[g.group == "GCC"].iso3)
['ARE', 'BHR', 'KWT', 'OMN', 'QAT', 'SAU']
>>> "East Asia & Pacific" in set(g.group)
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError
from cultrade.sources.base import iso3_column, read_csv, unique


def bundled_groups() -> pd.DataFrame:
    with resources.files("cultrade.trade").joinpath("data/country_groups.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)[["group", "iso3"]]


def world_bank_regions() -> pd.DataFrame:
    table = get_countries().table
    table = table[(table["region"] != "") & ~table["historical"]]
    return pd.DataFrame({"group": table["region"].to_numpy(), "iso3": table["iso3"].to_numpy()})


def read_user_groups(path: str | Path) -> pd.DataFrame:
    """A user's CSV of ``group, iso3`` rows, validated (unknown countries name their line)."""
    df = read_csv(path, required=("group", "iso3"))
    blank = df["group"].str.strip() == ""
    if blank.any():
        pos = int(blank.to_numpy().nonzero()[0][0])
        raise SourceFormatError("empty group name", path=path, row=df.attrs["line_offset"] + pos, column="group",
                                hint="give every row a group name")
    out = iso3_column(df.rename(columns={"iso3": "country"}), "country", "auto", path=path)
    out = out.assign(group=out["group"].str.strip())[["group", "iso3"]]
    out.attrs = df.attrs
    unique(out, ["group", "iso3"], path=path)
    return out.reset_index(drop=True)


def load_groups(user: str | Path | None = None, *, regions: bool = True) -> pd.DataFrame:
    """World Bank regions (optional) + bundled groups, with a user list layered on top."""
    parts = [world_bank_regions()] if regions else []
    parts.append(bundled_groups())
    out = pd.concat(parts, ignore_index=True)
    if user is not None:
        mine = read_user_groups(user)
        out = pd.concat([out[~out["group"].isin(set(mine["group"]))], mine], ignore_index=True)
    return out.drop_duplicates().reset_index(drop=True)


__all__ = ["bundled_groups", "load_groups", "read_user_groups", "world_bank_regions"]
