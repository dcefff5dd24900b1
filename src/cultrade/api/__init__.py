"""The REST API: ``create_app()`` returns the FastAPI application ``cultrade serve`` runs.

Import :func:`create_app` from :mod:`cultrade.api.app`; this package imports nothing
heavy so that ``import cultrade.api`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(*args: Any, **kwargs: Any) -> FastAPI:
    """See :func:`cultrade.api.app.create_app`."""
    from cultrade.api.app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["create_app"]
