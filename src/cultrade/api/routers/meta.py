"""Health, session (login to the dashboard with a key), API keys and the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from cultrade import __version__
from cultrade.api import keys as keystore
from cultrade.api.auth import admin, api_state, clear_session_cookie, cookie_scheme, set_session_cookie, viewer
from cultrade.api.errors import ConflictError
from cultrade.api.routers.common import Limit, Offset, errors
from cultrade.api.schemas import AuditOut, Health, KeyCreated, KeyIn, KeyOut, Page, SessionIn, SessionOut, WhoAmI
from cultrade.api.service import records
from cultrade.api.state import ApiState, Principal

router = APIRouter()
State = Annotated[ApiState, Depends(api_state)]


@router.get("/health", response_model=Health, tags=["meta"])
def health() -> Health:
    """Liveness: no key needed, touches nothing."""
    return Health(status="ok", version=__version__)


@router.post("/session", response_model=SessionOut, tags=["session"], responses=errors(429))
def login(body: SessionIn, request: Request, response: Response, state: State) -> SessionOut:
    """Log in with an API key: opens a server-side session and sets its id in the HttpOnly cookie
    ``cultrade_session`` (SameSite=Strict; Secure when ``CULTRADE_API_COOKIE_SECURE``). The answer carries the
    session's CSRF token: send it as ``X-CSRF-Token`` with every write that relies on the cookie."""
    principal, opened = state.login(request, body.key)
    set_session_cookie(response, opened, state.api)
    return SessionOut(id=principal.key_id, name=principal.name, role=principal.role,  # type: ignore[arg-type]
                      csrf_token=opened.csrf, expires_at=opened.expires_at)


@router.delete("/session", status_code=204, tags=["session"], responses=errors(403, 429))
def logout(request: Request, response: Response, state: State, who: Annotated[Principal, Depends(viewer)],
           cookie: Annotated[str | None, Depends(cookie_scheme)] = None) -> Response:
    """Log out: ends the session on the server (its cookie no longer works anywhere) and clears the cookie."""
    state.logout(request, cookie if who.via_session else None, who)
    clear_session_cookie(response, state.api)
    response.status_code = 204
    return response


@router.get("/session", response_model=WhoAmI, tags=["session"], responses=errors())
def whoami(who: Annotated[Principal, Depends(viewer)]) -> WhoAmI:
    """The key the request is authenticated with."""
    return WhoAmI(id=who.key_id, name=who.name, role=who.role)  # type: ignore[arg-type]


@router.get("/keys", response_model=list[KeyOut], tags=["keys"], responses=errors(403))
def keys_list(state: State, _: Annotated[Principal, Depends(admin)], include_revoked: bool = True) -> list[KeyOut]:
    """Every API key (never the secrets)."""
    with state.read() as store:
        found = keystore.list_keys(store, include_revoked=include_revoked)
    return [KeyOut(**k.__dict__) for k in found]


@router.post("/keys", response_model=KeyCreated, status_code=201, tags=["keys"], responses=errors(403))
def keys_create(body: KeyIn, request: Request, state: State, who: Annotated[Principal, Depends(admin)]) -> KeyCreated:
    """Create a key; the secret is in this answer only."""
    with state.write(request, who) as rec:
        created = keystore.create_key(state.store, body.name, body.role)
        rec.status, rec.detail = 201, {"key_id": created.id, "name": created.name, "role": created.role}
    return KeyCreated(**created.__dict__)


@router.delete("/keys/{key_id}", response_model=KeyOut, tags=["keys"], responses=errors(403, 404, 409))
def keys_revoke(key_id: str, request: Request, state: State, who: Annotated[Principal, Depends(admin)]) -> KeyOut:
    """Revoke a key for good (its sessions end with it). A key cannot revoke itself: use another admin key."""
    if key_id == who.key_id:
        raise ConflictError("a key cannot revoke itself", hint="revoke it with another admin key, or "
                            "`cultrade keys revoke`")
    with state.write(request, who, invalidate=("keys",)) as rec:
        revoked = keystore.revoke_key(state.store, key_id)
        rec.detail = {"key_id": key_id}
    return KeyOut(**revoked.__dict__)


@router.get("/audit", response_model=Page[AuditOut], tags=["keys"], responses=errors(403))
def audit_list(state: State, _: Annotated[Principal, Depends(admin)], limit: Limit = 100, offset: Offset = 0,
               key_id: str | None = None, method: str | None = None) -> Page[AuditOut]:
    """The audit trail of every write, newest first."""
    with state.read() as store:
        frame, total = keystore.audit_frame(store, key_id=key_id, method=method, limit=limit, offset=offset)
    return Page[AuditOut](items=[AuditOut(**r) for r in records(frame)], total=total, limit=limit, offset=offset)
