"""cultrade: cultural trade statistics, country risk and market opportunities.

>>> from cultrade import Store, to_iso3
>>> to_iso3("ZAR", "wb")
'COD'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cultrade.countries import get_countries, to_iso3
    from cultrade.errors import CultradeError
    from cultrade.settings import Settings, get_settings
    from cultrade.store import IngestResult, Provenance, Store, open_store

__version__ = "0.1.0"

# Imported on first use (PEP 562), so that a process needing one submodule (a slice reader of
# cultrade.monitor.prefetch, the CLI's --help) does not pay for DuckDB, Ibis and pandas.
_LAZY = {"get_countries": "countries", "to_iso3": "countries", "CultradeError": "errors", "Settings": "settings",
         "get_settings": "settings", "IngestResult": "store", "Provenance": "store", "Store": "store",
         "open_store": "store"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f"cultrade.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cultrade' has no attribute {name!r}")


__all__ = [
    "CultradeError",
    "IngestResult",
    "Provenance",
    "Settings",
    "Store",
    "__version__",
    "get_countries",
    "get_settings",
    "open_store",
    "to_iso3",
]
