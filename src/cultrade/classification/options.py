"""Every option of the classification API, its labels, and the one place where options are checked.

Two schemes classify cultural goods:

* ``unesco``: the domains A-F of the UNESCO Framework for Cultural Statistics 2009;
* ``unctad``: the creative-goods groups of UNCTAD (Creative Economy Report / Outlook).

Labels exist in English and Simplified Chinese, since the interface is bilingual.

>>> DOMAINS["unesco"]["D"].label_en, DOMAINS["unesco"]["D"].label_zh
('Books and press', '书籍和报刊')
>>> check_domain("Visual arts", "unctad"), check_domain("c", "unesco")
('visual_arts', 'C')
>>> check_edition("HS2017"), check_edition("h6"), check_edition(2022)
('HS17', 'HS22', 'HS22')
>>> check_scheme("unseco")
Traceback (most recent call last):
...
cultrade.errors.ConfigError: unknown classification scheme 'unseco'. Fix: use one of: unesco, unctad
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from cultrade.errors import ConfigError

Scheme = Literal["unesco", "unctad"]
SchemeOrAll = Literal["unesco", "unctad", "all"]
Role = Literal["core", "equipment"]
Medium = Literal["digital", "traditional"]
Edition = Literal["HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22"]
EbopsEdition = Literal["EBOPS2002", "EBOPS2010"]

SCHEMES: tuple[str, ...] = get_args(Scheme)
ROLES: tuple[str, ...] = get_args(Role)
MEDIA: tuple[str, ...] = get_args(Medium)
EDITIONS: tuple[str, ...] = get_args(Edition)
EBOPS_EDITIONS: tuple[str, ...] = get_args(EbopsEdition)
#: Editions keyed directly in the shipped reference table; the others go through a concordance.
REFERENCE_EDITIONS: tuple[str, ...] = ("HS17", "HS22")

#: Year of entry into force of each HS edition; the concordance files call them hs0 ... hs6.
EDITION_YEARS: dict[str, int] = {
    "HS92": 1992, "HS96": 1996, "HS02": 2002, "HS07": 2007, "HS12": 2012, "HS17": 2017, "HS22": 2022,
}


@dataclass(frozen=True)
class Domain:
    """One domain (UNESCO) or group (UNCTAD), with bilingual labels."""

    scheme: str
    code: str
    label_en: str
    label_zh: str


def _domains(scheme: str, rows: list[tuple[str, str, str]]) -> dict[str, Domain]:
    return {code: Domain(scheme, code, en, zh) for code, en, zh in rows}


DOMAINS: dict[str, dict[str, Domain]] = {
    "unesco": _domains("unesco", [
        ("A", "Cultural and natural heritage", "文化和自然遗产"),
        ("B", "Performance and celebration", "表演和庆典"),
        ("C", "Visual arts and crafts", "视觉艺术和手工艺"),
        ("D", "Books and press", "书籍和报刊"),
        ("E", "Audio-visual and interactive media", "视听和交互媒体"),
        ("F", "Design and creative services", "设计和创意服务"),
    ]),
    "unctad": _domains("unctad", [
        ("art_crafts", "Art crafts", "艺术手工艺品"),
        ("audiovisuals", "Audiovisuals", "视听产品"),
        ("design", "Design", "设计"),
        ("new_media", "New media", "新媒体"),
        ("performing_arts", "Performing arts", "表演艺术"),
        ("publishing", "Publishing", "出版"),
        ("visual_arts", "Visual arts", "视觉艺术"),
    ]),
}

#: Labels of the flags carried by every row.
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "core": ("Core cultural goods", "核心文化产品"),
    "equipment": ("Equipment and supporting materials (UNCTAD: related goods)", "设备和辅助材料（相关产品）"),
}
MEDIUM_LABELS: dict[str, tuple[str, str]] = {
    "digital": ("Digital", "数字"),
    "traditional": ("Traditional", "传统"),
}
SCHEME_LABELS: dict[str, tuple[str, str]] = {
    "unesco": ("UNESCO Framework for Cultural Statistics 2009", "联合国教科文组织2009年文化统计框架"),
    "unctad": ("UNCTAD creative goods", "联合国贸发会议创意产品"),
}


def _choice(value: object, valid: tuple[str, ...], what: str) -> str:
    if isinstance(value, str) and value in valid:
        return value
    raise ConfigError(f"unknown {what} {value!r}", hint=f"use one of: {', '.join(valid)}")


def check_scheme(value: object) -> Scheme:
    """A scheme name, or :class:`ConfigError` listing the valid ones."""
    return _choice(value, SCHEMES, "classification scheme")  # type: ignore[return-value]


def check_schemes(value: object) -> tuple[Scheme, ...]:
    """``"all"`` or one scheme, as a tuple of schemes.

    >>> check_schemes("all")
    ('unesco', 'unctad')
    """
    if value == "all":
        return ("unesco", "unctad")
    return (check_scheme(value),)


def check_role(value: object) -> Role:
    return _choice(value, ROLES, "role")  # type: ignore[return-value]


def check_medium(value: object) -> Medium:
    return _choice(value, MEDIA, "medium")  # type: ignore[return-value]


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def check_domain(value: object, scheme: object = "unesco") -> str:
    """A domain code of ``scheme``; accepts the code or the English label in any case."""
    known = DOMAINS[check_scheme(scheme)]
    if isinstance(value, str):
        key = _fold(value)
        for code, dom in known.items():
            if key in (_fold(code), _fold(dom.label_en)):
                return code
    listing = ", ".join(f"{c} ({d.label_en})" for c, d in known.items())
    raise ConfigError(f"unknown {scheme} domain {value!r}", hint=f"use one of: {listing}")


_EDITION_ALIASES: dict[str, str] = {}
for _ed, _year in EDITION_YEARS.items():
    _n = list(EDITION_YEARS).index(_ed)
    for _alias in (_ed, f"HS{_year}", str(_year), f"H{_n}", f"HS{_n}"):
        _EDITION_ALIASES[_alias.upper()] = _ed


def check_edition(value: object) -> Edition:
    """An HS edition label: ``HS17`` style, or ``HS2017``, ``2017``, ``H5`` (Comtrade) and ``hs5`` (concordance)."""
    found = _EDITION_ALIASES.get(str(value).strip().upper())
    if found is None:
        raise ConfigError(f"unknown HS edition {value!r}", hint=f"use one of: {', '.join(EDITIONS)}")
    return found  # type: ignore[return-value]


def check_ebops_edition(value: object) -> EbopsEdition:
    """``EBOPS2002`` or ``EBOPS2010`` (also ``2002``/``2010``)."""
    text = str(value).strip().upper().replace(" ", "")
    text = text if text.startswith("EBOPS") else f"EBOPS{text}"
    return _choice(text, EBOPS_EDITIONS, "EBOPS edition")  # type: ignore[return-value]


__all__ = [
    "DOMAINS",
    "EBOPS_EDITIONS",
    "EDITIONS",
    "EDITION_YEARS",
    "MEDIA",
    "MEDIUM_LABELS",
    "REFERENCE_EDITIONS",
    "ROLES",
    "ROLE_LABELS",
    "SCHEMES",
    "SCHEME_LABELS",
    "Domain",
    "EbopsEdition",
    "Edition",
    "Medium",
    "Role",
    "Scheme",
    "SchemeOrAll",
    "check_domain",
    "check_ebops_edition",
    "check_edition",
    "check_medium",
    "check_role",
    "check_scheme",
    "check_schemes",
]
