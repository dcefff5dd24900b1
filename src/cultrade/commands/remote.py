"""Every ``cultrade`` command while ``cultrade serve`` runs: the server owns the store, the CLI goes through it.

DuckDB lets one process open a store file, so while a server runs, another ``cultrade`` process could not even
read it. Instead, ``cultrade serve`` publishes ``<store>.server.json`` (mode 0600: its pid, its address and a
key of its own, created at start and revoked at exit) and any other ``cultrade`` command on the same store
sends its arguments to the server (``POST /api/v1/local/cli``), which runs the command in its process,
with its store, and sends back the output and the exit code. The command runs exactly as it would have run
here (same code, same checks, same messages); reads, ingests, acknowledgements, silences and reports all
work while the dashboard and the watcher keep running.

Inside the server, a forwarded command holds the server's store lock, so it never races the watcher or an
API request. Two commands are different there: ``alerts dispatch`` asks the server's dispatcher to deliver
(it calls receivers without the lock, so a slow receiver holds nothing up), and ``monitor watch DIR`` adds
the folder to the server's watcher instead of blocking. ``serve`` refuses to start a second server on a
store.

The key only works from the same machine (loopback clients) and only for this endpoint; the server file is
readable by its owner only, like the store itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cultrade.errors import ConfigError, StoreError
from cultrade.settings import Settings, get_settings

LOCAL_KEY_NAME = "local-cli"
ENDPOINT = "/api/v1/local/cli"
_RUN_LOCK = threading.Lock()  # forwarded commands share the process's stdout, cwd and consoles: one at a time


def server_file(settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    assert s.store_path is not None
    path = Path(s.store_path)
    return path.with_name(path.name + ".server.json")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_server(settings: Settings | None = None) -> dict[str, Any] | None:
    """The running server of the configured store (None: none; a file left by a dead server is removed)."""
    path = server_file(settings)
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("pid", -1))) or int(info["pid"]) == os.getpid():
        if isinstance(info, dict) and int(info.get("pid", -1)) != os.getpid():
            with contextlib.suppress(OSError):
                path.unlink()
        return None
    return info


def publish(store: Any, url: str, settings: Settings | None = None) -> Path:
    """Create the server's key (revoking those of earlier servers) and write the server file."""
    from cultrade.api.keys import create_key, list_keys, revoke_key

    for k in list_keys(store):
        if k.name == LOCAL_KEY_NAME:
            revoke_key(store, k.id)
    created = create_key(store, LOCAL_KEY_NAME, "admin")
    path = server_file(settings)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"pid": os.getpid(), "url": url, "key": created.key, "key_id": created.id,
                   "store": str(getattr(store, "path", "")),
                   "started_at": datetime.now(UTC).isoformat()}, fh)
    os.replace(tmp, path)
    return path


def unpublish(store: Any, settings: Settings | None = None) -> None:
    """Remove the server file and revoke the server's key (at shutdown)."""
    from cultrade.api.keys import revoke_key

    path = server_file(settings)
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if info.get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()
        with contextlib.suppress(Exception):
            revoke_key(store, info["key_id"])


# -- the client ----------------------------------------------------------------------------------
def forward(argv: Sequence[str], info: dict[str, Any], *, timeout: float = 3600.0) -> int:
    """Run ``cultrade <argv>`` in the server; print its output here; return its exit code."""
    import httpx

    width = shutil.get_terminal_size((160, 40)).columns if sys.stdout.isatty() else 160
    body = {"argv": list(argv), "cwd": os.getcwd(), "width": width}
    try:
        resp = httpx.post(info["url"].rstrip("/") + ENDPOINT, json=body, timeout=timeout,
                          headers={"Authorization": f"Bearer {info['key']}"})
    except httpx.HTTPError as exc:
        raise StoreError(f"the store is owned by the cultrade server (pid {info['pid']}, {info['url']}), which "
                         f"does not answer ({type(exc).__name__})", path=info.get("store"),
                         hint="wait until it has started, or stop it (Ctrl-C) and run the command again") from exc
    if resp.status_code != 200:
        raise StoreError(f"the cultrade server (pid {info['pid']}) refused the command: HTTP {resp.status_code} "
                         f"{resp.text[:300]}", path=info.get("store"), hint="stop the server and run the command")
    out = resp.json()
    sys.stdout.write(out.get("stdout", ""))
    sys.stderr.write(out.get("stderr", ""))
    sys.stdout.flush()
    return int(out.get("exit_code", 1))


def maybe_forward(argv: Sequence[str]) -> int | None:
    """If a server owns the configured store, run ``argv`` there and return the exit code; None otherwise."""
    if not argv or argv[0] in ("--help", "--version"):
        return None
    info = find_server()
    if info is None:
        return None
    if argv[0] == "serve":
        raise ConfigError(f"a cultrade server already runs on this store (pid {info['pid']}, {info['url']})",
                          path=info.get("store"), hint="use it, or stop it before starting another")
    return forward(argv, info)


# -- the server side ------------------------------------------------------------------------------
def execute(argv: list[str], cwd: str, width: int, *, lock: Any, service: Any = None,
            start_service: Any = None) -> tuple[int, str, str]:
    """Run ``cultrade <argv>`` in this (the server's) process: (exit code, stdout, stderr)."""
    import click
    import typer

    from cultrade.commands.common import console, err_console

    if argv and argv[0] == "serve":
        return 2, "", "error: a server already runs on this store\n"
    if argv[:2] == ["alerts", "dispatch"] and "--help" not in argv:
        return _dispatch(lock, service)
    if argv[:2] == ["monitor", "watch"] and len(argv) > 2 and "--help" not in argv:
        folder = Path(cwd, argv[2]).resolve()
        svc = service if service is not None else (start_service() if start_service else None)
        if svc is None:
            return 1, "", "error: this server runs no watcher\n"
        added = svc.watch(folder)
        return 0, (f"the server (pid {os.getpid()}) {'now watches' if added else 'already watches'} {folder}; "
                   "`cultrade monitor status` shows the feed\n"), ""
    if argv and argv[0] == "demo" and "--no-serve" not in argv:
        argv = [*argv, "--no-serve"]  # the dashboard is served already
    from cultrade.cli import app

    out, err = io.StringIO(), io.StringIO()
    code: int = 0
    with _RUN_LOCK, lock:
        old_cwd, widths = os.getcwd(), (console.width, err_console.width)
        try:
            os.chdir(cwd)
            console.width = err_console.width = max(60, min(int(width), 400))
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    result = typer.main.get_command(app).main(list(argv), prog_name="cultrade",
                                                              standalone_mode=False)
                    code = int(result) if isinstance(result, int) else 0
                except click.exceptions.Exit as exc:
                    code = int(exc.exit_code or 0)
                except click.ClickException as exc:
                    exc.show(file=err)
                    code = exc.exit_code
                except click.exceptions.Abort:
                    code = 1
                except SystemExit as exc:
                    code = int(exc.code) if isinstance(exc.code, int) else 1
                except Exception as exc:  # a bug in a command: report it, keep the server up
                    err.write(f"error: {type(exc).__name__}: {exc}\n")
                    code = 1
        finally:
            os.chdir(old_cwd)
            console.width, err_console.width = widths
    return code, out.getvalue(), err.getvalue()


def _dispatch(lock: Any, service: Any) -> tuple[int, str, str]:
    if service is not None:
        report = service.dispatch()
    else:
        from cultrade.monitor.notify import Dispatcher
        from cultrade.store import Store

        with lock:
            store = Store(settings=get_settings())
        try:
            report = Dispatcher(store, lock=lock).run(max_rounds=5, max_wait=30.0)
        finally:
            with lock:
                store.close()
    text = f"delivered {report.delivered}, failed attempts {report.failed} (by the server, pid {os.getpid()})\n"
    return 0, text + "".join(f"  {e}\n" for e in dict.fromkeys(report.errors)), ""


__all__ = ["ENDPOINT", "LOCAL_KEY_NAME", "execute", "find_server", "forward", "maybe_forward", "publish",
           "server_file", "unpublish"]
