"""Expert overrides with an audit trail, persisted in the store table ``risk_overrides``.

An override sets a country's indicator risk score, or a dimension score, for one
year, on the 0-10 scale of the results (10 = highest risk). Each records who,
when, why, and the old and new values. They are written in one transaction,
applied by default (``use_overrides=True``), flagged in the scores and listed in
the explanations; ``regenerate(use_overrides=False)`` shows the unadjusted index.

>>> o = Override("IRN", 2023, "indicator", "internet_users", 8.0, author="analyst", reason="field report")
>>> o.kind, o.value, o.active
('indicator', 8.0, True)
>>> Override("IRN", 2023, "indicator", "x", 11.0, author="a", reason="b")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cultrade.errors.ConfigError: override value 11.0 is outside 0-10. Fix: give the new score on the 0-10 risk scale...
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.options import check
from cultrade.store import Store

TABLE = "risk_overrides"
_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    override_id VARCHAR PRIMARY KEY,
    iso3 VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    old_value DOUBLE,
    author VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    active BOOLEAN NOT NULL,
    home VARCHAR,
    domain VARCHAR
)
"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Override:
    """One expert adjustment; ``old_value`` is the score it replaced when it was made."""

    iso3: str
    year: int
    kind: str
    target: str
    value: float
    author: str
    reason: str
    old_value: float | None = None
    created_at: datetime = field(default_factory=_now)
    active: bool = True
    home: str = ""
    domain: str = ""
    override_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        check("override kind", self.kind)
        if not 0.0 <= float(self.value) <= 10.0:
            raise ConfigError(f"override value {self.value} is outside 0-10",
                              hint="give the new score on the 0-10 risk scale (10 = highest risk)")
        if not str(self.author).strip() or not str(self.reason).strip():
            raise ConfigError("an override needs an author and a reason",
                              hint="say who made it and why (both are kept in the audit trail)")
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "year", int(self.year))


def save_overrides(store: Store, overrides: Sequence[Override]) -> int:
    """Insert ``overrides`` into ``risk_overrides``, all or nothing; returns the number written."""
    frame = pd.DataFrame([asdict(o) for o in overrides], columns=[
        "override_id", "iso3", "year", "kind", "target", "value", "old_value", "author", "reason",
        "created_at", "active", "home", "domain"])
    with store.transaction() as con:
        con.execute(_DDL)
        if not frame.empty:
            con.register("_risk_ov", frame)
            try:
                con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _risk_ov")
            finally:
                con.unregister("_risk_ov")
    return len(frame)


def deactivate_override(store: Store, override_id: str) -> None:
    """Switch one override off for good (it stays in the audit trail with ``active = false``)."""
    if not store.has_table(TABLE):
        raise ConfigError(f"no override {override_id!r}", hint="list them with RiskIndex.overrides")
    with store.transaction() as con:
        found = con.execute(f"SELECT count(*) FROM {TABLE} WHERE override_id = ?", [override_id]).fetchall()
        if not found or found[0][0] == 0:
            raise ConfigError(f"no override {override_id!r}", hint="list them with RiskIndex.overrides")
        con.execute(f"UPDATE {TABLE} SET active = false WHERE override_id = ?", [override_id])


def load_overrides(store: Store, *, include_inactive: bool = False) -> list[Override]:
    """The overrides stored, oldest first (active ones only, unless asked)."""
    if not store.has_table(TABLE):
        return []
    where = "" if include_inactive else "WHERE active"
    df = store.con.execute(f"SELECT * FROM {TABLE} {where} ORDER BY created_at, override_id").df()
    out = []
    for row in df.to_dict("records"):
        old = row["old_value"]
        out.append(Override(
            iso3=row["iso3"], year=int(row["year"]), kind=row["kind"], target=row["target"],
            value=float(row["value"]), author=row["author"], reason=row["reason"],
            old_value=None if pd.isna(old) else float(old), created_at=pd.Timestamp(row["created_at"]).to_pydatetime(),
            active=bool(row["active"]), home=row["home"] or "", domain=row["domain"] or "",
            override_id=row["override_id"]))
    return out


def overrides_frame(overrides: Sequence[Override]) -> pd.DataFrame:
    """The audit trail as a table."""
    cols = ["override_id", "iso3", "year", "kind", "target", "old_value", "value", "author", "reason",
            "created_at", "active", "home", "domain"]
    return pd.DataFrame([asdict(o) for o in overrides], columns=cols)


__all__ = ["TABLE", "Override", "deactivate_override", "load_overrides", "overrides_frame", "save_overrides"]
