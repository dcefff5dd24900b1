"""Labelled events for the detection benchmark (``cultrade monitor evaluate --labels FILE``).

A labels file is a CSV with a header and one row per country (or dyad) an event touches:

==============  ================================================================================
``event``       an id shared by the rows of one event (recall counts events, not rows)
``country``     the country where it happens or that it targets (ISO3, or a name the country
                reference knows)
``partner``     the other country of a dyadic event (the attacker, the sanctioning state), or empty
``type``        one of :data:`TYPES`
``onset_utc``   when the event became observable: ISO 8601 *with* a zone (``2025-05-28T04:00Z``)
``source``      the outlet or report to cite
``url``         the article (optional)
``note``        free text (optional)
==============  ================================================================================

:func:`read_labels` refuses the whole file at the first bad line, naming it: unknown countries (or an
aggregate such as "World"), an unknown type, a time without a zone, an onset outside the window, a missing
source.

Each type is covered by alerts of some topics (:data:`TOPICS`): an armed clash by an alert about conflict,
a sanctions package by one about sanctions; any label that involves the home country is also covered by the
``relations`` topic (the home-relations rule).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cultrade.errors import ConfigError, UnknownCountryError

TOPICS: dict[str, frozenset[str]] = {
    "armed_clash": frozenset({"conflict", "repression"}),
    "air_strike": frozenset({"conflict"}),
    "drone_strike": frozenset({"conflict"}),
    "armed_attack": frozenset({"conflict"}),
    "bombing": frozenset({"conflict"}),
    "maritime_clash": frozenset({"conflict", "repression"}),
    "coup": frozenset({"conflict", "repression", "unrest"}),
    "mass_protest": frozenset({"unrest", "repression"}),
    "sanctions": frozenset({"sanctions"}),
    "travel_ban": frozenset({"sanctions"}),
    "internet_shutdown": frozenset({"repression", "unrest"}),
}
TYPES: tuple[str, ...] = tuple(TOPICS)
REQUIRED = ("event", "country", "partner", "type", "onset_utc", "source")


@dataclass(frozen=True)
class Label:
    """One row of a labels file (times are naive UTC)."""

    event: str
    country: str
    partner: str | None
    type: str
    onset: datetime
    source: str
    url: str = ""
    note: str = ""
    line: int = 0

    @property
    def countries(self) -> frozenset[str]:
        return frozenset({self.country} | ({self.partner} if self.partner else set()))

    def topics(self, home: str) -> frozenset[str]:
        """The alert topics that cover this label."""
        return TOPICS[self.type] | (frozenset({"relations"}) if home in self.countries else frozenset())


def _country(value: str, path: str, line: int, column: str) -> str:
    from cultrade.countries import get_countries

    text = value.strip()
    try:
        return get_countries().to_iso3(text)  # regions and aggregates (World, EUU) are not in the reference
    except UnknownCountryError as exc:
        close = f"; close matches: {', '.join(exc.suggestions)}" if exc.suggestions else ""
        raise ConfigError(f"unknown country {text!r}{close}", path=path, row=line, column=column,
                          hint="use an ISO3 code (e.g. KHM) or a country name; label each country of a "
                               "regional event on its own row") from None


def _onset(value: str, path: str, line: int) -> datetime:
    text = value.strip()
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(f"onset_utc {text!r} is not an ISO 8601 time", path=path, row=line, column="onset_utc",
                          hint="write e.g. 2025-05-28T04:00Z") from None
    if ts.tzinfo is None:
        raise ConfigError(f"onset_utc {text!r} has no time zone", path=path, row=line, column="onset_utc",
                          hint="add Z (UTC) or an offset, e.g. 2025-05-28T04:00Z or 2025-05-28T11:00+07:00")
    return ts.astimezone(UTC).replace(tzinfo=None)


def read_labels(path: str | Path | None = None, *, text: str | None = None, start: datetime | None = None,
                end: datetime | None = None) -> list[Label]:
    """The labels of a CSV file (or ``text``), validated; onsets must be in [start, end) when given."""
    where = "<text>" if text is not None else str(path)
    try:
        raw = text if text is not None else Path(str(path)).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("labels file not found", path=where, hint="check the path") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the labels file is not UTF-8 ({exc.reason})", path=where,
                          hint="save the CSV as UTF-8") from None
    rows = csv.DictReader(io.StringIO(raw))
    missing = [c for c in REQUIRED if c not in (rows.fieldnames or [])]
    if missing:
        raise ConfigError(f"the labels file lacks the column(s) {', '.join(missing)}", path=where, row=1,
                          hint=f"the header must hold {', '.join(REQUIRED)} (and optionally url, note)")
    out: list[Label] = []
    for i, row in enumerate(rows, start=2):
        if not any((v or "").strip() for v in row.values()):
            continue
        kind = (row.get("type") or "").strip()
        if kind not in TOPICS:
            raise ConfigError(f"unknown event type {kind!r}", path=where, row=i, column="type",
                              hint=f"use one of {', '.join(TYPES)}")
        event = (row.get("event") or "").strip()
        if not event:
            raise ConfigError("the event id is empty", path=where, row=i, column="event",
                              hint="give each event an id; rows of one event share it")
        country = _country(row.get("country") or "", where, i, "country")
        partner = _country(row["partner"], where, i, "partner") if (row.get("partner") or "").strip() else None
        if partner == country:
            raise ConfigError(f"partner {partner} is the country itself", path=where, row=i, column="partner",
                              hint="leave partner empty for an event inside one country")
        onset = _onset(row.get("onset_utc") or "", where, i)
        if (start is not None and onset < start) or (end is not None and onset >= end):
            raise ConfigError(f"onset {onset:%Y-%m-%d %H:%M} UTC is outside the window "
                              f"{start or '…'}..{end or '…'}", path=where, row=i, column="onset_utc",
                              hint="evaluate a window that holds the event, or leave the row out")
        source = (row.get("source") or "").strip()
        if not source:
            raise ConfigError("no source is cited", path=where, row=i, column="source",
                              hint="name the outlet or report that documents the event")
        out.append(Label(event, country, partner, kind, onset, source, (row.get("url") or "").strip(),
                         (row.get("note") or "").strip(), i))
    if not out:
        raise ConfigError("the labels file has no rows", path=where, hint="add one row per labelled event")
    return out


__all__ = ["REQUIRED", "TOPICS", "TYPES", "Label", "read_labels"]
