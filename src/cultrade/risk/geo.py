"""CEPII GeoDist pairs (home x target) for the cultural-distance and logistics indicators.

One small interface, :func:`load_pairs`, returns ``iso_o, iso_d, comlang_off,
comlang_ethno, colony, comcol, contig, dist``. It reads an explicit ``dist_cepii.csv`` path if given,
else the store table ``geodist_pairs`` written by the GeoDist source adapter
(``iso3_o, iso3_d, ..., dist_km``; any ``geodist*`` table with origin and
destination columns is accepted), else ``<shared_data>/trade/geodist/dist_cepii.csv``. When neither exists it
returns ``None`` and the panel notes that the GeoDist indicators are missing.

>>> import io
>>> text = "iso_o,iso_d,comlang_off,colony,comcol,dist\\nCHN,SGP,1,0,0,4484.7\\n"
>>> read_pairs_csv(io.StringIO(text)).iloc[0][["iso_o", "iso_d", "comlang_off", "dist"]].to_dict()
{'iso_o': 'CHN', 'iso_d': 'SGP', 'comlang_off': 1.0, 'dist': 4484.7}
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.store import Store

COLUMNS = ("iso_o", "iso_d", "comlang_off", "comlang_ethno", "colony", "comcol", "contig", "dist")
_ALIASES = {"ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "YUG": "SRB", "PAL": "PSE"}


def read_pairs_csv(source: str | Path | IO[str]) -> pd.DataFrame:
    """The GeoDist dyadic file, reduced to the columns the risk index uses."""
    df = pd.read_csv(source, dtype={"iso_o": str, "iso_d": str}, keep_default_na=False, na_values=[""])
    missing = [c for c in ("iso_o", "iso_d", "dist") if c not in df.rename(columns=_RENAME).columns]
    if missing:
        raise SourceFormatError(f"not a GeoDist dist_cepii file: no column(s) {', '.join(missing)}",
                                path=str(source) if isinstance(source, str | Path) else None,
                                hint="use CEPII's dist_cepii.csv (iso_o, iso_d, contig, comlang_off, ...)")
    return _tidy(df)


_RENAME = {"iso3_o": "iso_o", "iso3_d": "iso_d", "dist_km": "dist"}


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    df = df.rename(columns=_RENAME)
    out = df[[c for c in COLUMNS if c in df.columns]].copy()
    for col in ("iso_o", "iso_d"):
        out[col] = out[col].astype(str).str.upper().replace(_ALIASES)
    for col in COLUMNS[2:]:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float) if col in out.columns else float("nan")
    return out.reset_index(drop=True)


def _store_table(store: Store) -> str | None:
    for name in store.table_names():
        if name.startswith("geodist") or name == "dist_cepii":
            cols = {r[0] for r in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()}
            if {"iso_o", "iso_d"} <= cols or {"iso3_o", "iso3_d"} <= cols:
                return name
    return None


def load_pairs(store: Store | None = None, path: str | Path | None = None) -> pd.DataFrame | None:
    """GeoDist pairs from the store, else from ``path``, else from the shared data folder; or None."""
    if path is not None:
        return read_pairs_csv(Path(path))
    if store is not None:
        name = _store_table(store)
        if name is not None:
            return _tidy(store.frame(name))
        shared = store.settings.shared_data
        if shared is not None and (Path(shared) / "trade" / "geodist" / "dist_cepii.csv").exists():
            return read_pairs_csv(Path(shared) / "trade" / "geodist" / "dist_cepii.csv")
    return None


__all__ = ["COLUMNS", "load_pairs", "read_pairs_csv"]
