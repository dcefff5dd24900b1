"""Cultural goods by HS code: the UNESCO FCS 2009 domains and the UNCTAD creative-goods groups.

The shipped table ``data/cultural_goods_hs.csv`` is keyed on HS17 and HS22
subheadings; each scheme has its own columns, empty when that scheme does not
list the code. Older editions go through a concordance (see :mod:`.editions`).

>>> [(c.scheme, c.domain, c.role, c.medium) for c in classify("490199")]
[('unesco', 'D', 'core', 'traditional'), ('unctad', 'publishing', 'core', 'traditional')]
>>> [(c.scheme, c.domain, c.category) for c in classify(950450, edition="HS22")]
[('unesco', 'E', 'Video games'), ('unctad', 'new_media', 'Video games')]
>>> classify("010121")   # live horses: not cultural
[]
>>> domain_codes("A", scheme="unesco", edition="HS17")
['970400', '970500', '970600']
>>> int(goods_table("HS17", scheme="unctad").groupby("domain").size()["publishing"])
13
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from cultrade.classification.codes import normalize_hs
from cultrade.classification.editions import concordance_links, expand_table
from cultrade.classification.options import (
    DOMAINS,
    REFERENCE_EDITIONS,
    SCHEMES,
    SchemeOrAll,
    check_domain,
    check_edition,
    check_medium,
    check_role,
    check_schemes,
)
from cultrade.errors import ConfigError

TABLE = "cultural_goods_hs.csv"
METADATA = "cultural_goods_hs.meta.json"
#: Columns of :func:`goods_table`, whatever the edition.
LONG_COLUMNS = [
    "hs_edition", "hs_code", "description", "scheme", "domain", "domain_label", "domain_label_zh",
    "category", "role", "medium", "basis", "note", "source_edition", "source_codes",
    "n_linked", "n_matched", "partial",
]


@dataclass(frozen=True)
class CulturalCode:
    """One mapping of one HS code in one scheme."""

    hs_edition: str
    hs_code: str
    description: str
    scheme: str
    domain: str
    domain_label: str
    domain_label_zh: str
    category: str
    role: str
    medium: str
    basis: str
    note: str = ""
    partial: bool = False
    source_codes: tuple[str, ...] = ()

    @property
    def is_core(self) -> bool:
        return self.role == "core"

    @property
    def is_digital(self) -> bool:
        return self.medium == "digital"


def _open(name: str) -> Any:
    return resources.files("cultrade.classification.data").joinpath(name).open("r", encoding="utf-8")


@cache
def reference_table() -> pd.DataFrame:
    """The shipped wide table (one row per edition and code, both schemes side by side)."""
    with _open(TABLE) as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def metadata() -> dict[str, Any]:
    """Version, sources and caveats of the shipped table.

    >>> metadata()["version"]
    '2025.2'
    """
    with _open(METADATA) as fh:
        return dict(json.load(fh))


@cache
def _long_reference(edition: str) -> pd.DataFrame:
    wide = reference_table()
    wide = wide[wide["hs_edition"] == edition]
    parts = []
    for scheme in SCHEMES:
        rows = wide[wide[f"{scheme}_domain"] != ""]
        part = pd.DataFrame({
            "hs_edition": rows["hs_edition"], "hs_code": rows["hs_code"], "description": rows["description"],
            "scheme": scheme, "domain": rows[f"{scheme}_domain"],
            "domain_label": [DOMAINS[scheme][d].label_en for d in rows[f"{scheme}_domain"]],
            "domain_label_zh": [DOMAINS[scheme][d].label_zh for d in rows[f"{scheme}_domain"]],
            "category": rows[f"{scheme}_category"], "role": rows[f"{scheme}_role"], "medium": rows["medium"],
            "basis": rows[f"{scheme}_basis"], "note": rows[f"{scheme}_note"],
            "source_edition": edition, "source_codes": rows["hs_code"], "n_linked": 1, "n_matched": 1,
            "partial": False,
        })
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[LONG_COLUMNS]


def _edition_table(edition: str, concordance: pd.DataFrame | None) -> pd.DataFrame:
    if edition in REFERENCE_EDITIONS:
        return _long_reference(edition)
    if concordance is None:
        raise ConfigError(
            f"the reference table is keyed on HS17 and HS22, not {edition}",
            hint="pass concordance=<the hs_concordance table> to map older editions",
        )
    for base in REFERENCE_EDITIONS:
        links = concordance_links(concordance, edition, base)
        if not links.empty:
            return expand_table(_long_reference(base), links, edition)
    raise ConfigError(
        f"the concordance links neither HS17 nor HS22 to {edition}",
        hint="use a concordance with rows between HS17 (or HS22) and the edition you need",
    )


def goods_table(
    edition: str = "HS17",
    scheme: SchemeOrAll = "all",
    *,
    role: str | None = None,
    medium: str | None = None,
    concordance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cultural HS codes of ``edition``, one row per code and scheme (columns :data:`LONG_COLUMNS`).

    ``edition`` is HS17 or HS22 directly, or an older edition with ``concordance``.
    ``role`` ("core"/"equipment") and ``medium`` ("digital"/"traditional") filter rows.
    """
    schemes = check_schemes(scheme)
    table = _edition_table(check_edition(edition), concordance)
    mask = table["scheme"].isin(schemes)
    if role is not None:
        mask &= table["role"] == check_role(role)
    if medium is not None:
        mask &= table["medium"] == check_medium(medium)
    return table[mask].reset_index(drop=True).copy()


def expand_to_edition(concordance: pd.DataFrame, edition: str, scheme: SchemeOrAll = "all") -> pd.DataFrame:
    """The reference table carried to ``edition`` (HS92 ... HS12) through ``concordance``.

    Same as ``goods_table(edition, scheme, concordance=concordance)``; rows whose
    older code splits into cultural and non-cultural codes have ``partial`` true.
    """
    return goods_table(edition, scheme, concordance=concordance)


def _to_code(row: dict[str, Any]) -> CulturalCode:
    return CulturalCode(
        hs_edition=row["hs_edition"], hs_code=row["hs_code"], description=row["description"],
        scheme=row["scheme"], domain=row["domain"], domain_label=row["domain_label"],
        domain_label_zh=row["domain_label_zh"], category=row["category"], role=row["role"],
        medium=row["medium"], basis=row["basis"], note=row["note"], partial=bool(row["partial"]),
        source_codes=tuple(str(row["source_codes"]).split("|")),
    )


def classify(
    hs_code: object,
    edition: str = "HS17",
    scheme: SchemeOrAll = "all",
    *,
    concordance: pd.DataFrame | None = None,
) -> list[CulturalCode]:
    """The cultural mappings of one HS code; an empty list when it is not cultural.

    A 6-digit code gives at most one mapping per scheme; a 4-digit heading gives
    the mappings of all its cultural subheadings. A malformed code raises
    :class:`~cultrade.errors.SourceFormatError`.

    >>> [c.domain for c in classify("4901", scheme="unesco")]
    ['D', 'D', 'D']
    """
    code = normalize_hs(hs_code)
    table = goods_table(edition, scheme, concordance=concordance)
    hits = table[table["hs_code"].str.startswith(code)] if len(code) == 4 else table[table["hs_code"] == code]
    order = {s: i for i, s in enumerate(SCHEMES)}
    records = [{str(k): v for k, v in r.items()} for r in hits.to_dict("records")]
    records.sort(key=lambda r: (r["hs_code"], order[r["scheme"]], r["domain"]))
    return [_to_code(r) for r in records]


def domain_codes(
    domain: str,
    scheme: str = "unesco",
    edition: str = "HS17",
    *,
    role: str | None = None,
    concordance: pd.DataFrame | None = None,
) -> list[str]:
    """Sorted HS codes mapped to one domain (UNESCO letter or UNCTAD group, code or English label).

    >>> domain_codes("New media", scheme="unctad", edition="HS22")
    ['852329', '852349', '852359', '852380', '950450']
    """
    code = check_domain(domain, scheme)
    table = goods_table(edition, check_schemes(scheme)[0], role=role, concordance=concordance)
    return sorted(set(table.loc[table["domain"] == code, "hs_code"]))


def is_cultural(hs_code: object, edition: str = "HS17", scheme: SchemeOrAll = "all") -> bool:
    """True when at least one scheme maps the code (or, for a heading, one of its subheadings).

    >>> is_cultural("9207"), is_cultural("847130")
    (True, False)
    """
    return bool(classify(hs_code, edition, scheme))


__all__ = [
    "LONG_COLUMNS",
    "CulturalCode",
    "classify",
    "domain_codes",
    "expand_to_edition",
    "goods_table",
    "is_cultural",
    "metadata",
    "reference_table",
]
