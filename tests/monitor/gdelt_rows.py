"""Invented GDELT 2.0 export rows for the monitor tests."""

from __future__ import annotations

from datetime import datetime

from cultrade.sources.gdelt import V2_COLUMNS


def event_row(gid: int, ts: datetime, geo: str, code: str) -> str:
    """One tab-separated export row: event ``gid`` of CAMEO ``code`` in country ``geo`` (FIPS), added at ``ts``,
    reported by an article of its own (QuadClass 4 for the violent roots 18-20, 1 otherwise)."""
    f = dict.fromkeys(V2_COLUMNS, "")
    f.update(GLOBALEVENTID=str(gid), SQLDATE=ts.strftime("%Y%m%d"), EventCode=code, EventBaseCode=code,
             EventRootCode=code[:2], QuadClass="4" if code[:2] in ("18", "19", "20") else "1", GoldsteinScale="-10",
             NumMentions="3", AvgTone="-4", ActionGeo_CountryCode=geo, DATEADDED=ts.strftime("%Y%m%d%H%M%S"),
             SOURCEURL=f"https://example.org/{gid}")
    return "\t".join(f[c] for c in V2_COLUMNS)
