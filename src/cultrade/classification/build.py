"""Rebuild ``data/cultural_goods_hs.csv`` from the curated spec and the HS product lists.

The curated knowledge lives in ``data/cultural_goods_spec.csv``: one row per
(scheme, HS prefix) with the domain, category, role, medium and the citation.
A prefix is a heading (4 digits) or a subheading (6 digits); for each HS17 and
HS22 subheading the **longest** matching prefix of each scheme wins, and a
domain of ``-`` excludes the subheading (for example the parts in 9403).

Run it after editing the spec, pointing at the folder holding BACI's
``product_codes_HS17_V202401.csv`` and ``product_codes_HS22_V202401.csv``::

    python -m cultrade.classification.build ../shared/data/trade/baci_refs

>>> spec = pd.DataFrame({"scheme": ["unctad", "unctad"], "prefix": ["9403", "940390"],
...     "domain": ["design", "-"], "category": ["Interior", ""], "role": ["core", ""],
...     "medium": ["traditional", ""], "basis": ["UNCTAD, design", ""], "note": ["", ""]})
>>> products = {"HS17": pd.DataFrame({"code": ["940360", "940390", "950300"],
...                                   "description": ["Wooden furniture", "Parts", "Toys"]})}
>>> expand_spec(spec, products)[["hs_edition", "hs_code", "unctad_domain"]].to_dict("records")
[{'hs_edition': 'HS17', 'hs_code': '940360', 'unctad_domain': 'design'}]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pandas as pd

from cultrade.classification.options import MEDIA, REFERENCE_EDITIONS, ROLES, SCHEMES, check_domain
from cultrade.errors import SourceFormatError

SPEC = "cultural_goods_spec.csv"
TABLE = "cultural_goods_hs.csv"
_FIELDS = ("domain", "category", "role", "medium", "basis", "note")
COLUMNS = [
    "hs_edition", "hs_code", "description", "medium",
    *(f"{s}_{f}" for s in SCHEMES for f in _FIELDS if f != "medium"),
]


def read_spec() -> pd.DataFrame:
    """The curated spec shipped with the package, checked row by row."""
    with resources.files("cultrade.classification.data").joinpath(SPEC).open("r", encoding="utf-8") as fh:
        spec = pd.read_csv(fh, dtype=str, keep_default_na=False)
    check_spec(spec)
    return spec


def check_spec(spec: pd.DataFrame) -> None:
    """Raise :class:`SourceFormatError` on the first bad spec row (row numbers count the header as 1)."""
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(spec.to_dict("records"), start=2):
        key = (row["scheme"], row["prefix"])
        if row["scheme"] not in SCHEMES:
            raise SourceFormatError(f"unknown scheme {row['scheme']!r}", path=SPEC, row=i, column="scheme")
        if not (row["prefix"].isdigit() and len(row["prefix"]) in (4, 6)):
            raise SourceFormatError("prefix must be 4 or 6 digits", path=SPEC, row=i, column="prefix")
        if key in seen:
            raise SourceFormatError(f"duplicate prefix {key}", path=SPEC, row=i, column="prefix")
        seen.add(key)
        if row["domain"] == "-":
            continue
        check_domain(row["domain"], row["scheme"])
        for column, valid in (("role", ROLES), ("medium", MEDIA)):
            if row[column] not in valid:
                raise SourceFormatError(f"{column} must be one of {valid}", path=SPEC, row=i, column=column)
        if not row["basis"]:
            raise SourceFormatError("every mapping must cite its basis", path=SPEC, row=i, column="basis")


def expand_spec(spec: pd.DataFrame, products: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (edition, HS6 code) that at least one scheme maps, in the layout of :data:`COLUMNS`."""
    rules = {s: {r["prefix"]: r for r in spec[spec["scheme"] == s].to_dict("records")} for s in SCHEMES}
    rows = []
    for edition, frame in products.items():
        for code, description in zip(frame["code"].str.zfill(6), frame["description"], strict=True):
            row: dict[str, str] = {"hs_edition": edition, "hs_code": code, "description": description, "medium": ""}
            for scheme in SCHEMES:
                rule = rules[scheme].get(code) or rules[scheme].get(code[:4])
                if rule is None or rule["domain"] == "-":
                    for f in _FIELDS:
                        row.setdefault(f"{scheme}_{f}", "")
                    continue
                if row["medium"] and row["medium"] != rule["medium"]:
                    raise SourceFormatError(f"schemes disagree on the medium of {code}", path=SPEC, column="medium")
                row["medium"] = rule["medium"]
                for f in _FIELDS:
                    if f != "medium":
                        row[f"{scheme}_{f}"] = rule[f]
            if row["medium"]:
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS).sort_values(["hs_edition", "hs_code"], ignore_index=True)


def read_products(folder: Path) -> dict[str, pd.DataFrame]:
    """BACI's product lists for the reference editions (``code``, ``description``)."""
    out = {}
    for edition in REFERENCE_EDITIONS:
        path = folder / f"product_codes_{edition}_V202401.csv"
        out[edition] = pd.read_csv(path, dtype=str, keep_default_na=False)
    return out


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - maintenance tool
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.split(">>>")[0])
        return 2
    table = expand_spec(read_spec(), read_products(Path(args[0])))
    target = Path(__file__).parent / "data" / TABLE
    table.to_csv(target, index=False, lineterminator="\n")
    print(f"wrote {len(table)} rows to {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
