"""Who may call what: API keys from a header or the session cookie, checked against a minimum role.

A key is accepted from ``Authorization: Bearer <key>``, ``X-API-Key: <key>`` or the
HttpOnly cookie ``cultrade_key`` (set by ``POST /api/v1/session``), in that order.
``require("analyst")`` is the dependency of a route analysts and admins may use.
No key, an unknown or a revoked key → 401; a role below the route's → 403.
Refusals of unsafe methods (POST, PUT, PATCH, DELETE) are audited too.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from cultrade.api.errors import AuthError, ForbiddenError
from cultrade.api.keys import role_at_least
from cultrade.api.state import ApiState, Principal

COOKIE = "cultrade_key"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")
cookie_scheme = APIKeyCookie(name=COOKIE, auto_error=False, description="Session cookie set by POST /api/v1/session")


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def presented_key(bearer: HTTPAuthorizationCredentials | None, header: str | None, cookie: str | None) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return header or cookie or None


def _refuse(request: Request, state: ApiState, principal: Principal | None, error: Exception, code: int) -> None:
    if request.method in UNSAFE:
        state.audit_outside(request, principal, code, str(error))
    raise error


def require(role: str) -> Callable[..., Principal]:
    """A dependency returning the caller's :class:`Principal` when its role is at least ``role``."""

    def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),  # noqa: B008
        header: str | None = Depends(header_scheme),
        cookie: str | None = Depends(cookie_scheme),
    ) -> Principal:
        state = api_state(request)
        key = presented_key(bearer, header, cookie)
        if not key:
            _refuse(request, state, None, AuthError(
                "an API key is required", hint="send Authorization: Bearer <key>, X-API-Key: <key>, or log in "
                "with POST /api/v1/session; admins create keys with `cultrade keys create`"), 401)
        found = state.authenticate(key or "")
        if found is None:
            _refuse(request, state, None, AuthError(
                "unknown or revoked API key", hint="ask an admin for a valid key (`cultrade keys list`)"), 401)
        assert found is not None
        principal = Principal(found.id, found.name, found.role)
        request.state.principal = principal
        if not role_at_least(found.role, role):
            _refuse(request, state, principal, ForbiddenError(
                f"this needs the {role} role; key {found.name!r} is {found.role}",
                hint="use a key with a higher role"), 403)
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


viewer = require("viewer")
analyst = require("analyst")
admin = require("admin")

__all__ = ["COOKIE", "UNSAFE", "admin", "analyst", "api_state", "presented_key", "require", "viewer"]
