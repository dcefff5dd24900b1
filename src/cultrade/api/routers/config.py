"""Watchlists (which enterprise wants which alerts, where) and alert rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from cultrade.api.auth import admin, analyst, api_state, viewer
from cultrade.api.errors import NotFoundError
from cultrade.api.routers.common import errors
from cultrade.api.rules_edit import current_rules, find_rule, put_rule, rule_dict, set_enabled
from cultrade.api.schemas import RuleOut, RulePatch, WatchlistIn, WatchlistOut
from cultrade.api.state import ApiState, Principal
from cultrade.monitor.rules import Rule
from cultrade.monitor.watchlists import Watchlist, add_watchlist, load_watchlists, remove_watchlist
from cultrade.store import Store

router = APIRouter()
State = Annotated[ApiState, Depends(api_state)]
Analyst = Annotated[Principal, Depends(analyst)]
Admin = Annotated[Principal, Depends(admin)]


def _wl(w: Watchlist) -> WatchlistOut:
    return WatchlistOut(id=w.id, enterprise=w.enterprise, countries=list(w.countries), domains=list(w.domains),
                        min_severity=w.min_severity, receivers=list(w.receivers), created_at=w.created_at)


def _find(store: Store, watchlist_id: str) -> Watchlist:
    for w in load_watchlists(store):
        if w.id == watchlist_id:
            return w
    raise NotFoundError(f"no watchlist with id {watchlist_id!r}", hint="see GET /api/v1/watchlists")


def _create(body: WatchlistIn, watchlist_id: str | None = None) -> Watchlist:
    return Watchlist.create(body.enterprise, countries=body.countries, domains=body.domains,
                            min_severity=body.min_severity, receivers=body.receivers, id=watchlist_id)


@router.get("/watchlists", response_model=list[WatchlistOut], tags=["watchlists"], dependencies=[Depends(viewer)],
            responses=errors())
def watchlists(state: State, enterprise: str | None = None) -> list[WatchlistOut]:
    """Every watchlist (of one enterprise if given)."""
    with state.read() as store:
        return [_wl(w) for w in load_watchlists(store, enterprise)]


@router.get("/watchlists/{watchlist_id}", response_model=WatchlistOut, tags=["watchlists"],
            dependencies=[Depends(viewer)], responses=errors(404))
def watchlist(watchlist_id: str, state: State) -> WatchlistOut:
    with state.read() as store:
        return _wl(_find(store, watchlist_id))


@router.post("/watchlists", response_model=WatchlistOut, status_code=201, tags=["watchlists"],
             responses=errors(403))
def watchlist_add(body: WatchlistIn, request: Request, state: State, who: Analyst) -> WatchlistOut:
    """Create a watchlist: countries × domains × minimum severity → receivers (webhook:URL, email:ADDR, log)."""
    with state.write(request, who) as rec:
        w = add_watchlist(state.store, _create(body))
        rec.status, rec.detail = 201, {"watchlist": w.id, "enterprise": w.enterprise}
    return _wl(w)


@router.put("/watchlists/{watchlist_id}", response_model=WatchlistOut, tags=["watchlists"],
            responses=errors(403, 404))
def watchlist_replace(watchlist_id: str, body: WatchlistIn, request: Request, state: State,
                      who: Analyst) -> WatchlistOut:
    """Replace a watchlist (same id), atomically."""
    with state.write(request, who) as rec:
        _find(state.store, watchlist_id)
        remove_watchlist(state.store, watchlist_id)
        w = add_watchlist(state.store, _create(body, watchlist_id))
        rec.detail = {"watchlist": w.id, "enterprise": w.enterprise}
    return _wl(w)


@router.delete("/watchlists/{watchlist_id}", status_code=204, tags=["watchlists"], responses=errors(403, 404))
def watchlist_remove(watchlist_id: str, request: Request, state: State, who: Analyst) -> None:
    with state.write(request, who) as rec:
        _find(state.store, watchlist_id)
        remove_watchlist(state.store, watchlist_id)
        rec.status, rec.detail = 204, {"watchlist": watchlist_id}


def _rule(r: Rule) -> RuleOut:
    return RuleOut(name=r.name, enabled=r.enabled, summary=r.summary, severity=r.severity, kind=r.series.kind,
                   condition=r.condition.type, definition=rule_dict(r))


@router.get("/rules", response_model=list[RuleOut], tags=["rules"], dependencies=[Depends(viewer)],
            responses=errors())
def rules(state: State) -> list[RuleOut]:
    """Alert rules in force (shipped rules.yaml + the user file)."""
    return [_rule(r) for r in current_rules(state.rules_path).rules]


@router.get("/rules/{name}", response_model=RuleOut, tags=["rules"], dependencies=[Depends(viewer)],
            responses=errors(404))
def rule(name: str, state: State) -> RuleOut:
    return _rule(find_rule(current_rules(state.rules_path), name))


@router.patch("/rules/{name}", response_model=RuleOut, tags=["rules"], responses=errors(403, 404))
def rule_patch(name: str, body: RulePatch, request: Request, state: State, who: Admin) -> RuleOut:
    """Switch a rule on or off (written to the user rules file, which the engine reads)."""
    with state.write(request, who) as rec:
        r = set_enabled(state.rules_path, name, body.enabled)
        rec.detail = {"rule": name, "enabled": body.enabled, "file": str(state.rules_path)}
    return _rule(r)


@router.put("/rules/{name}", response_model=RuleOut, tags=["rules"], responses=errors(403))
def rule_put(name: str, request: Request, state: State, who: Admin,
             definition: Annotated[dict[str, Any], Body(description="A rules.yaml entry (name optional).")]
             ) -> RuleOut:
    """Create or replace a rule in the user rules file (validated against the shipped ones first)."""
    with state.write(request, who) as rec:
        r = put_rule(state.rules_path, name, definition)
        rec.detail = {"rule": name, "definition": rule_dict(r), "file": str(state.rules_path)}
    return _rule(r)
