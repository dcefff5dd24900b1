"""``cultrade serve`` (the REST API, the dashboard and, with ``--watch``/``--live``, the monitor service) and
``cultrade keys`` (API keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cultrade.commands.common import console, handle_errors, open_store, print_frame

keys_app = typer.Typer(help="API keys for `cultrade serve` (roles: viewer, analyst, admin).", no_args_is_help=True)


@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1, or CULTRADE_API_HOST).")]
    = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000, or CULTRADE_API_PORT).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    watch: Annotated[list[Path] | None, typer.Option("--watch", help="Also watch this folder for new GDELT slices "
                                                     "(repeat for several).")] = None,
    live: Annotated[Path | None, typer.Option(help="Also download GDELT's new slices into this folder (online).")]
    = None,
    dispatch: Annotated[bool, typer.Option(help="Deliver notifications on a schedule (on with --watch/--live).")]
    = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls of the watched folders.")] = 10.0,
    dispatch_interval: Annotated[float, typer.Option(help="Seconds between deliveries of the outbox.")] = 15.0,
) -> None:
    """Serve the REST API (docs at /api/docs) and the dashboard; with --watch or --live also run the monitor
    (watcher, rule engine, notification dispatcher) in the same process. While it runs, every other
    `cultrade` command on this store goes through it."""
    import uvicorn

    from cultrade.api.app import create_app
    from cultrade.api.settings import ApiSettings
    from cultrade.commands.remote import publish, unpublish
    from cultrade.monitor.service import MonitorService
    from cultrade.settings import get_settings

    settings = get_settings()
    api = ApiSettings()
    host, port = host or api.host, port if port is not None else api.port
    app = create_app(api_settings=api)
    state = app.state.api
    app.state.monitor = None

    def start_monitor() -> MonitorService:
        if app.state.monitor is None:
            app.state.monitor = MonitorService(state.store.path, settings, watch=list(watch or []), live=live,
                                               interval=interval, dispatch_interval=dispatch_interval,
                                               lock=state.lock).start()
        return app.state.monitor

    app.state.start_monitor = start_monitor
    web = " and the dashboard" if app.state.web_mounted else ""
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    try:
        with state.lock:
            publish(state.store, url)
        if watch or live or dispatch:
            service = start_monitor()
            what = [f"watching {', '.join(map(str, service.folders))}" if service.folders else "",
                    f"downloading GDELT into {service.live}" if service.live else "", "delivering notifications"]
            console.print(f"monitor: {'; '.join(w for w in what if w)}")
        console.print(f"cultrade API{web} on http://{host}:{port} (docs: http://{host}:{port}/api/docs)")
        uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        if app.state.monitor is not None:
            app.state.monitor.stop()
        with state.lock:
            unpublish(state.store)
        state.close()


@keys_app.command("create")
@handle_errors
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. dashboard, alice.")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
) -> None:
    """Create a key and print it once (only its SHA-256 hash is stored)."""
    from cultrade.api.keys import audit_local, create_key

    with open_store() as store:
        created = create_key(store, name, role)
        audit_local(store, "keys create", {"key_id": created.id, "name": created.name, "role": created.role})
    console.print(f"API key {created.id} ({created.name}, {created.role}); shown once, store it now:")
    typer.echo(created.key)


@keys_app.command("list")
@handle_errors
def keys_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """List the keys (never the secrets)."""
    import pandas as pd

    from cultrade.api.keys import list_keys

    with open_store() as store:
        found = list_keys(store, include_revoked=all_)
    if not found:
        console.print("No API keys: create one with `cultrade keys create --name NAME --role admin`.")
        return
    print_frame(pd.DataFrame([k.__dict__ for k in found]), title="API keys", max_rows=500)


@keys_app.command("revoke")
@handle_errors
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see `cultrade keys list`).")]) -> None:
    """Revoke a key for good."""
    from cultrade.api.keys import audit_local, revoke_key

    with open_store() as store:
        revoked = revoke_key(store, key_id)
        audit_local(store, "keys revoke", {"key_id": key_id})
    console.print(f"revoked {revoked.id} ({revoked.name}) at {revoked.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")


__all__ = ["keys_app", "register", "serve"]
