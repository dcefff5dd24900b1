"""Source adapters: one per dataset, each parsing its publisher's own layout.

>>> from cultrade.sources import available
>>> sorted(available())[:3]  # doctest: +SKIP
['baci', 'baci_countries', 'baci_products']
"""

from cultrade.sources.base import SourceAdapter, TableAdapter
from cultrade.sources.registry import available, detect, get_adapter, register

__all__ = ["SourceAdapter", "TableAdapter", "available", "detect", "get_adapter", "register"]
