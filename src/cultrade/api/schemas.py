"""Request and response models of the REST API (they make the OpenAPI schema).

>>> Page[CountryOut](items=[], total=0, limit=10, offset=0).model_dump()
{'items': [], 'total': 0, 'limit': 10, 'offset': 0}
>>> SilenceIn(matchers=["iso3=IRN"], reason="known", duration_hours=2).duration_hours
2.0
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from cultrade.classification import CulturalCode
from cultrade.risk.framework import load_framework

T = TypeVar("T")


def utc(value: datetime) -> datetime:
    """A time-zone aware UTC datetime; the store keeps naive UTC times.

    >>> utc(datetime(2025, 1, 2, 3, 4)).isoformat()
    '2025-01-02T03:04:00+00:00'
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: Every timestamp the API serves: RFC 3339 with its offset (UTC).
UtcDateTime = Annotated[datetime, AfterValidator(utc)]
Matcher = Annotated[str, StringConstraints(pattern=r"^ *[A-Za-z_][A-Za-z0-9_]* *(=~|!~|!=|=)[^\n\r]*$", max_length=500)]
# ASCII classes, not \s and \S: Python's and the validator's (Rust) ideas of Unicode whitespace differ.
Receiver = Annotated[str, StringConstraints(pattern=r"^(log|webhook:https?://[!-~]+|email:[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+)$",
                                            max_length=2000)]
_DOMAINS = "^(" + "|".join(load_framework().domain_names()) + ")$"
Iso3Code = Annotated[str, StringConstraints(pattern=r"^ *[A-Za-z]{3} *$")]
Severity = Literal["info", "warning", "critical"]
AlertStateName = Literal["inactive", "pending", "firing", "resolved", "nodata"]
RoleName = Literal["viewer", "analyst", "admin"]


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer."""

    error: str = Field(description="Error class, e.g. NotFoundError, ValidationError, ConfigError.")
    message: str
    path: str | None = Field(description="The file a library error points at, else the request path.")
    row: int | None = None
    column: str | None = Field(default=None, description="Column of a file, or the invalid parameter.")
    hint: str | None = Field(default=None, description="How to fix it.")


class Page(BaseModel, Generic[T]):
    """A page of a list: ``items`` from ``offset``, at most ``limit``, out of ``total``."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: str = "ok"
    version: str


class WhoAmI(BaseModel):
    id: str
    name: str
    role: RoleName


class SessionIn(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="An API key.")


class SessionOut(WhoAmI):
    csrf_token: str = Field(description="Send as X-CSRF-Token with every write authenticated by the cookie.")
    expires_at: UtcDateTime


# -- countries and indicators ---------------------------------------------------------------
class CountryOut(BaseModel):
    iso3: str
    iso2: str
    m49: str
    name: str
    name_zh: str
    region: str
    income: str
    historical: bool


class SourceOut(BaseModel):
    source: str
    licence: str | None = None
    publisher: str | None = None
    vintage: str | None = None
    files: int
    rows: int
    indicators: int | None = None
    countries: int | None = None
    first_year: int | None = None
    last_year: int | None = None


class IndicatorOut(BaseModel):
    source: str
    indicator: str
    countries: int
    first_year: int | None
    last_year: int | None
    rows: int


class IndicatorValue(BaseModel):
    source: str
    iso3: str
    year: int
    indicator: str
    value: float | None


# -- risk -----------------------------------------------------------------------------------
class RankInterval(BaseModel):
    """Monte Carlo rank interval (weights ±25 %, every normalisation and aggregation)."""

    level: float = Field(description="Interval level, e.g. 0.9 for the 5th-95th percentile.")
    draws: int
    rank_median: float | None
    rank_lo: int | None
    rank_hi: int | None
    rank_width: float | None
    score_median: float | None
    score_lo: float | None
    score_hi: float | None


class RiskScore(BaseModel):
    iso3: str
    name: str
    year: int
    score: float | None = Field(description="0-10, 10 = highest risk; null when data are insufficient.")
    band: str
    outlook: str
    trend: float | None
    rank: int | None = Field(description="1 = highest risk among the countries scored that year.")
    coverage: float | None
    insufficient: bool
    overrides: bool
    dimensions: dict[str, float | None]
    interval: RankInterval | None = None


class RiskPage(Page[RiskScore]):
    home: str
    domain: str
    year: int


class ExplanationOut(BaseModel):
    iso3: str
    name: str
    year: int
    home: str
    domain: str
    score: float | None
    band: str
    outlook: str
    trend: float | None
    rank: float | None
    insufficient: bool
    coverage: dict[str, float | None]
    dimensions: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    overrides: list[dict[str, Any]]
    notes: list[str]
    previous_year: int | None
    previous_score: float | None


class OverrideIn(BaseModel):
    iso3: str = Field(min_length=3, max_length=3)
    year: int = Field(ge=1900, le=2100)
    target: str = Field(min_length=1, description="An indicator or dimension id of the framework.")
    value: float = Field(ge=0, le=10, description="New value on the 0-10 risk scale.")
    reason: str = Field(min_length=1, max_length=2000)
    home: str = Field(default="CHN", min_length=3, max_length=3)
    domain: str = Field(default="general", pattern=_DOMAINS, description="A domain profile of the framework.")


class OverrideOut(BaseModel):
    override_id: str
    iso3: str
    year: int
    kind: str
    target: str
    value: float
    old_value: float | None
    author: str
    reason: str
    created_at: UtcDateTime
    active: bool
    home: str
    domain: str


# -- trade ----------------------------------------------------------------------------------
class TradeProfileOut(BaseModel):
    iso3: str
    year: int
    scheme: str
    domain: str | None
    source: str = Field(description="baci (bilateral flows) or ots (exports by HS4).")
    notes: list[str]
    tables: dict[str, list[dict[str, Any]]]
    charts: dict[str, dict[str, Any]] | None = Field(default=None, description="Vega-Lite specs, data inline.")


# The classification's own dataclass is the response model: one definition of a cultural code.
CulturalCodeOut = CulturalCode


class DomainOut(BaseModel):
    scheme: str
    code: str
    label_en: str
    label_zh: str


# -- monitoring -----------------------------------------------------------------------------
class SignalOut(BaseModel):
    iso3: str
    granularity: str
    ts: UtcDateTime
    metric: str
    value: float | None
    baseline: float | None = None
    mad: float | None = None
    anomaly: float | None = None


class AlertOut(BaseModel):
    id: str
    rule: str
    iso3: str | None
    severity: str | None
    state: str
    value: float | None
    sample_ts: UtcDateTime | None
    since: UtcDateTime | None
    resolved_at: UtcDateTime | None
    acked_by: str | None
    acked_at: UtcDateTime | None
    labels: dict[str, str]
    category: str = Field(default="event", description="event (the event stream) or outlook (indicators, risk "
                          "bands, forecasts; never critical)")
    fired_value: float | None = Field(default=None, description="the value that fired the alert, in `unit`")
    unit: str | None = None
    baseline: float | None = Field(default=None, description="what it was compared with, e.g. the expected count")
    why: str | None = Field(default=None, description="why it fired, in words")


class AlertDetail(BaseModel):
    id: str
    rule: str
    labels: dict[str, str]
    state: str
    seq: int
    value: float | None
    summary: str
    fired_at: UtcDateTime | None
    resolved_at: UtcDateTime | None
    acked_seq: int | None
    events: list[dict[str, Any]]
    silenced_by: list[str]
    severity: str | None = None
    category: str = "event"
    fired_value: float | None = None
    unit: str | None = None
    baseline: float | None = None
    why: str | None = None


class AckIn(BaseModel):
    comment: str = Field(default="", max_length=2000)


class SilenceIn(BaseModel):
    matchers: list[Matcher] = Field(min_length=1, max_length=20, description="label=value, label!=value, label=~re")
    reason: str = Field(min_length=1, max_length=2000)
    duration_hours: float = Field(default=24.0, ge=0.01, le=24 * 366)


class AlertSilenceIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    duration_hours: float = Field(default=24.0, ge=0.01, le=24 * 366)
    matchers: list[Matcher] | None = Field(default=None, max_length=20,
                                           description="Default: alertname and iso3 of the alert.")


class SilenceOut(BaseModel):
    id: str
    matchers: list[str]
    author: str
    reason: str
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    active: bool


class UnsilenceOut(BaseModel):
    expired: list[str]


class WatchlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise: str = Field(min_length=1, max_length=200)
    countries: list[Iso3Code] = Field(default_factory=list, max_length=300)
    domains: list[str] = Field(default_factory=list, max_length=50)
    min_severity: Severity = "warning"
    receivers: list[Receiver] = Field(default_factory=lambda: ["log"], min_length=1, max_length=20,
                                      description="log, webhook:https://host/path or email:name@example.org")


class WatchlistOut(BaseModel):
    id: str
    enterprise: str
    countries: list[str]
    domains: list[str]
    min_severity: str
    receivers: list[str]
    created_at: UtcDateTime | None


class RuleOut(BaseModel):
    name: str
    enabled: bool
    summary: str
    severity: str
    kind: str
    condition: str
    definition: dict[str, Any] = Field(description="The rule as written in rules.yaml (durations as text).")


class RulePatch(BaseModel):
    enabled: StrictBool


# -- keys and audit -------------------------------------------------------------------------
class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: RoleName = "viewer"


class KeyOut(BaseModel):
    id: str
    name: str
    role: str
    created_at: UtcDateTime
    revoked_at: UtcDateTime | None
    last_used_at: UtcDateTime | None


class KeyCreated(KeyOut):
    key: str = Field(description="The secret, shown once: store it now.")


class AuditOut(BaseModel):
    id: int
    at: UtcDateTime
    key_id: str | None
    key_name: str | None = Field(default=None, description="Who: the key's name, or cli:<user> for the command line.")
    role: str | None
    method: str
    path: str
    status: int
    detail: str | None


__all__ = [name for name in dir() if name[0].isupper() and name not in {"Any", "Generic", "Literal", "TypeVar",
                                                                         "BaseModel", "ConfigDict", "Field", "T"}]
