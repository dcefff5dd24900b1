"""``POST /api/v1/local/cli``: run a ``cultrade`` command in the server's process (see
:mod:`cultrade.commands.remote`). Only the server's own key, only from the same machine."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cultrade.api.auth import admin, api_state
from cultrade.api.errors import ForbiddenError
from cultrade.api.routers.common import errors
from cultrade.api.state import ApiState, Principal

router = APIRouter(tags=["local"], include_in_schema=False)


class CliIn(BaseModel):
    argv: list[str] = Field(max_length=200)
    cwd: str = Field(max_length=4096)
    width: int = Field(default=160, ge=20, le=1000)


class CliOut(BaseModel):
    exit_code: int
    stdout: str
    stderr: str


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"


@router.post("/local/cli", response_model=CliOut, responses=errors(403))
def local_cli(body: CliIn, request: Request, state: Annotated[ApiState, Depends(api_state)],
              who: Annotated[Principal, Depends(admin)]) -> CliOut:
    """Run ``cultrade <argv>`` here, as the CLI would have run it, and return its output and exit code."""
    from cultrade.commands.remote import LOCAL_KEY_NAME, execute

    if who.name != LOCAL_KEY_NAME or not _loopback(request.client.host if request.client else None):
        raise ForbiddenError("only the server's own CLI key, from this machine, may run commands",
                             hint="run the command on the server's machine; it finds the server by itself")
    app_state = request.app.state
    code, out, err = execute(body.argv, body.cwd, body.width, lock=state.lock,
                             service=getattr(app_state, "monitor", None),
                             start_service=getattr(app_state, "start_monitor", None))
    state.invalidate()  # the command may have changed what the caches hold
    state.audit_outside(request, who, 200, {"argv": body.argv[:20], "exit_code": code})
    return CliOut(exit_code=code, stdout=out, stderr=err)
