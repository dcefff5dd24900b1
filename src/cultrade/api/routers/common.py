"""What the routers share: paging parameters and error responses for the OpenAPI schema."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

from cultrade.api.schemas import ErrorBody

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (1-1000).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
Iso3Path = Annotated[str, "ISO3 code"]

_CODES = {400: "The request body is not valid JSON", 401: "No key, or an unknown or revoked key, or an ended session",
          403: "The key's role is too low, or a cookie write lacks its X-CSRF-Token",
          404: "Not found", 409: "Conflicts with the current state", 422: "Invalid parameters",
          429: "Too many failed log-ins from this client or for this key prefix (see Retry-After)",
          503: "The store lacks the data"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can return (always 401, 422 and 429)."""
    wanted = sorted({401, 422, 429, *codes})
    out: dict[int | str, dict[str, Any]] = {c: {"model": ErrorBody, "description": _CODES.get(c, "Error")}
                                            for c in wanted}
    if 429 in out:
        out[429]["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return out


def one_of(names: Sequence[str]) -> str:
    """A pattern matching exactly one of ``names`` (for enumerations known at start-up).

    >>> one_of(["day", "hour"])
    '^(day|hour)$'
    """
    return "^(" + "|".join(re.escape(n) for n in names) + ")$"


def _iso_time(value: Any) -> Any:
    """Refuse numbers where a date or time is expected (pydantic would read ``0.5`` as a Unix time)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", value):
        raise ValueError("expected an ISO 8601 date or time, e.g. 2025-06-01 or 2025-06-01T12:00:00Z")
    return value


#: A query date or time: ISO 8601 only.
When = Annotated[datetime | None, BeforeValidator(_iso_time), Query(description="ISO 8601 date or time (UTC).")]


__all__ = ["Iso3Path", "Limit", "Offset", "When", "errors", "one_of"]
