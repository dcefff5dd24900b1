"""Monitoring: event-stream signals, alerts (list, acknowledge, silence, unsilence) and silences."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import StringConstraints

from cultrade.api.auth import analyst, api_state, viewer
from cultrade.api.routers.common import Limit, Offset, When, errors, one_of
from cultrade.api.schemas import (
    AckIn,
    AlertDetail,
    AlertOut,
    AlertSilenceIn,
    AlertStateName,
    Iso3Code,
    Page,
    Severity,
    SignalOut,
    SilenceIn,
    SilenceOut,
    UnsilenceOut,
)
from cultrade.api.service import (
    alert_silences,
    alerts_table,
    alerts_version,
    get_alert,
    get_silence,
    page,
    records,
    signals_version,
)
from cultrade.api.state import ApiState, Principal
from cultrade.monitor.alerts import (
    Silence,
    acknowledge,
    add_silence,
    alert_events,
    expire_silence,
    silence_alert,
    utcnow,
)
from cultrade.monitor.signals import METRICS, top_anomalies
from cultrade.monitor.signals import signals as query_signals

router = APIRouter(tags=["monitoring"])
State = Annotated[ApiState, Depends(api_state)]
Analyst = Annotated[Principal, Depends(analyst)]
Granularity = Annotated[str, Query(pattern="^(hour|day)$", description="hour or day")]
Metric = Annotated[str, StringConstraints(pattern=one_of(METRICS), max_length=60)]


def _silence_out(s: Silence) -> SilenceOut:
    return SilenceOut(id=s.id, matchers=[str(m) for m in s.matchers], author=s.author, reason=s.reason,
                      starts_at=s.starts_at, ends_at=s.ends_at, active=s.active(utcnow()))


@router.get("/monitor/status", dependencies=[Depends(viewer)], responses=errors())
def monitor_status(request: Request, state: State) -> dict[str, Any]:
    """Is the event feed live or stale: the last slice, how late it was processed, quarantined slices, the
    outbox backlog, and what the server's watcher did (when it runs one)."""
    from cultrade.monitor.status import feed_status

    with state.read() as store:
        out = feed_status(store).as_dict()
    service = getattr(request.app.state, "monitor", None)
    if service is not None:
        st = service.stats
        out["service"] = {"watching": [str(p) for p in service.folders], "live": str(service.live or "") or None,
                          "polls": st.polls, "slices": st.slices, "quarantined": st.quarantined,
                          "delivered": st.delivered, "ticks": st.ticks, "errors": st.errors[-3:],
                          "last_poll": st.last_poll.isoformat() + "Z" if st.last_poll else None}
    return out


@router.get("/signals", response_model=Page[SignalOut], dependencies=[Depends(viewer)], responses=errors())
def signals(state: State, limit: Limit = 100, offset: Offset = 0,
            iso3: Annotated[list[Iso3Code], Query(description="ISO3 codes; repeat for several countries.")] = [],  # noqa: B006
            metric: Annotated[list[Metric], Query(description="events, protest, tone, quad4, ...")] = [],  # noqa: B006
            granularity: Granularity = "day", start: When = None, end: When = None) -> Response:
    """Country signals from the GDELT event stream (``monitor_signals``), start inclusive, end exclusive.

    Answers are cached, keyed by a stamp of the signals table (rows and last write), so new signals show at once.
    """
    store = state.reader()

    def build() -> Page[SignalOut]:
        frame = query_signals(store, iso3 or None, metric or None, granularity, start, end)  # type: ignore[arg-type]
        rows, total = page(frame, limit, offset)
        return Page[SignalOut](items=[SignalOut(**r) for r in records(rows)], total=total, limit=limit,
                               offset=offset)

    stamp = signals_version(store)
    return state.cached_json("signals", (stamp, tuple(iso3), tuple(metric), granularity, start, end, limit, offset), build,
                        size=1024)


@router.get("/signals/top", response_model=list[SignalOut], dependencies=[Depends(viewer)], responses=errors())
def signals_top(state: State, granularity: Granularity = "day", n: Annotated[int, Query(ge=1, le=500)] = 10,
                metric: Annotated[list[Metric], Query()] = [],  # noqa: B006
                start: When = None, end: When = None,
                min_value: Annotated[float, Query(ge=0)] = 5.0) -> list[SignalOut]:
    """The highest anomaly scores (robust z) in a period."""
    with state.read() as store:
        frame = top_anomalies(store, granularity=granularity, n=n, metrics=metric or None, start=start, end=end,  # type: ignore[arg-type]
                              min_value=min_value)
    return [SignalOut(**r) for r in records(frame)]


@router.get("/alerts", response_model=Page[AlertOut], dependencies=[Depends(viewer)], responses=errors())
def alerts(state: State, limit: Limit = 100, offset: Offset = 0, state_: Annotated[
        AlertStateName | None, Query(alias="state")] = None,
        country: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
        severity: Severity | None = None, rule: Annotated[str | None, Query(max_length=100)] = None,
        include_inactive: bool = False) -> Response:
    """Alerts (not inactive ones unless asked), newest change first, with their acknowledgement.

    Answers are cached, keyed by a stamp of the alert tables, so a new evaluation
    or acknowledgement is visible at once.
    """
    filters = {"state": state_, "country": country, "severity": severity, "rule": rule,
               "include_inactive": include_inactive}

    def build() -> bytes:
        frame = alerts_table(store, **filters)  # type: ignore[arg-type]
        rows, total = page(frame, limit, offset)
        body = Page[AlertOut](items=[AlertOut(**r) for r in records(rows)], total=total, limit=limit, offset=offset)
        return body.model_dump_json().encode()

    with state.read() as store:
        version = alerts_version(store)
        content = build() if version is None else state.cached(
            "alerts", (version, limit, offset, *filters.values()), build, size=64)
    return Response(content, media_type="application/json")


@router.get("/alerts/{alert_id}", response_model=AlertDetail, dependencies=[Depends(viewer)],
            responses=errors(404))
def alert(alert_id: str, state: State) -> AlertDetail:
    """One alert with its transition log and the silences muting it."""
    with state.read() as store:
        a = get_alert(store, alert_id)
        events = records(alert_events(store, a.fingerprint))
        muted = [s.id for s in alert_silences(store, a)]
    return AlertDetail(id=a.fingerprint, rule=a.rule, labels=a.labels, state=a.state, seq=a.seq, value=a.value,
                       summary=a.summary, fired_at=a.fired_at, resolved_at=a.resolved_at, acked_seq=a.acked_seq,
                       events=events, silenced_by=muted, severity=a.severity, category=a.category,
                       fired_value=a.fired_value, unit=a.unit, baseline=a.baseline, why=a.why)


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, responses=errors(403, 404))
def alert_ack(alert_id: str, body: AckIn, request: Request, state: State, who: Analyst) -> AlertOut:
    """Acknowledge an alert (by = the key's name): it is not re-notified until it changes state."""
    with state.write(request, who) as rec:
        a = get_alert(state.store, alert_id)
        acknowledge(state.store, a.fingerprint, who.name, body.comment)
        rec.detail = {"alert": a.fingerprint, "seq": a.seq, "comment": body.comment}
        row = alerts_table(state.store, include_inactive=True)
    hit = row[row["id"] == a.fingerprint]
    return AlertOut(**records(hit)[0])


@router.post("/alerts/{alert_id}/silence", response_model=SilenceOut, status_code=201, responses=errors(403, 404))
def alert_silence(alert_id: str, body: AlertSilenceIn, request: Request, state: State, who: Analyst) -> SilenceOut:
    """Silence an alert: by default every alert of its rule for its country, for ``duration_hours``."""
    with state.write(request, who) as rec:
        a = get_alert(state.store, alert_id)
        s = silence_alert(state.store, a, author=who.name, reason=body.reason, hours=body.duration_hours,
                          matchers=body.matchers)
        rec.status, rec.detail = 201, {"alert": a.fingerprint, "silence": s.id,
                                       "matchers": [str(m) for m in s.matchers]}
    return _silence_out(s)


@router.post("/alerts/{alert_id}/unsilence", response_model=UnsilenceOut, responses=errors(403, 404))
def alert_unsilence(alert_id: str, request: Request, state: State, who: Analyst) -> UnsilenceOut:
    """End every active silence that mutes this alert."""
    with state.write(request, who) as rec:
        a = get_alert(state.store, alert_id)
        ids = [s.id for s in alert_silences(state.store, a)]
        for sid in ids:
            expire_silence(state.store, sid)
        rec.detail = {"alert": a.fingerprint, "expired": ids}
    return UnsilenceOut(expired=ids)


@router.get("/silences", response_model=list[SilenceOut], dependencies=[Depends(viewer)], responses=errors())
def silences(state: State, include_expired: bool = False) -> list[SilenceOut]:
    """Silences (active and future ones; expired ones too if asked)."""
    from cultrade.monitor.alerts import load_silences

    with state.read() as store:
        found = load_silences(store, include_expired=include_expired)
    return [_silence_out(s) for s in found]


@router.post("/silences", response_model=SilenceOut, status_code=201, responses=errors(403))
def silence_add(body: SilenceIn, request: Request, state: State, who: Analyst) -> SilenceOut:
    """Mute alerts matching label matchers (``iso3=IRN``, ``severity!=info``, ``alertname=~fx_.*``)."""
    with state.write(request, who) as rec:
        s = add_silence(state.store, Silence.create(body.matchers, author=who.name, reason=body.reason,
                                                    ends_at=utcnow() + timedelta(hours=body.duration_hours)))
        rec.status, rec.detail = 201, {"silence": s.id, "matchers": body.matchers}
    return _silence_out(s)


@router.delete("/silences/{silence_id}", response_model=SilenceOut, responses=errors(403, 404))
def silence_expire(silence_id: str, request: Request, state: State, who: Analyst) -> SilenceOut:
    """Unsilence: end a silence now."""
    with state.write(request, who) as rec:
        get_silence(state.store, silence_id)
        expire_silence(state.store, silence_id)
        rec.detail = {"silence": silence_id}
        s = get_silence(state.store, silence_id)
    return _silence_out(s)
