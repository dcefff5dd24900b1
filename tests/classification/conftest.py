"""Fixtures for the classification tests: the raw concordance files read into the store layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

#: hsN in the concordance file names -> edition label used by cultrade.
CONCORDANCE_EDITIONS = {"hs0": "HS92", "hs1": "HS96", "hs2": "HS02", "hs3": "HS07", "hs4": "HS12",
                        "hs5": "HS17", "hs6": "HS22"}


def read_concordance(folder: Path) -> pd.DataFrame:
    """The insongkim/concordance files (hs5_hs0 ... hs5_hs4, hs6_hs5) as from/to rows, newer edition first."""
    frames = []
    for path in sorted(folder.glob("hs*_hs*.csv")):
        new, old = path.stem.split("_")
        raw = pd.read_csv(path, dtype=str)
        frames.append(pd.DataFrame({
            "from_edition": CONCORDANCE_EDITIONS[new], "from_code": raw[f"{new.upper()}_6d"],
            "to_edition": CONCORDANCE_EDITIONS[old], "to_code": raw[f"{old.upper()}_6d"],
        }))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def concordance(shared: Path) -> pd.DataFrame:
    return read_concordance(shared / "trade" / "hs_concordance")
