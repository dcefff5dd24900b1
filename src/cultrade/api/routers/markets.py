"""Market opportunities: product types, risk-adjusted rankings, export potential, gravity and matching."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from cultrade.api.auth import api_state, viewer
from cultrade.api.errors import NotFoundError
from cultrade.api.routers.common import Limit, Offset, errors, one_of
from cultrade.api.service import page, records
from cultrade.api.state import ApiState
from cultrade.classification import market_domains
from cultrade.errors import ConfigError, StoreError
from cultrade.markets import describe_dropped, gravity, match_markets, potential, rank_markets, sample_note
from cultrade.markets.rank import Ranking

router = APIRouter(tags=["markets"], dependencies=[Depends(viewer)])
State = Annotated[ApiState, Depends(api_state)]
Home = Annotated[str, Query(pattern="^[A-Za-z]{3}$", description="The enterprise's home country (ISO3).")]
ProductType = Annotated[str, Query(pattern=one_of(list(market_domains())),
                                   description="games, publishing, film_tv, music, online_literature, visual_arts, "
                                               "crafts, design, general.")]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="404 when the data hold no such year.")]


@contextmanager
def _data_or_404() -> Iterator[None]:
    """Parameters valid by the schema that the loaded data cannot serve (a year, a home without flows) are 404s."""
    try:
        yield
    except (ConfigError, StoreError) as exc:
        raise NotFoundError(exc.message, hint=exc.hint) from exc


class ProductTypeOut(BaseModel):
    domain: str
    label_en: str
    label_zh: str
    risk_domain: str = Field(description="The risk framework profile used to score markets.")
    unctad: list[str]
    unesco: list[str]
    basis: str = Field(description="goods: untapped export potential; digital: market size proxies.")
    reported_metric: str
    note: str


class RankingOut(BaseModel):
    home: str
    domain: str
    basis: str = Field(description="full_baci, sample or proxies: what the opportunity rests on.")
    unit: str
    inputs: list[str] = Field(description="Every input the ranking used, in words.")
    total: int
    rows: list[dict[str, Any]]


class TableOut(BaseModel):
    note: str
    total: int
    rows: list[dict[str, Any]]


class GravityOut(BaseModel):
    source: str
    nobs: int
    coefficients: list[dict[str, Any]]
    dropped: int
    dropped_note: str


@router.get("/markets/domains", response_model=list[ProductTypeOut], responses=errors())
def domains() -> list[ProductTypeOut]:
    """Product types and how each maps to trade domains, the risk profile and the ranking basis (one table)."""
    return [ProductTypeOut(**{**d.__dict__, "unctad": list(d.unctad), "unesco": list(d.unesco)})
            for d in market_domains().values()]


def ranking(state: ApiState, home: str, domain: str, year: int | None) -> Ranking:
    """The cached ranking of one (home, product type, year)."""
    key = (home.strip().upper(), domain, year)
    found: Ranking = state.cached("markets_rank", key, lambda: rank_markets(state.store, key[0], domain, year=year),
                                  size=32)
    return found


@router.get("/markets/rank", response_model=RankingOut, responses=errors(404, 503))
def rank(state: State, home: Home = "CHN", domain: ProductType = "general", year: Year = None,
         top: Annotated[int | None, Query(ge=1, le=300, description="Ranked markets only, the first N.")] = None,
         ) -> RankingOut:
    """Markets ranked by risk-adjusted opportunity, with the frontier, the explanation and the inputs used."""
    with _data_or_404():
        r = ranking(state, home, domain, year)
    rows = r.top(top) if top else r.table
    return RankingOut(home=r.home, domain=r.domain.domain, basis=r.basis, unit=str(r.table["unit"].iloc[0]),
                      inputs=r.inputs, total=len(rows), rows=records(rows))


@router.get("/markets/potential", response_model=TableOut, responses=errors(404, 503))
def export_potential(state: State, exporter: Annotated[str | None, Query(pattern="^[A-Za-z]{3}$")] = None,
                     year: Year = None,
                     level: Literal["domain", "hs6"] = "domain", limit: Limit = 100, offset: Offset = 0) -> TableOut:
    """Export potential (supply x demand x ease), actual and untapped, by market and product."""
    key = (exporter.upper() if exporter else None, year, level)
    with _data_or_404():
        table = state.cached("markets_potential", key,
                             lambda: potential(state.store, year=year, level=level, exporter=key[0]), size=8)
    table = table.sort_values("untapped", ascending=False)
    part, total = page(table, limit, offset)
    return TableOut(note=sample_note(state.store), total=total, rows=records(part))


@router.get("/markets/gravity", response_model=GravityOut, responses=errors(404, 503))
def gravity_route(state: State, source: Literal["agtpa", "baci"] = "agtpa", domain: ProductType = "general",
                  cultural: bool = False) -> GravityOut:
    """Structural gravity by PPML (AGTPA's reference specification, or BACI by product type).

    404 when the loaded flows cannot support the model (the message says what to load or drop).
    """
    with _data_or_404():
        res = state.cached("markets_gravity", (source, domain, cultural),
                           lambda: gravity(state.store, source, domain=domain, cultural=cultural), size=8)
    return GravityOut(source=res.source, nobs=res.nobs, coefficients=records(res.coefficients),
                      dropped=len(res.dropped), dropped_note=describe_dropped(res))


@router.get("/markets/match", response_model=TableOut, responses=errors(404, 503))
def match(state: State, home: Home = "CHN", domain: ProductType = "general",
          top: Annotated[int, Query(ge=1, le=50)] = 5) -> TableOut:
    """Per product, markets whose import baskets resemble those where the home already succeeds.

    404 when no loaded BACI year has the home as an exporter (the message says what to load).
    """
    with _data_or_404():  # no bilateral exports of this home: nothing to learn from, not a server fault
        table, note = match_markets(state.store, home, domain, top=top)
    return TableOut(note=note, total=len(table), rows=records(table))


__all__ = ["router"]
