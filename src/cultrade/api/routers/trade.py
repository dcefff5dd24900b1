"""Cultural trade profiles and the cultural classification of HS codes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from cultrade.api.auth import api_state, viewer
from cultrade.api.errors import NotFoundError
from cultrade.api.routers.common import errors, one_of
from cultrade.api.schemas import CulturalCodeOut, DomainOut, TradeProfileOut
from cultrade.api.service import records
from cultrade.api.state import ApiState
from cultrade.classification import DOMAINS, classify, market_domains
from cultrade.countries import get_countries
from cultrade.errors import ConfigError
from cultrade.trade.profile import TradeProfile, trade_profile

router = APIRouter(dependencies=[Depends(viewer)])
State = Annotated[ApiState, Depends(api_state)]
SchemeName = Literal["unctad", "unesco"]


@router.get("/trade/profile/{iso3}", response_model=TradeProfileOut, tags=["trade"], responses=errors(404, 503))
async def profile(iso3: str, state: State, year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
            domain: Annotated[str | None, Query(
                pattern=one_of(sorted({d for ds in DOMAINS.values() for d in ds} | set(market_domains()))),
                description="A domain of the scheme (see /classification/domains), or a product type "
                            "(see /markets/domains)."
            )] = None,
            scheme: SchemeName = "unctad", top_n: Annotated[int, Query(ge=1, le=50)] = 5,
            charts: Annotated[bool, Query(description="Add Vega-Lite chart specs.")] = False) -> Response:
    """A country's cultural trade: exports, imports, balance, world share, RCA, partners, concentration."""
    code = get_countries().to_iso3(iso3.strip().upper(), "iso3")
    if domain is not None and domain not in DOMAINS[scheme] and domain not in market_domains():
        raise NotFoundError(f"the {scheme} scheme has no domain {domain!r}",
                            hint=f"use one of {', '.join(DOMAINS[scheme])}, or the other scheme")

    def build() -> TradeProfileOut:
        try:
            p = trade_profile(state.reader(), code, year=year, domain=domain, scheme=scheme, top_n=top_n)
        except ConfigError as exc:
            if year is not None and exc.message == f"no trade data for {year}":  # a year is a resource: 404
                raise NotFoundError(exc.message, hint=exc.hint) from None
            raise
        return TradeProfileOut(iso3=p.iso3, year=int(p.year), scheme=p.scheme, domain=p.domain, source=p.source,
                               notes=list(p.notes), tables=_tables(p), charts=p.chart_specs() if charts else None)

    # Trade data change only by ingest, which needs the store file this process holds: the answer is kept.
    return await state.answer("trade_profile", (code, year, domain, scheme, top_n, charts), build, size=32)


def _tables(p: TradeProfile) -> dict[str, list[dict[str, object]]]:
    return {name: records(frame) for name, frame in p.frames().items()}


@router.get("/classification/domains", response_model=list[DomainOut], tags=["classification"],
            responses=errors())
def domains(scheme: SchemeName | None = None) -> list[DomainOut]:
    """Cultural domains (UNESCO FCS 2009) and creative-goods groups (UNCTAD), in English and Chinese."""
    return [DomainOut(**d.__dict__) for s, doms in DOMAINS.items() if scheme in (None, s) for d in doms.values()]


@router.get("/classification/hs/{code}", response_model=list[CulturalCodeOut], tags=["classification"],
            responses=errors())
async def hs_lookup(state: State, code: Annotated[str, Path(pattern="^[0-9]{3,6}$", description="HS6 code or HS4 heading (a lost "
                                                                              "leading zero is restored)")],
              edition: Annotated[Literal["HS17", "HS22"], Query()] = "HS17",
              scheme: Literal["all", "unctad", "unesco"] = "all") -> Response:
    """The cultural mappings of an HS code (empty when it is not cultural); a 4-digit heading gives all its subheadings."""
    return await state.answer("classification", (code, edition, scheme), lambda: classify(code, edition, scheme),
                              size=4096)
