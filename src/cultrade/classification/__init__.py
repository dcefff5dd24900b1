"""Cultural classification of traded goods (HS) and services (EBOPS).

Two schemes, kept side by side and never merged: the domains of the UNESCO
Framework for Cultural Statistics 2009 and the creative-goods groups of UNCTAD.
Every mapping says whether the code is a core cultural good or equipment and
supporting material, whether it is digital, and which list it comes from.

>>> from cultrade.classification import classify, DOMAINS
>>> books = classify("490199")
>>> [(c.scheme, c.domain_label, c.domain_label_zh) for c in books]
[('unesco', 'Books and press', '书籍和报刊'), ('unctad', 'Publishing', '出版')]
>>> classify("9207", scheme="unctad")[0].domain
'performing_arts'
>>> sorted(DOMAINS)
['unctad', 'unesco']
"""

from cultrade.classification.codes import normalize_hs, normalize_hs6
from cultrade.classification.goods import (
    CulturalCode,
    classify,
    domain_codes,
    expand_to_edition,
    goods_table,
    is_cultural,
    metadata,
    reference_table,
)
from cultrade.classification.markets import MarketDomain, market_domain, market_domains, trade_domains
from cultrade.classification.options import (
    DOMAINS,
    EBOPS_EDITIONS,
    EDITIONS,
    MEDIA,
    MEDIUM_LABELS,
    REFERENCE_EDITIONS,
    ROLE_LABELS,
    ROLES,
    SCHEME_LABELS,
    SCHEMES,
    Domain,
    Edition,
    Medium,
    Role,
    Scheme,
    SchemeOrAll,
    check_domain,
    check_edition,
    check_scheme,
)
from cultrade.classification.services import (
    CulturalService,
    classify_service,
    ebops2002_code,
    map_service_labels,
    services_table,
)

__all__ = [
    "DOMAINS",
    "EBOPS_EDITIONS",
    "EDITIONS",
    "MEDIA",
    "MEDIUM_LABELS",
    "REFERENCE_EDITIONS",
    "ROLES",
    "ROLE_LABELS",
    "SCHEMES",
    "SCHEME_LABELS",
    "CulturalCode",
    "CulturalService",
    "Domain",
    "Edition",
    "MarketDomain",
    "Medium",
    "Role",
    "Scheme",
    "SchemeOrAll",
    "check_domain",
    "check_edition",
    "check_scheme",
    "classify",
    "classify_service",
    "domain_codes",
    "ebops2002_code",
    "expand_to_edition",
    "goods_table",
    "is_cultural",
    "map_service_labels",
    "market_domain",
    "market_domains",
    "metadata",
    "normalize_hs",
    "normalize_hs6",
    "reference_table",
    "services_table",
    "trade_domains",
]
