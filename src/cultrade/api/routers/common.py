"""What the routers share: paging parameters and error responses for the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from cultrade.api.schemas import ErrorBody

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (1-1000).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
Iso3Path = Annotated[str, "ISO3 code"]

_CODES = {401: "No key, or an unknown or revoked key", 403: "The key's role is too low",
          404: "Not found", 422: "Invalid parameters", 503: "The store lacks the data"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can return (always 401 and 422)."""
    wanted = sorted({401, 422, *codes})
    return {c: {"model": ErrorBody, "description": _CODES.get(c, "Error")} for c in wanted}


__all__ = ["Iso3Path", "Limit", "Offset", "errors"]
