"""The Harmonized System: the HS 2022 nomenclature and concordances between editions.

Two publishers' layouts:

* the datahub ``harmonized-system`` data package (``datapackage.json`` naming
  ``sections.csv`` and ``harmonized-system.csv``): sections, chapters (2 digits),
  headings (4) and subheadings (6), each with its parent;
* the ``concordance`` package (Kim et al.) files ``hsX_hsY.csv`` (six-, four-
  and two-digit columns for both editions) and ``hsX_desc.csv`` (descriptions),
  where hs0 = HS1992, hs1 = HS1996, ... hs5 = HS2017, hs6 = HS2022.

>>> EDITION_OF["hs5"], EDITION_OF["hs6"]
('HS17', 'HS22')
>>> HSConcordance().partition(Path("hs6_hs5.csv"))
'HS22-HS17'
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, read_csv, read_text, unique
from cultrade.sources.registry import register

EDITION_OF = {"hs0": "HS92", "hs1": "HS96", "hs2": "HS02", "hs3": "HS07", "hs4": "HS12", "hs5": "HS17",
              "hs6": "HS22"}
_ROMAN = re.compile(r"^[IVXL]+$")


def _codes(df: pd.DataFrame, column: str, path: Path, *, lengths: tuple[int, ...] = (6,)) -> pd.Series:
    """HS codes as text with their leading zeros; anything else names its line."""
    codes = df[column].astype("string").str.strip()
    ok = codes.str.fullmatch(r"\d+").fillna(False) & codes.str.len().isin(lengths) & (codes.str[:2] != "00")
    if not ok.all():
        pos = int((~ok).to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"{df[column].iloc[pos]!r} is not an HS code of {'/'.join(map(str, lengths))} "
                                "digits", path=path, row=int(df.attrs["line_offset"]) + pos, column=column,
                                hint="HS codes are digit strings with leading zeros, e.g. 010121")
    return codes


@register
class HSNomenclature(TableAdapter):
    name = "hs_nomenclature"
    title = "Harmonized System 2022 nomenclature"
    publisher = "World Customs Organization, via datahub.io (UN Comtrade)"
    licence = "ODC-PDDL-1.0"
    bundle = True
    homepage = "https://datahub.io/core/harmonized-system"
    tables = ("hs_codes",)
    patterns = ("harmonized-system.csv",)

    def partition(self, path: Path) -> str:
        return "datahub-HS22"

    def vintage(self, path: Path) -> str:
        return "2022"

    def _resources(self, path: Path) -> tuple[Path, Path]:
        if path.suffix.lower() != ".json":
            return path.with_name("sections.csv"), path
        try:
            package = json.loads(read_text(path).lstrip("\ufeff"))
            found = {r["name"]: Path(r["path"]) for r in package["resources"]}
            names = found["sections"], found["harmonized-system"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceFormatError(f"not the harmonized-system data package ({exc})", path=path,
                                    hint="use datapackage.json from datahub.io/core/harmonized-system") from exc
        # The package lists data/x.csv; copies often flatten the folder, so look beside the JSON too.
        return tuple(  # type: ignore[return-value]
            path.parent / p if (path.parent / p).exists() else path.parent / p.name for p in names)

    def parse(self, path: Path) -> dict[str, Frame]:
        sections_path, codes_path = self._resources(path)
        sections = read_csv(sections_path, required=("section", "name"))
        unique(sections, ["section"], path=sections_path)
        df = read_csv(codes_path, required=("section", "hscode", "description", "parent", "level"))
        # Comtrade's reporting totals (section TOTAL: codes 99, 9999, 999999 "not specified according
        # to kind" and the grand total) are not part of the nomenclature.
        df = df[df["section"].str.strip() != "TOTAL"].copy()
        df.attrs = {"line_offset": 2, "path": str(codes_path)}
        level = pd.to_numeric(df["level"].str.strip(), errors="coerce")
        bad = ~level.isin([2, 4, 6]) | (df["hscode"].str.len() != level)
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"level {df['level'].iloc[pos]!r} does not fit code {df['hscode'].iloc[pos]!r}",
                                    path=codes_path, row=2 + pos, column="level",
                                    hint="levels are 2, 4 and 6, the length of the code")
        codes = _codes(df, "hscode", codes_path, lengths=(2, 4, 6))
        unique(df, ["hscode"], path=codes_path)
        unknown = ~df["section"].isin(sections["section"])
        orphan = (level > 2) & (df["parent"] != codes.str.slice(0, -2))
        for mask, column, hint in ((unknown, "section", "the section must be listed in sections.csv"),
                                   (orphan, "parent", "a heading's parent is its chapter, a subheading's its heading")):
            if mask.any():
                pos = int(mask.to_numpy().nonzero()[0][0])
                raise SourceFormatError(f"{df[column].iloc[pos]!r} is not valid for {codes.iloc[pos]}",
                                        path=codes_path, row=2 + pos, column=column, hint=hint)
        body = pd.DataFrame({"hs_edition": "HS22", "code": codes, "level": level.astype("int8"),
                             "description": df["description"], "parent": df["parent"].where(level > 2, df["section"]),
                             "section": df["section"]})
        heads = pd.DataFrame({"hs_edition": "HS22", "code": sections["section"], "level": 0,
                              "description": sections["name"], "parent": None, "section": sections["section"]})
        out = pd.concat([heads, body], ignore_index=True).astype({"level": "int8"})
        return {"hs_codes": out}


class _ConcordancePackage(TableAdapter):
    """Files of the R package ``concordance`` (descriptions and edition links): one publisher, one licence."""

    publisher = "Kim, Liao & Imai: R package concordance"
    licence = "MIT"
    bundle = True
    homepage = "https://github.com/insongkim/concordance"


@register
class HSDescriptions(_ConcordancePackage):
    """``hsX_desc.csv``: ``code,desc`` for 2-, 4- and 6-digit codes of one edition."""

    name = "hs_descriptions"
    title = "HS code descriptions by edition (concordance package)"
    tables = ("hs_codes",)
    patterns = ("hs?_desc.csv",)

    def partition(self, path: Path) -> str:
        return f"concordance-{_edition(path, 0)}"

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("code", "desc"))
        codes = _codes(df, "code", path, lengths=(2, 4, 6))
        blank = df["desc"].str.strip() == ""
        if blank.any():  # every code has a description; a blank one means a cut or damaged line
            pos = int(blank.to_numpy().nonzero()[0][0])
            raise SourceFormatError("the description is empty", path=path, row=2 + pos, column="desc",
                                    hint="the file may be truncated; export it again from the concordance package")
        unique(df, ["code"], path=path)
        level = codes.str.len().astype("int8")
        parent = codes.str.slice(0, -2).where(level > 2)
        out = pd.DataFrame({"hs_edition": _edition(path, 0), "code": codes, "level": level,
                            "description": df["desc"], "parent": parent, "section": None})
        return {"hs_codes": out}


def _edition(path: Path, which: int) -> str:
    names = re.findall(r"hs\d", path.stem.lower())
    if len(names) <= which or names[which] not in EDITION_OF:
        raise SourceFormatError("cannot tell the HS editions from the file name", path=path,
                                hint="keep the package's names: hs6_hs5.csv, hs5_desc.csv (hs0=HS1992 ... hs6=HS2022)")
    return EDITION_OF[names[which]]


@register
class HSConcordance(_ConcordancePackage):
    """``hsX_hsY.csv``: one row per (HSX code, HSY code) link at six digits."""

    name = "hs_concordance"
    title = "HS edition concordances"
    tables = ("hs_concordance",)
    patterns = ("hs?_hs?.csv",)

    def partition(self, path: Path) -> str:
        return f"{_edition(path, 0)}-{_edition(path, 1)}"

    def parse(self, path: Path) -> dict[str, Frame]:
        src, dst = _edition(path, 0), _edition(path, 1)
        names = re.findall(r"hs\d", path.stem.lower())
        cols = (f"{names[0].upper()}_6d", f"{names[1].upper()}_6d")
        df = read_csv(path, required=cols)
        out = pd.DataFrame({"from_edition": src, "from_code": _codes(df, cols[0], path),
                            "to_edition": dst, "to_code": _codes(df, cols[1], path)})
        out.attrs = df.attrs
        unique(out, ["from_code", "to_code"], path=path)
        return {"hs_concordance": out}
