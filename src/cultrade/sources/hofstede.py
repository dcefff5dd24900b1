"""Hofstede's six cultural dimensions: the official 2015 matrix and the Insights scrape.

*Official* (geerthofstede.com "6 dimensions for website 2015-08-16"), as .xls
or as a semicolon CSV: ``ctr;country;pdi;idv;mas;uai;ltowvs;ivr``. ``ctr`` is
Hofstede's own 3-letter code, which is not ISO3 and collides with it (``MNG``
is Montenegro, ``SLV`` Slovenia, ``CAF`` French-speaking Canada), so countries
are matched by name. Missing scores are ``#NULL!`` (an error cell in the .xls).
The matrix also scores regions and sub-national groups; they are no country's
scores: they go to table ``hofstede_regions`` (hofstede_code, region, the six
scores), listed in :data:`NOT_COUNTRIES`. A few abbreviated names
are spelled out through :data:`SPELLINGS` before the lookup.

*Insights scrape* (hofstede-insights.com country comparison, 2021), no header:
``id,name,slug,pdi,idv,mas,uai,lto,ivr,ivr,adjective``; a ``*`` after the name
marks estimated scores, ``-1`` or an empty cell a missing one.

Both go to table ``hofstede`` (iso3, pdi, idv, mas, uai, lto, ivr, estimated,
source_row_name, hofstede_code, dataset); ``dataset`` ('official' or
'insights') is also the partition, so the two coexist. The official matrix
does not flag estimates, so ``estimated`` is empty there. Scores are 0-100
by construction, with a few published above 100 (UAI Greece 112), hence the
0-120 range check.

Licence: free for academic and non-commercial research with citation; the
project may bundle it with :data:`CITATION`.

>>> from cultrade.sources import get_adapter
>>> SPELLINGS["U.S.A."]
'United States'
>>> get_adapter("hofstede").partition(Path("hofstede_insights_country_comparison_scrape.csv"))
'insights'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, numeric, read_csv, unique
from cultrade.sources.registry import register

CITATION = ("Hofstede, G., Hofstede, G. J. & Minkov, M. (2010). Cultures and Organizations: Software of "
            "the Mind. Revised and expanded 3rd edition. New York: McGraw-Hill. Data: "
            "https://geerthofstede.com/research-and-vsm/dimension-data-matrix/")
OFFICIAL_COLUMNS = ("ctr", "country", "pdi", "idv", "mas", "uai", "ltowvs", "ivr")
INSIGHTS_COLUMNS = ("id", "name", "slug", "pdi", "idv", "mas", "uai", "lto", "ivr", "ivr_dup", "adjective")
DIMENSIONS = ("pdi", "idv", "mas", "uai", "lto", "ivr")
# Rows of the official matrix that are regions or sub-national groups.
NOT_COUNTRIES = {
    "AFE": "Africa East", "AFW": "Africa West", "ARA": "Arab countries",
    "BEF": "Belgium French", "BEN": "Belgium Netherl", "CAF": "Canada French",
    "GEE": "Germany East", "SAW": "South Africa white",
    "SWF": "Switzerland French", "SWG": "Switzerland German",
}
# Hofstede's abbreviations, spelled the way the country reference knows them.
SPELLINGS = {
    "Czech Rep": "Czech Republic", "Dominican Rep": "Dominican Republic",
    "Great Britain": "United Kingdom", "Kyrgyz Rep": "Kyrgyz Republic",
    "Macedonia Rep": "North Macedonia", "Slovak Rep": "Slovak Republic", "U.S.A.": "United States",
}
MISSING = ("", "#NULL!", "-1", "NA")


def _xls_frame(path: Path) -> pd.DataFrame:
    """The first worksheet of the .xls as text cells; error cells become '#NULL!'."""
    import xlrd

    if not path.read_bytes()[:1]:
        raise SourceFormatError("the file is empty", path=path, hint="download the file again")
    try:
        book = xlrd.open_workbook(str(path))
    except Exception as exc:  # xlrd raises assorted errors on damaged binary workbooks
        raise SourceFormatError(f"not a readable .xls workbook ({exc})", path=path,
                                hint="the file may be truncated or not an Excel 97 file; download it again") from exc
    sheet = book.sheet_by_index(0)

    def text(cell: xlrd.sheet.Cell) -> str:
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return "#NULL!"
        if cell.ctype == xlrd.XL_CELL_NUMBER:
            return repr(float(cell.value))
        return str(cell.value).strip()

    rows = [[text(c) for c in sheet.row(i)] for i in range(sheet.nrows)]
    if len(rows) < 2:
        raise SourceFormatError("the worksheet has no data rows", path=path, hint="download the complete file")
    df = pd.DataFrame(rows[1:], columns=rows[0], dtype=str)
    missing = [c for c in OFFICIAL_COLUMNS if c not in df.columns]
    if missing:
        raise SourceFormatError(f"missing columns {missing}; found {rows[0][:12]}", path=path, row=1,
                                hint="use Hofstede's '6 dimensions for website' workbook unchanged")
    df.attrs.update(line_offset=2, path=str(path))
    return df


@register
class Hofstede(TableAdapter):
    name = "hofstede"
    title = "Hofstede 6-D cultural dimensions"
    publisher = "Geert Hofstede (dimension data matrix); Hofstede Insights"
    licence = "free for academic/non-commercial research use with citation (no open licence)"
    bundle = True
    homepage = "https://geerthofstede.com/research-and-vsm/dimension-data-matrix/"
    tables = ("hofstede", "hofstede_regions")
    patterns = ("hofstede_6d_*_official.xls", "hofstede_6d_*_official.csv", "6-dimensions-for-website-*.*",
                "hofstede_insights_*.csv")

    def partition(self, path: Path) -> str:
        name = path.name.lower()
        return "insights" if "insights" in name or "scrape" in name else "official"

    def vintage(self, path: Path) -> str:
        match = re.search(r"\d{4}-\d{2}-\d{2}", path.name)
        return match.group(0) if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        if self.partition(path) == "insights":
            return {"hofstede": self._insights(path)}
        xls = path.suffix.lower() == ".xls"
        df = _xls_frame(path) if xls else read_csv(path, required=OFFICIAL_COLUMNS, sep=";")
        df = df.rename(columns={"ltowvs": "lto"})
        return {"hofstede": self._official(df, path), "hofstede_regions": _regions(df, path)}

    def _official(self, df: pd.DataFrame, path: Path) -> pd.DataFrame:
        unique(df, ["ctr"], path=path)
        out = _scores(df, path)
        out["hofstede_code"] = df["ctr"].str.strip()
        out["source_row_name"] = df["country"].str.strip()
        out["country"] = out["source_row_name"].replace(SPELLINGS)
        out = iso3_column(out, "country", "name", path=path, skip=NOT_COUNTRIES.values())
        return _finish(out, path, estimated=None, dataset="official")

    def _insights(self, path: Path) -> pd.DataFrame:
        df = read_csv(path, header=None, names=INSIGHTS_COLUMNS)
        offset = int(df.attrs["line_offset"])
        short = df["adjective"].isna()
        if short.any():
            pos = int(short.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"the row has fewer than {len(INSIGHTS_COLUMNS)} fields", path=path,
                                    row=offset + pos, hint=f"the scrape's columns are {', '.join(INSIGHTS_COLUMNS)}")
        unique(df, ["id"], path=path)
        out = _scores(df, path)
        dup = numeric(df, "ivr_dup", path=path, missing=MISSING, lo=0, hi=120)
        differs = out["ivr"].fillna(-1) != dup.fillna(-1)
        if differs.any():
            pos = int(differs.to_numpy().nonzero()[0][0])
            raise SourceFormatError("the two IVR columns disagree", path=path, row=offset + pos, column="ivr_dup",
                                    hint="the scrape repeats IVR in column 10; check that columns did not shift")
        name = df["name"].str.strip()
        out["source_row_name"] = name
        out["hofstede_code"] = pd.NA
        out["name"] = name.str.rstrip("*").str.strip()
        flag = name.str.endswith("*")
        out = iso3_column(out, "name", "name", path=path)
        return _finish(out, path, estimated=flag.loc[out.index], dataset="insights")


def _regions(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The regional and sub-national rows of the official matrix (Hofstede's own codes)."""
    codes = df["ctr"].str.strip()
    rows = df[codes.isin(list(NOT_COUNTRIES))]
    out = _scores(rows, path)
    out.insert(0, "region", rows["country"].str.strip().to_numpy())
    out.insert(0, "hofstede_code", codes[rows.index].to_numpy())
    return out.astype({"hofstede_code": "string", "region": "string"}).reset_index(drop=True)


def _scores(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    out = pd.DataFrame({d: numeric(df, d, path=path, missing=MISSING, lo=0, hi=120) for d in DIMENSIONS})
    out.attrs = df.attrs
    return out


def _finish(out: pd.DataFrame, path: Path, *, estimated: pd.Series | None, dataset: str) -> pd.DataFrame:
    unique(out, ["iso3"], path=path)
    flag = estimated if estimated is not None else pd.Series(pd.NA, index=out.index, dtype="boolean")
    out = out.assign(estimated=flag, dataset=dataset)
    cols = ["iso3", *DIMENSIONS, "estimated", "source_row_name", "hofstede_code", "dataset"]
    return out[cols].astype({"iso3": "string", "estimated": "boolean", "source_row_name": "string",
                             "hofstede_code": "string", "dataset": "string"}).reset_index(drop=True)
