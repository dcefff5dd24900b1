"""cultrade: cultural trade statistics, country risk and market opportunities.

>>> from cultrade import Store, to_iso3
>>> to_iso3("ZAR", "wb")
'COD'
"""

from cultrade.countries import get_countries, to_iso3
from cultrade.errors import CultradeError
from cultrade.settings import Settings, get_settings
from cultrade.store import IngestResult, Provenance, Store, open_store

__version__ = "0.1.0"

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
