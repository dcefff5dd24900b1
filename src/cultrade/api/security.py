"""Security headers on every answer of the app: pages, static files, the API and its errors.

* ``Content-Security-Policy``: scripts only from this origin (no inline script, no ``eval``), nothing may
  frame the pages (``frame-ancestors 'none'``), forms post only here, no plugins. Styles allow inline
  ``style`` attributes (the band colours and ECharts' tooltips set them); data and blob images are the
  charts' exports. The API docs page also loads Swagger UI from its CDN (:data:`DOCS_CSP`).
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (older browsers), ``Referrer-Policy``.

A pure ASGI middleware (no ``BaseHTTPMiddleware``): it only adds headers to the response start.

>>> "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP.split("script-src")[1].split(";")[0]
True
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
SWAGGER_CDN = "https://cdn.jsdelivr.net"
DOCS_PATH = "/api/docs"
DOCS_CSP = CSP.replace("script-src 'self'", f"script-src 'self' {SWAGGER_CDN}").replace(
    "style-src 'self'", f"style-src 'self' {SWAGGER_CDN}").replace("img-src 'self'", "img-src 'self' https:")
_COMMON = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"same-origin"))


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (install once per app: :func:`install`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_CSP if scope.get("path", "").startswith(DOCS_PATH) else CSP).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {b"content-security-policy", *(h for h, _ in _COMMON)}]
                message["headers"] = [*headers, (b"content-security-policy", policy), *_COMMON]
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: object) -> None:
    """Add :class:`SecurityHeadersMiddleware` to a FastAPI/Starlette app unless it is there already."""
    state = app.state  # type: ignore[attr-defined]
    if getattr(state, "security_headers", False):
        return
    app.add_middleware(SecurityHeadersMiddleware)  # type: ignore[attr-defined]
    state.security_headers = True


__all__ = ["CSP", "DOCS_CSP", "SecurityHeadersMiddleware", "install"]
