"""The one table that ties what an enterprise makes to trade domains and to the risk index.

Users think in product types (games, publishing, film and TV, music, online literature, visual arts,
crafts, design); trade statistics use UNCTAD groups or UNESCO domains; the risk index has its own domain
profiles (``risk/framework.yaml``). ``data/market_domains.csv`` maps each product type to the trade domains
of each scheme, to the risk profile used to score target markets, to how markets are ranked for it
(``goods``: untapped export potential from trade flows; ``digital``: market size from population, income,
internet use and growth) and to the reported digital series that describes it. The CLI, the API and the
dashboard all read this table through :func:`market_domain` and :func:`trade_domains`.

>>> market_domain("games").risk_domain, market_domain("games").basis
('games', 'digital')
>>> trade_domains("film_tv", "unctad")
('audiovisuals', 'new_media')
>>> trade_domains("Visual arts", "unctad"), trade_domains("visual_arts", "unctad")
(('visual_arts',), ('visual_arts',))
>>> market_domain("design").risk_domain
'general'
>>> market_domain("anime")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cultrade.errors.ConfigError: unknown product type 'anime'. Fix: use one of: general, games, publishing, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from cultrade.classification.options import DOMAINS, _fold, check_domain, check_scheme
from cultrade.errors import ConfigError

TABLE = "market_domains.csv"


@dataclass(frozen=True)
class MarketDomain:
    """A product type: its labels, trade domains per scheme, risk profile and ranking basis."""

    domain: str
    label_en: str
    label_zh: str
    risk_domain: str
    unctad: tuple[str, ...]
    unesco: tuple[str, ...]
    basis: str
    reported_metric: str
    note: str

    @property
    def digital(self) -> bool:
        return self.basis == "digital"

    def trade(self, scheme: str = "unctad") -> tuple[str, ...]:
        return self.unctad if check_scheme(scheme) == "unctad" else self.unesco


@cache
def market_table() -> pd.DataFrame:
    """The shipped table, one row per product type."""
    with resources.files("cultrade.classification.data").joinpath(TABLE).open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for scheme in ("unctad", "unesco"):
        for cell in table[scheme]:
            for code in filter(None, cell.split("|")):
                check_domain(code, scheme)
    return table


@cache
def market_domains() -> dict[str, MarketDomain]:
    """Every product type by id, in table order."""
    return {r["domain"]: MarketDomain(
        domain=r["domain"], label_en=r["label_en"], label_zh=r["label_zh"], risk_domain=r["risk_domain"],
        unctad=tuple(filter(None, r["unctad"].split("|"))), unesco=tuple(filter(None, r["unesco"].split("|"))),
        basis=r["basis"], reported_metric=r["reported_metric"], note=r["note"],
    ) for r in market_table().to_dict("records")}


def market_domain(value: object) -> MarketDomain:
    """A product type by id or English label (any case), or :class:`ConfigError` listing the valid ones."""
    known = market_domains()
    if isinstance(value, str):
        key = _fold(value)
        for d in known.values():
            if key in (_fold(d.domain), _fold(d.label_en)):
                return d
    raise ConfigError(f"unknown product type {value!r}", hint=f"use one of: {', '.join(known)}")


def trade_domains(value: object, scheme: str = "unctad") -> tuple[str, ...]:
    """The trade domains of ``scheme`` that ``value`` stands for: a trade domain itself, or a product type.

    A value that is neither lists both kinds in the error.
    """
    scheme_ = check_scheme(scheme)
    try:
        return (check_domain(value, scheme_),)
    except ConfigError:
        pass
    try:
        return market_domain(value).trade(scheme_)
    except ConfigError:
        trade = ", ".join(DOMAINS[scheme_])
        raise ConfigError(f"unknown domain {value!r}",
                          hint=f"use a product type ({', '.join(market_domains())}) "
                               f"or a {scheme_} domain ({trade})") from None


__all__ = ["MarketDomain", "market_domain", "market_domains", "market_table", "trade_domains"]
