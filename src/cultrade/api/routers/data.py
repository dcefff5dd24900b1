"""Countries, sources and indicator values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from cultrade.api.auth import api_state, viewer
from cultrade.api.routers.common import Limit, Offset, errors
from cultrade.api.schemas import CountryOut, IndicatorOut, IndicatorValue, Iso3Code, Page, SourceOut
from cultrade.api.service import indicator_values, list_countries, list_indicators, page, records, sources_overview
from cultrade.api.state import ApiState, Principal
from cultrade.countries import get_countries

router = APIRouter(dependencies=[Depends(viewer)])
State = Annotated[ApiState, Depends(api_state)]
Who = Annotated[Principal, Depends(viewer)]


@router.get("/countries", response_model=Page[CountryOut], tags=["countries"], responses=errors())
async def countries(state: State, limit: Limit = 100, offset: Offset = 0,
              region: Annotated[str | None, Query(description="World Bank region, e.g. 'Sub-Saharan Africa'.")] = None,
              income: Annotated[str | None, Query(description="World Bank income group, e.g. 'High income'.")] = None,
              q: Annotated[str | None, Query(max_length=100, description="Part of the English or Chinese name.")]
              = None, include_historical: bool = False) -> Response:
    """Countries with region and income group (bilingual names)."""
    def build() -> Page[CountryOut]:
        rows, total = page(list_countries(region=region, income=income, q=q, include_historical=include_historical),
                           limit, offset)
        return Page[CountryOut](items=[CountryOut(**r) for r in records(rows)], total=total, limit=limit,
                                offset=offset)

    # The country reference is bundled with the package: an answer never changes while the process runs.
    return await state.answer("countries", (region, income, q, include_historical, limit, offset), build, size=1024)


@router.get("/countries/{iso3}", response_model=CountryOut, tags=["countries"], responses=errors(404))
async def country(iso3: str) -> CountryOut:
    """One country by ISO3 (404 with close matches when unknown)."""
    c = get_countries().country(iso3.strip().upper())
    return CountryOut(**c.__dict__)


@router.get("/sources", response_model=list[SourceOut], tags=["indicators"], responses=errors(503))
def sources(state: State) -> list[SourceOut]:
    """Loaded sources with licence, vintage, rows and indicator coverage."""
    frame = state.cached("sources", "all", lambda: sources_overview(state.reader()))
    return [SourceOut(**r) for r in records(frame)]


@router.get("/indicators", response_model=Page[IndicatorOut], tags=["indicators"], responses=errors(503))
def indicators(state: State, limit: Limit = 100, offset: Offset = 0, source: str | None = None,
               q: Annotated[str | None, Query(max_length=100, description="Part of the indicator id.")] = None
               ) -> Page[IndicatorOut]:
    """Indicators per source with their country and year coverage."""
    frame = state.cached("indicators", (source, q), lambda: list_indicators(state.reader(), source=source, q=q))
    rows, total = page(frame, limit, offset)
    return Page[IndicatorOut](items=[IndicatorOut(**r) for r in records(rows)], total=total, limit=limit,
                              offset=offset)


@router.get("/indicators/values", response_model=Page[IndicatorValue], tags=["indicators"], responses=errors(503))
async def values(state: State, limit: Limit = 100, offset: Offset = 0,
           iso3: Annotated[list[Iso3Code], Query(description="ISO3 codes; repeat for several countries.")] = [],  # noqa: B006
           indicator: Annotated[list[str], Query(description="Repeat for several indicators.")] = [],  # noqa: B006
           source: str | None = None,
           year_from: Annotated[int | None, Query(ge=1800, le=2200)] = None,
           year_to: Annotated[int | None, Query(ge=1800, le=2200)] = None) -> Response:
    """Indicator values filtered by country, indicator, source and year range, ordered, paginated."""
    def build() -> Page[IndicatorValue]:
        rows, total = indicator_values(state.reader(), iso3=iso3, indicator=indicator, source=source,
                                       year_from=year_from, year_to=year_to, limit=limit, offset=offset)
        return Page[IndicatorValue](items=[IndicatorValue(**r) for r in records(rows)], total=total, limit=limit,
                                    offset=offset)

    # Indicators change only by ingest, which needs the store file this process holds (as for /indicators).
    key = (tuple(iso3), tuple(indicator), source, year_from, year_to, limit, offset)
    return await state.answer("indicator_values", key, build, size=2048)
