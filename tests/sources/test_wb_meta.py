"""World Bank FY25 metadata: 217 economies with region and income group; aggregates dropped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

META = "indicators/country_ref/wb_metadata_country_income_region_FY25.csv"


def test_fy25_regions_and_income_groups(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("wb_meta"), shared / META)
    # 265 rows: 217 economies and 48 aggregates (the rows with an empty region).
    assert result.rows == {"wb_country_meta": 217}
    assert store.catalog_entry("wb_meta")["vintage"] == "FY25"
    meta = store.frame("wb_country_meta").set_index("iso3")
    # FY25 classification (July 2024): China upper-middle, Norway high income, Venezuela unclassified.
    assert meta.loc["CHN", "income_group"] == "Upper middle income"
    assert meta.loc["CHN", "region"] == "East Asia & Pacific"
    assert meta.loc["NOR", "income_group"] == "High income"
    assert pd.isna(meta.loc["VEN", "income_group"])
    counts = meta["income_group"].value_counts().to_dict()
    assert counts == {"High income": 85, "Upper middle income": 54, "Lower middle income": 51, "Low income": 26}
    assert meta["region"].nunique() == 7
    assert not {"WLD", "EUU", "HIC", "EAS"} & set(meta.index)
    assert store.ingest(get_adapter("wb_meta"), shared / META).status == "unchanged"


def test_an_economy_without_a_region_is_refused(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "wb_metadata_country_bad.csv"
    path.write_text("\n".join(META_SAMPLE).replace("NOR,Europe & Central Asia", "NOR,") + "\n")
    with pytest.raises(SourceFormatError, match="has no region but is not an aggregate") as err:
        store.ingest(get_adapter("wb_meta"), path)
    assert err.value.row == 5  # the note above spans two lines


META_SAMPLE = [
    "Country Code,Region,IncomeGroup,SpecialNotes,TableName",
    "CHN,East Asia & Pacific,Upper middle income,,China",
    'AFG,South Asia,Low income,"Fiscal year basis.',
    'Second line of the note.",Afghanistan',
    "NOR,Europe & Central Asia,High income,,Norway",
    "WLD,,,World aggregate,World",
    "VEN,Latin America & Caribbean,,,\"Venezuela, RB\"",
]


def test_bad_metadata_files_are_refused(store: Store, tmp_path: Path) -> None:
    # There is no numeric column; the suite's "abc" lands in IncomeGroup, a closed
    # list of four values, which is the type check that applies here.
    case = BadInputCase("wb_meta", "wb_metadata_country_income_region_FY25.csv", META_SAMPLE,
                        numeric_column="IncomeGroup", country_column="Country Code")
    check_bad_inputs(case, store, tmp_path)
