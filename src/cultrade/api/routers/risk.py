"""Country risk: scores per year, home and domain, one country with its rank interval, explanations, overrides.

The index for a (home, domain) is built on first use and cached, as are the score
tables, Monte Carlo rank intervals and explanations derived from it; writing an
override drops them all.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import StringConstraints

from cultrade.api.auth import analyst, api_state, viewer
from cultrade.api.errors import NotFoundError
from cultrade.api.routers.common import Limit, Offset, errors, one_of
from cultrade.api.schemas import ExplanationOut, OverrideIn, OverrideOut, RankInterval, RiskPage, RiskScore
from cultrade.api.service import records
from cultrade.api.state import ApiState, Principal
from cultrade.countries import get_countries
from cultrade.risk import RiskIndex, add_override, build_index, deactivate_override, load_framework, load_overrides

router = APIRouter(tags=["risk"])
State = Annotated[ApiState, Depends(api_state)]
Home = Annotated[str, Query(min_length=3, max_length=3, description="The enterprise's home country (ISO3).")]
Domain = Annotated[str, StringConstraints(pattern=one_of(load_framework().domain_names()), max_length=60), Query(
    description="general, games, online_literature, publishing, film_tv, music, visual_arts, crafts.")]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="Default: the latest scored year.")]
Intervals = Annotated[bool, Query(alias="intervals", description="Add Monte Carlo rank intervals (cached after the first call).")]
RISK_CACHES = ("risk_index", "risk_scores", "risk_pages", "risk_intervals", "risk_explain", "markets_rank")


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def risk_index(state: ApiState, home: str, domain: str, year: int | None = None) -> RiskIndex:
    """The cached index for (home, domain); an unknown home, or a ``year`` it has no scores for, is a 404."""
    home = get_countries().to_iso3(home.strip().upper(), "iso3")
    idx = state.cached("risk_index", (home, domain),
                       lambda: build_index(state.reader(), home, domain), size=state.api.risk_cache_size)
    if year is not None and int(year) not in {int(y) for y in idx.years}:
        raise NotFoundError(f"no risk scores for {year}", hint=f"the index covers {idx.years[0]}-{idx.years[-1]}")
    return idx


def score_table(state: ApiState, home: str, domain: str, year: int | None) -> tuple[int, list[RiskScore]]:
    """(year, scores ordered by rank) for one perspective, cached."""
    def build() -> tuple[int, list[RiskScore]]:
        df = risk_index(state, home, domain, year).scores(year)
        out = []
        for r in records(df):
            dims = {k.removeprefix("dim_"): r.pop(k) for k in list(r) if k.startswith("dim_")}
            out.append(RiskScore(**r, dimensions=dims))
        return int(df["year"].iloc[0]), out

    return state.cached("risk_scores", (home.upper(), domain, year), build, size=64)


def intervals(state: ApiState, home: str, domain: str, year: int) -> dict[str, RankInterval]:
    def build() -> dict[str, RankInterval]:
        from cultrade.risk.uncertainty import monte_carlo

        idx = risk_index(state, home, domain)
        draws = state.api.uncertainty_draws
        df = monte_carlo(idx, draws, seed=0, year=year)
        level = float(df.attrs.get("interval", 0.9))
        fields = [k for k in RankInterval.model_fields if k != "level"]
        return {r["iso3"]: RankInterval.model_validate({"level": level, **{k: r.get(k) for k in fields}})
                for r in records(df)}

    return state.cached("risk_intervals", (home.upper(), domain, year), build, size=32)


@router.get("/risk/domains", response_model=list[str], dependencies=[Depends(viewer)], responses=errors())
def domains() -> list[str]:
    """The cultural domain profiles of the framework."""
    return load_framework().domain_names()


@router.get("/risk/scores", response_model=RiskPage, dependencies=[Depends(viewer)], responses=errors(404, 503))
async def scores(state: State, home: Home = "CHN", domain: Domain = "general", year: Year = None,
           band: Annotated[str | None, Query(max_length=40, description="e.g. 'high'.")] = None,
           include_insufficient: bool = False, intervals_: Intervals = False,
           limit: Limit = 100, offset: Offset = 0) -> Response:
    """Every country's risk score for one year, highest risk first, with dimensions and optional rank intervals."""
    def build() -> RiskPage:
        year_, rows = score_table(state, home, domain, year)
        chosen = [r for r in rows if (include_insufficient or not r.insufficient) and (band is None or r.band == band)]
        items = chosen[offset:offset + limit]
        if intervals_:
            ivs = intervals(state, home, domain, year_)
            items = [r.model_copy(update={"interval": ivs.get(r.iso3)}) for r in items]
        return RiskPage(items=items, total=len(chosen), limit=limit, offset=offset, home=home.upper(), domain=domain,
                        year=year_)

    key = (home.upper(), domain, year, band, include_insufficient, intervals_, limit, offset)
    return await state.answer("risk_pages", key, build, size=1024)


@router.get("/risk/scores/{iso3}", response_model=RiskScore, dependencies=[Depends(viewer)],
            responses=errors(404, 503))
async def country_score(iso3: str, state: State, home: Home = "CHN", domain: Domain = "general",
                        year: Year = None, intervals_: Intervals = False) -> Response:
    """One country's score, band, outlook, rank and dimensions (and rank interval with ``intervals=true``)."""
    code = get_countries().to_iso3(iso3.strip().upper(), "iso3")

    def build() -> RiskScore:
        year_, rows = score_table(state, home, domain, year)
        hit = next((r for r in rows if r.iso3 == code), None)
        if hit is None:
            raise NotFoundError(f"{code} is not in the risk index", hint="GET /api/v1/risk/scores lists the economies")
        if intervals_:
            hit = hit.model_copy(update={"interval": intervals(state, home, domain, year_).get(code)})
        return hit

    return await state.answer("risk_pages", (code, home.upper(), domain, year, intervals_), build, size=1024)


@router.get("/risk/explain/{iso3}", response_model=ExplanationOut, dependencies=[Depends(viewer)],
            responses=errors(404, 503))
def explain(iso3: str, state: State, home: Home = "CHN", domain: Domain = "general", year: Year = None
            ) -> ExplanationOut:
    """Why a country scores as it does: dimension and indicator contributions, change, coverage, overrides."""
    code = get_countries().to_iso3(iso3.strip().upper(), "iso3")

    def build() -> ExplanationOut:
        idx = risk_index(state, home, domain, year)
        if code not in set(idx.countries.astype(str)):
            raise NotFoundError(f"{code} is not in the risk index", hint="use an ISO3 code of a scored economy")
        e = idx.explain(code, year)
        prev = None if e.previous_year is None else int(e.previous_year)
        return ExplanationOut(
            iso3=e.iso3, name=e.name, year=int(e.year), home=home.upper(), domain=domain, score=_num(e.score),
            band=e.band, outlook=e.outlook, trend=_num(e.trend), rank=_num(e.rank), insufficient=bool(e.insufficient),
            coverage={k: _num(v) for k, v in e.coverage.items()}, dimensions=records(e.dimensions),
            indicators=records(e.indicators), overrides=records(e.overrides), notes=list(e.notes),
            previous_year=prev, previous_score=_num(e.previous_score))

    return state.cached("risk_explain", (code, home.upper(), domain, year), build, size=512)


@router.get("/risk/overrides", response_model=list[OverrideOut], dependencies=[Depends(viewer)],
            responses=errors())
def overrides(state: State, include_inactive: bool = False) -> list[OverrideOut]:
    """Expert overrides and their audit trail (who, when, why, old and new values)."""
    with state.read() as store:
        found = load_overrides(store, include_inactive=include_inactive)
    return [OverrideOut(**o.__dict__) for o in found]


@router.post("/risk/overrides", response_model=OverrideOut, status_code=201, responses=errors(403, 404))
def override_add(body: OverrideIn, request: Request, state: State, who: Annotated[Principal, Depends(analyst)]
                 ) -> OverrideOut:
    """Record an expert override (author = the key's name); every cached score is recomputed."""
    idx = risk_index(state, body.home, body.domain, body.year)
    structure = idx.structure
    if body.target not in (*structure.dim_ids, *structure.ind_ids):
        raise NotFoundError(f"no indicator or dimension {body.target!r} in the framework",
                            hint=f"use one of {', '.join((*structure.dim_ids, *structure.ind_ids))}")
    code = get_countries().to_iso3(body.iso3.strip().upper(), "iso3")
    if code not in set(idx.countries.astype(str)):
        raise NotFoundError(f"{code} is not in the risk index", hint="use an ISO3 code of a scored economy")
    with state.write(request, who, invalidate=RISK_CACHES) as rec:
        new = add_override(state.store, idx, body.iso3.upper(), body.year, body.target, body.value,
                           author=who.name, reason=body.reason)
        ov = new.overrides_all[-1]
        rec.status, rec.detail = 201, {"override_id": ov.override_id, "iso3": ov.iso3, "year": ov.year,
                                       "target": ov.target, "old_value": ov.old_value, "value": ov.value}
    return OverrideOut(**ov.__dict__)


@router.delete("/risk/overrides/{override_id}", response_model=OverrideOut, responses=errors(403, 404))
def override_remove(override_id: str, request: Request, state: State,
                    who: Annotated[Principal, Depends(analyst)]) -> OverrideOut:
    """Switch an override off for good (it stays in the trail with active = false)."""
    with state.write(request, who, invalidate=RISK_CACHES) as rec:
        found = [o for o in load_overrides(state.store, include_inactive=True) if o.override_id == override_id]
        if not found:
            raise NotFoundError(f"no override {override_id!r}", hint="see GET /api/v1/risk/overrides")
        deactivate_override(state.store, override_id)
        rec.detail = {"override_id": override_id}
    return OverrideOut(**{**found[0].__dict__, "active": False})


__all__ = ["RISK_CACHES", "intervals", "risk_index", "router", "score_table"]
