"""Who may call what: an API key from a header, or a login session from its cookie, checked against a role.

A key is accepted from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; a browser logs in once
(``POST /api/v1/session``, or the dashboard's form) and then sends the opaque session id in the HttpOnly
cookie ``cultrade_session`` (:mod:`cultrade.api.sessions`): the key itself never goes into a cookie.
``require("analyst")`` is the dependency of a route analysts and admins may use.
No credential, an unknown or revoked key, an ended or expired session → 401; a role below the route's
→ 403; a cookie-authenticated write without the session's ``X-CSRF-Token`` → 403; too many failed attempts
from the client or for the key prefix → 429 with ``Retry-After`` (:mod:`cultrade.api.ratelimit`).
Refusals of unsafe methods (POST, PUT, PATCH, DELETE) are audited too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from cultrade.api.errors import ForbiddenError
from cultrade.api.keys import role_at_least
from cultrade.api.sessions import COOKIE, OpenedSession
from cultrade.api.settings import ApiSettings
from cultrade.api.state import UNSAFE, ApiState, Principal

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")
cookie_scheme = APIKeyCookie(name=COOKIE, auto_error=False,
                             description="Session id set by POST /api/v1/session (writes also need X-CSRF-Token)")


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def presented_key(bearer: HTTPAuthorizationCredentials | None, header: str | None) -> str | None:
    """The API key a request sends in a header (Bearer first), if any."""
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return header or None


def set_session_cookie(response: Response, opened: OpenedSession, api: ApiSettings) -> None:
    """The session cookie, the same on every path that logs in: HttpOnly, SameSite=Strict, Secure if configured."""
    response.set_cookie(COOKIE, opened.id, httponly=True, samesite="strict", secure=api.cookie_secure,
                        max_age=api.cookie_max_age, path="/")


def clear_session_cookie(response: Response, api: ApiSettings) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=api.cookie_secure)


def identify(request: Request, state: ApiState, key: str | None, session_id: str | None) -> Principal:
    """:meth:`ApiState.identify`, with refused writes audited."""
    try:
        principal = state.identify(request, key, session_id)
    except Exception as exc:
        if request.method in UNSAFE:
            from cultrade.api.errors import status_for

            state.audit_outside(request, None, status_for(exc), str(exc))
        raise
    request.state.principal = principal
    return principal


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency returning the caller's :class:`Principal` when its role is at least ``role``."""

    # async: it runs on the event loop instead of taking a worker thread (a key or session found in the last
    # few seconds is a dictionary lookup; a miss is one indexed query on this thread's cursor).
    async def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),  # noqa: B008
        header: str | None = Depends(header_scheme),
        cookie: str | None = Depends(cookie_scheme),
    ) -> Principal:
        state = api_state(request)
        key = presented_key(bearer, header)
        principal = identify(request, state, key, None if key else cookie)
        if not role_at_least(principal.role, role):
            error = ForbiddenError(f"this needs the {role} role; key {principal.name!r} is {principal.role}",
                                   hint="use a key with a higher role")
            if request.method in UNSAFE:
                state.audit_outside(request, principal, 403, str(error))
            raise error
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


viewer = require("viewer")
analyst = require("analyst")
admin = require("admin")

__all__ = ["COOKIE", "UNSAFE", "admin", "analyst", "api_state", "clear_session_cookie", "identify",
           "presented_key", "require", "set_session_cookie", "viewer"]
