"""Cultural services by EBOPS code (EBOPS 2002 and EBOPS 2010).

``data/services_ebops.csv`` lists the service items that carry cultural content,
with the UNESCO FCS 2009 domain (empty for transversal items such as royalties),
the UNCTAD creative-services category, a ``core``/``related`` role and a
``coverage`` flag: ``partial`` when the item also holds non-cultural services
(education and health sit in EBOPS 2002 289, engineering in 280).

Comtrade's EBOPS 2002 summary files label products by their rank among the 11
main components ("1 Transportation" ... "11 Government services, n.i.e.");
:func:`map_service_labels` turns those labels (or codes) into the mapping.

>>> classify_service("288").unesco_domain, classify_service("SK1", "EBOPS2010").role
('E', 'core')
>>> mapped = map_service_labels(["10 Personal, cultural, and recreational services", "1 Transportation"])
>>> mapped[["ebops_code", "cultural", "coverage"]].values.tolist()
[['287', True, 'partial'], ['205', False, '']]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from cultrade.classification.options import check_ebops_edition
from cultrade.errors import SourceFormatError

TABLE = "services_ebops.csv"

#: EBOPS 2002 main components, in the order Comtrade numbers them in its summary labels.
EBOPS2002_COMPONENTS: dict[str, str] = {
    "205": "Transportation",
    "236": "Travel",
    "245": "Communications services",
    "249": "Construction services",
    "253": "Insurance services",
    "260": "Financial services",
    "262": "Computer and information services",
    "266": "Royalties and license fees",
    "268": "Other business services",
    "287": "Personal, cultural, and recreational services",
    "291": "Government services, n.i.e.",
}
_RANKED = dict(enumerate(EBOPS2002_COMPONENTS, start=1))
_LABEL = re.compile(r"^\s*(\d{1,3})(?:\s+(.*?))?\s*$")


@dataclass(frozen=True)
class CulturalService:
    """The cultural reading of one EBOPS item."""

    ebops_edition: str
    code: str
    label: str
    unesco_domain: str
    unctad_category: str
    role: str
    coverage: str
    basis: str
    note: str


@cache
def _services() -> pd.DataFrame:
    with resources.files("cultrade.classification.data").joinpath(TABLE).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def services_table(edition: str | None = None) -> pd.DataFrame:
    """The services mapping, for one EBOPS edition or both.

    >>> sorted(services_table("EBOPS2010")["code"])[:3]
    ['SH', 'SH3', 'SH4']
    """
    table = _services()
    if edition is not None:
        table = table[table["ebops_edition"] == check_ebops_edition(edition)]
    return table.reset_index(drop=True).copy()


def classify_service(code: object, edition: str = "EBOPS2002") -> CulturalService | None:
    """The mapping of one EBOPS code, or ``None`` when the item is not cultural (e.g. 205 Transportation)."""
    ed = check_ebops_edition(edition)
    key = str(code).strip().upper()
    rows = _services()
    hit = rows[(rows["ebops_edition"] == ed) & (rows["code"] == key)]
    if hit.empty:
        return None
    r = hit.iloc[0]
    return CulturalService(ed, r["code"], r["label"], r["unesco_domain"], r["unctad_category"], r["role"],
                           r["coverage"], r["basis"], r["note"])


def ebops2002_code(label: object) -> str:
    """The EBOPS 2002 code of a Comtrade summary label ("8 Royalties and license fees" -> "266").

    A bare code ("266") is accepted too. Unknown labels raise :class:`SourceFormatError`.

    >>> ebops2002_code("8 Royalties and license fees"), ebops2002_code(287)
    ('266', '287')
    """
    match = _LABEL.match(str(label))
    if match:
        number, text = match.group(1), (match.group(2) or "")
        if number in EBOPS2002_COMPONENTS and (not text or _same(text, EBOPS2002_COMPONENTS[number])):
            return number
        code = _RANKED.get(int(number))
        if code is not None and (not text or _same(text, EBOPS2002_COMPONENTS[code])):
            return code
    raise SourceFormatError(
        f"unknown EBOPS 2002 service label {label!r}",
        hint="use a Comtrade summary label like '10 Personal, cultural, and recreational services' or a code",
    )


def _same(a: str, b: str) -> bool:
    def fold(s: str) -> str:
        return re.sub(r"[^a-z]+", "", s.casefold())

    return fold(a) == fold(b)


def map_service_labels(labels: Iterable[object]) -> pd.DataFrame:
    """One row per label: its EBOPS 2002 code, whether it is cultural, and the mapping columns."""
    mapping = services_table("EBOPS2002").set_index("code")
    rows = []
    for label in labels:
        code = ebops2002_code(label)
        row: dict[str, object] = {"label": label, "ebops_code": code, "component": EBOPS2002_COMPONENTS.get(code, "")}
        found = code in mapping.index
        row["cultural"] = found
        for column in ("unesco_domain", "unctad_category", "role", "coverage", "basis", "note"):
            row[column] = mapping.at[code, column] if found else ""
        rows.append(row)
    return pd.DataFrame(rows)


__all__ = [
    "EBOPS2002_COMPONENTS",
    "CulturalService",
    "classify_service",
    "ebops2002_code",
    "map_service_labels",
    "services_table",
]
