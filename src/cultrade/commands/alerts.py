"""Alert commands: list, ack, silence, unsilence, watchlists, dispatch, evaluate, rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cultrade.commands.common import console, handle_errors, open_store, print_frame
from cultrade.errors import ConfigError

alerts_app = typer.Typer(help="Alerts on country signals, indicators, risk bands and forecasts.",
                         no_args_is_help=True)
watchlist_app = typer.Typer(help="Per-enterprise watchlists: countries × domains × minimum severity → receivers.",
                            no_args_is_help=True)
alerts_app.add_typer(watchlist_app, name="watchlist")


def _duration(text: str) -> timedelta:
    from cultrade.monitor.rules import parse_duration

    try:
        return parse_duration(text).timedelta
    except ValueError as exc:
        raise ConfigError(str(exc), hint="write e.g. 2h, 24h, 7d") from None


@alerts_app.command("list")
@handle_errors
def list_cmd(
    state: Annotated[str | None, typer.Option(help="inactive, pending, firing, resolved or nodata.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO3 code, e.g. IRN.")] = None,
    category: Annotated[str | None, typer.Option(help="event (the event stream) or outlook (indicators, "
                                                       "risk bands, forecasts).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include inactive alerts.")] = False,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 100,
) -> None:
    """Alerts and their state, with the value that fired each and why (inactive ones hidden unless --all)."""
    from cultrade.monitor.alerts import list_alerts
    from cultrade.monitor.rules import check
    from cultrade.monitor.status import feed_status

    if state is not None:
        check("state", state)
    if category not in (None, "event", "outlook"):
        raise ConfigError(f"unknown category {category!r}", hint="use event or outlook")
    with open_store() as store:
        df = list_alerts(store, state=state, country=country, include_inactive=all_, category=category)
        feed = feed_status(store)
    console.print(f"event feed {feed.sentence()}" + ("; event alerts are as of that slice, not live"
                                                      if feed.state == "stale" else ""), highlight=False)
    if df.empty:
        console.print("No alerts.")
        return
    fired = [("" if v != v or v is None else f"{v:,.4g} {u or ''}".strip())
             for v, u in zip(df["fired_value"], df["unit"], strict=True)]
    shown = pd.DataFrame({"id": df["id"].str[:10], "kind": df["category"], "rule": df["rule"], "iso3": df["iso3"],
                          "severity": df["severity"], "state": df["state"], "fired": fired,
                          "since": df["since"], "why": df["why"].fillna("")})
    print_frame(shown, title=f"{len(df)} alert(s)", max_rows=limit)


@alerts_app.command("ack")
@handle_errors
def ack_cmd(
    alert_id: Annotated[str, typer.Argument(metavar="ID", help="Alert id (or a unique prefix) from `alerts list`.")],
    by: Annotated[str, typer.Option(help="Who acknowledges.")],
    comment: Annotated[str, typer.Option(help="Why, or what is being done.")] = "",
) -> None:
    """Acknowledge an alert: recorded with who/when/comment; stops repeat notifications until it changes state."""
    from cultrade.api.keys import audit_local
    from cultrade.monitor.alerts import acknowledge

    with open_store() as store:
        alert = acknowledge(store, alert_id, by, comment)
        audit_local(store, "alerts ack", {"alert": alert.fingerprint, "by": by})
    console.print(f"acknowledged {alert.fingerprint} ({alert.rule} {alert.iso3 or ''}, {alert.state}) by {by}")


@alerts_app.command("silence")
@handle_errors
def silence_cmd(
    match: Annotated[list[str], typer.Option(help="Label matcher: iso3=IRN, alertname=~fx_.*, severity!=info.")],
    by: Annotated[str, typer.Option(help="Author.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    for_: Annotated[str, typer.Option("--for", help="How long, e.g. 2h, 24h, 7d.")] = "24h",
) -> None:
    """Silence matching alerts: they still change state, but notify nobody until the silence ends."""
    from cultrade.api.keys import audit_local
    from cultrade.monitor.alerts import Silence, add_silence, utcnow

    start = utcnow()
    with open_store() as store:
        silence = add_silence(store, Silence.create(match, author=by, reason=reason, starts_at=start,
                                                    ends_at=start + _duration(for_)))
        audit_local(store, "alerts silence", {"silence": silence.id, "matchers": match, "by": by})
    console.print(f"silence {silence.id} until {silence.ends_at:%Y-%m-%d %H:%M} UTC: "
                  f"{', '.join(str(m) for m in silence.matchers)}")


@alerts_app.command("unsilence")
@handle_errors
def unsilence_cmd(silence_id: Annotated[str, typer.Argument(metavar="ID", help="Silence id.")]) -> None:
    """End a silence now."""
    from cultrade.api.keys import audit_local
    from cultrade.monitor.alerts import expire_silence

    with open_store() as store:
        expire_silence(store, silence_id)
        audit_local(store, "alerts unsilence", {"silence": silence_id})
    console.print(f"silence {silence_id} expired")


@alerts_app.command("silences")
@handle_errors
def silences_cmd(all_: Annotated[bool, typer.Option("--all", help="Include expired silences.")] = False) -> None:
    """List silences."""
    from cultrade.monitor.alerts import load_silences

    with open_store() as store:
        rows = load_silences(store, include_expired=all_)
    if not rows:
        console.print("No silences.")
        return
    print_frame(pd.DataFrame([{"id": s.id, "matchers": ", ".join(map(str, s.matchers)), "author": s.author,
                               "reason": s.reason, "starts_at": s.starts_at, "ends_at": s.ends_at} for s in rows]))


@alerts_app.command("history")
@handle_errors
def history_cmd(alert_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="Alert id.")] = None,
                limit: Annotated[int, typer.Option(help="Rows to show.")] = 100) -> None:
    """The transition log (every state change and repeat notification)."""
    from cultrade.monitor.alerts import alert_events

    with open_store() as store:
        df = alert_events(store, alert_id)
    print_frame(df.tail(limit), title="alert events", max_rows=limit)


@alerts_app.command("evaluate")
@handle_errors
def evaluate_cmd(
    now: Annotated[datetime | None, typer.Option(help="Evaluation time (UTC); default: now.")] = None,
    rules: Annotated[Path | None, typer.Option(help="A rules YAML file merged onto the shipped rules.")] = None,
    replace: Annotated[bool, typer.Option(help="Use --rules alone instead of merging.")] = False,
) -> None:
    """Evaluate every rule once and queue the notifications (then run `alerts dispatch`)."""
    from cultrade.monitor.engine import evaluate
    from cultrade.monitor.rules import load_rules

    ruleset = load_rules(rules, mode="replace" if replace else "merge") if rules else None
    with open_store() as store:
        transitions = evaluate(store, now, rules=ruleset)
    if not transitions:
        console.print("No state changes.")
        return
    print_frame(pd.DataFrame([{"id": t.fingerprint[:10], "rule": t.rule, "iso3": t.labels.get("iso3", ""),
                               "from": t.from_state, "to": t.to_state, "value": t.value, "notified": t.notified,
                               "muted_by": t.muted_by or ""} for t in transitions]), title="transitions")


@alerts_app.command("dispatch")
@handle_errors
def dispatch_cmd(
    max_rounds: Annotated[int, typer.Option(help="Delivery passes (retries wait for their backoff).")] = 5,
    max_wait: Annotated[float, typer.Option(help="Longest wait for a retry, in seconds.")] = 30.0,
    retry_failed: Annotated[bool, typer.Option(help="Re-queue notifications that gave up first.")] = False,
) -> None:
    """Deliver the outbox: every queued notification exactly once per receiver (retried with backoff)."""
    from cultrade.monitor.notify import Dispatcher, outbox_summary, requeue_failed

    with open_store() as store:
        if retry_failed:
            console.print(f"re-queued {requeue_failed(store)} failed notification(s)")
        report = Dispatcher(store).run(max_rounds=max_rounds, max_wait=max_wait)
        left = outbox_summary(store)
    console.print(f"delivered {report.delivered}, failed attempts {report.failed}; outbox: "
                  + (", ".join(f"{k} {v}" for k, v in left.items()) or "empty"))
    for err in dict.fromkeys(report.errors):
        console.print(f"  [red]{err}[/]", highlight=False)


@alerts_app.command("rules")
@handle_errors
def rules_cmd(
    file: Annotated[Path | None, typer.Option(help="Validate this rules file (merged onto the shipped rules).")] = None,
) -> None:
    """Show the rules in force (and validate a user file)."""
    from cultrade.monitor.rules import load_rules, rules_for_engine

    rs = load_rules(file) if file else rules_for_engine()
    print_frame(pd.DataFrame([{"name": r.name, "enabled": r.enabled, "series": r.series.kind,
                               "condition": r.condition.type, "severity": r.severity, "for": str(r.for_),
                               "labels": ", ".join(f"{k}={v}" for k, v in r.labels.items())} for r in rs.rules]),
                title=f"rules from {rs.source}", max_rows=500)


@alerts_app.command("snapshot-risk")
@handle_errors
def snapshot_risk_cmd(home: Annotated[str, typer.Option(help="Home country (ISO3).")] = "CHN",
                      domain: Annotated[str, typer.Option(help="Cultural domain.")] = "general") -> None:
    """Store the current risk scores and bands, which the risk rules read."""
    from cultrade.monitor.alerts import snapshot_risk

    with open_store() as store:
        n = snapshot_risk(store, home, domain)
    console.print(f"stored {n} risk scores for home {home.upper()}, domain {domain}")


@watchlist_app.command("add")
@handle_errors
def watchlist_add_cmd(
    enterprise: Annotated[str, typer.Argument(help="The enterprise's name.")],
    country: Annotated[list[str] | None, typer.Option(help="ISO3 code (repeat; none = every country).")] = None,
    domain: Annotated[list[str] | None, typer.Option(help="Cultural domain (repeat; none = every domain).")] = None,
    min_severity: Annotated[str, typer.Option(help="info, warning or critical.")] = "warning",
    receiver: Annotated[list[str] | None, typer.Option(help="webhook:URL, email:ADDRESS or log (repeat).")] = None,
) -> None:
    """Add a watchlist; its matching alerts go to its receivers."""
    from cultrade.monitor.watchlists import Watchlist, add_watchlist

    with open_store() as store:
        w = add_watchlist(store, Watchlist.create(enterprise, countries=country or [], domains=domain or [],
                                                  min_severity=min_severity, receivers=receiver or ["log"]))
    console.print(f"watchlist {w.id} for {w.enterprise}")


@watchlist_app.command("list")
@handle_errors
def watchlist_list_cmd(enterprise: Annotated[str | None, typer.Option(help="Only this enterprise.")] = None) -> None:
    """List watchlists."""
    from cultrade.monitor.watchlists import load_watchlists, watchlist_frame

    with open_store() as store:
        rows = load_watchlists(store, enterprise)
    if not rows:
        console.print("No watchlists.")
        return
    print_frame(watchlist_frame(rows), title="watchlists")


@watchlist_app.command("remove")
@handle_errors
def watchlist_remove_cmd(watchlist_id: Annotated[str, typer.Argument(metavar="ID", help="Watchlist id.")]) -> None:
    """Remove a watchlist."""
    from cultrade.monitor.watchlists import remove_watchlist

    with open_store() as store:
        remove_watchlist(store, watchlist_id)
    console.print(f"watchlist {watchlist_id} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
