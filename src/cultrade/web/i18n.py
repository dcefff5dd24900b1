"""Messages, numbers, dates and names in English or Simplified Chinese, for the dashboard and the reports.

Every piece of interface text lives in a message catalogue, one JSON file per
language in ``web/i18n/`` (``en.json``, ``zh-CN.json``) with the same keys;
templates only call ``_("key")``. Numbers and dates are formatted with Babel
(CLDR data) on the server; the browser uses ``Intl.NumberFormat`` and
``Intl.DateTimeFormat`` with the same language tag. Country, indicator,
dimension and domain names come from the project's bilingual references.

>>> t = Translator("zh-CN")
>>> t("nav.map"), Translator("en")("nav.map")
('世界风险地图', 'World risk map')
>>> t.compact(8.966835e10), Translator("en").compact(8.966835e10)
('896.7亿', '89.7B')
>>> t.money(1.5e9), Translator("en").money(1.5e9)
('US$15亿', '$1.5B')
>>> Translator("en").decimal(1234.5678), t.percent(0.3366)
('1,234.57', '33.7%')
>>> import datetime
>>> t.date(datetime.date(2024, 3, 5)), Translator("en").date(datetime.date(2024, 3, 5))
('2024年3月5日', 'Mar 5, 2024')
>>> t.country("IRN"), Translator("en").country("IRN")
('伊朗伊斯兰共和国', 'Iran')
>>> t.band("very high"), t.outlook("deteriorating")
('很高', '恶化')
>>> negotiate(None, None, "zh-CN,zh;q=0.9,en;q=0.8"), negotiate("en", "zh-CN", None), negotiate(None, None, None)
('zh-CN', 'en', 'en')
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_currency, format_compact_decimal, format_decimal, format_percent

from cultrade.countries import get_countries
from cultrade.errors import ConfigError

LANGUAGES: tuple[str, ...] = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "cultrade_lang"
_BABEL = {"en": "en", "zh-CN": "zh_Hans_CN"}
_HTML_LANG = {"en": "en", "zh-CN": "zh-CN"}


def check_language(lang: str | None) -> str:
    """The canonical tag for ``lang`` ('en', 'zh', 'zh-CN', 'zh_CN'...); raises on other languages.

    >>> check_language("zh"), check_language("EN")
    ('zh-CN', 'en')
    """
    text = (lang or DEFAULT_LANGUAGE).strip().replace("_", "-").lower()
    if text in ("en", "en-us", "en-gb", "english"):
        return "en"
    if text in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "chinese", "中文"):
        return "zh-CN"
    raise ConfigError(f"unsupported language {lang!r}", hint="use en or zh-CN (zh)")


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: ``?lang=``, then the cookie, then Accept-Language, then English."""
    for value in (query, cookie):
        if value:
            try:
                return check_language(value)
            except ConfigError:
                pass
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The message catalogue of ``lang`` (a flat key → text mapping)."""
    lang = check_language(lang)
    path = resources.files("cultrade.web").joinpath("i18n", f"{lang}.json")
    with path.open("r", encoding="utf-8") as fh:
        data: dict[str, str] = json.load(fh)
    return data


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class Translator:
    """Message lookup and locale-aware formatting for one language."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = check_language(lang)
        self.locale = _BABEL[self.lang]
        self.messages = catalogue(self.lang)
        self.fallback = catalogue(DEFAULT_LANGUAGE)

    @property
    def html_lang(self) -> str:
        return _HTML_LANG[self.lang]

    @property
    def zh(self) -> bool:
        return self.lang == "zh-CN"

    def __call__(self, key: str, **values: Any) -> str:
        """The text of ``key``, with ``{name}`` placeholders filled; the key itself when unknown."""
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages

    def js_messages(self) -> dict[str, str]:
        """The messages the browser needs (keys starting with ``js.``)."""
        return {k: v for k, v in self.messages.items() if k.startswith("js.")}

    # -- numbers and dates -------------------------------------------------------------
    def decimal(self, value: Any, digits: int = 2, dash: str = "–") -> str:
        if _nan(value):
            return dash
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        x = round(float(value), digits) + 0.0  # no "-0.000" for tiny negative noise
        return format_decimal(x, format=fmt, locale=self.locale)

    def integer(self, value: Any, dash: str = "–") -> str:
        return self.decimal(value, 0, dash)

    def percent(self, value: Any, digits: int = 1, dash: str = "–") -> str:
        if _nan(value):
            return dash
        fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(float(value), format=fmt, locale=self.locale)

    def compact(self, value: Any, dash: str = "–") -> str:
        """Large numbers the short way: 89.7B in English, 896.7亿 in Chinese."""
        if _nan(value):
            return dash
        return format_compact_decimal(float(value), locale=self.locale, fraction_digits=1)

    def money(self, value: Any, currency: str = "USD", dash: str = "–") -> str:
        if _nan(value):
            return dash
        return format_compact_currency(float(value), currency, locale=self.locale, fraction_digits=1)

    def date(self, value: date | datetime | None, dash: str = "–") -> str:
        if value is None or (hasattr(value, "year") and value != value):
            return dash
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, "medium", locale=self.locale)

    def datetime(self, value: datetime | None, dash: str = "–") -> str:
        if value is None or value != value:
            return dash
        return format_datetime(value, "medium", locale=self.locale)

    # -- names -----------------------------------------------------------------------
    def country(self, iso3: str) -> str:
        """The country's name in this language (the code for unknown codes)."""
        table = get_countries().table
        if iso3 not in table.index:
            return iso3
        col = "name_zh" if self.zh else "name"
        name = str(table.at[iso3, col]) or str(table.at[iso3, "name"])
        return name

    def band(self, band: str) -> str:
        return self(f"band.{band}")

    def outlook(self, outlook: str) -> str:
        return self(f"outlook.{outlook}")

    def label(self, label: Any) -> str:
        """A framework label object (``.en``/``.zh``) or a dict {'en':..., 'zh-CN':...} in this language."""
        if isinstance(label, dict):
            return str(label.get(self.lang) or label.get("zh" if self.zh else "en") or label.get("en", ""))
        en, zh = getattr(label, "en", ""), getattr(label, "zh", "")
        return str(zh or en) if self.zh else str(en)

    def pick(self, en: Any, zh: Any) -> str:
        """``zh`` in Chinese when it is not empty, else ``en``."""
        if self.zh and isinstance(zh, str) and zh.strip():
            return zh
        return "" if _nan(en) else str(en)


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LANG_COOKIE", "Translator", "catalogue", "check_language", "negotiate"]
