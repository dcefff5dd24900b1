"""Hofstede: the official 6-D matrix (.xls and CSV) and the Insights scrape load into one table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

HOF = "indicators/hofstede"
XLS = "hofstede_6d_2015-08-16_official.xls"
CSV = "hofstede_6d_2015-08-16_official.csv"
SCRAPE = "hofstede_insights_country_comparison_scrape.csv"


def scores(store: Store, iso3: str, dataset: str) -> list[float]:
    row = store.con.execute("SELECT pdi, idv, mas, uai, lto, ivr FROM hofstede WHERE iso3=? AND dataset=?",
                            [iso3, dataset]).fetchone()
    assert row is not None, f"no {dataset} scores for {iso3}"
    return [round(v) for v in row]


def test_official_matrix_scores_china_and_the_usa(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("hofstede"), shared / HOF / XLS)
    # 111 rows: 101 countries, and 10 regions and sub-national groups (Africa East, Belgium French, ...)
    assert result.rows == {"hofstede": 101, "hofstede_regions": 10} and result.partition == "official"
    regions = store.frame("hofstede_regions").set_index("hofstede_code")
    assert regions.loc["ARA", "region"] == "Arab countries" and regions.loc["ARA", "pdi"] == 80
    assert store.catalog_entry("hofstede", "official")["vintage"] == "2015-08-16"
    # geerthofstede.com 6-D matrix: China 80/20/66/30/87/24, U.S.A. 40/91/62/46/26/68.
    assert scores(store, "CHN", "official") == [80, 20, 66, 30, 87, 24]
    assert scores(store, "USA", "official") == [40, 91, 62, 46, 26, 68]
    table = store.frame("hofstede").set_index("iso3")
    # Hofstede's own codes are kept: CHI is China, MNG is Montenegro (not Mongolia).
    assert table.loc["CHN", "hofstede_code"] == "CHI" and table.loc["MNE", "hofstede_code"] == "MNG"
    assert table.loc["GBR", "source_row_name"] == "Great Britain"
    assert table["estimated"].isna().all()  # the matrix does not flag estimates


def test_missing_scores_stay_missing_and_real_zeros_stay_zero(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("hofstede"), shared / HOF / XLS)
    table = store.frame("hofstede").set_index("iso3")
    # Albania has only LTO and IVR in the matrix; Pakistan's IVR is a published 0.
    assert table.loc["ALB", ["pdi", "idv", "mas", "uai"]].isna().all()
    assert table.loc["PAK", "ivr"] == 0


def test_the_csv_is_the_same_matrix_rounded_without_the_dominican_republic(shared: Path) -> None:
    adapter = get_adapter("hofstede")
    xls = adapter.parse(shared / HOF / XLS)["hofstede"].set_index("iso3")
    csv = adapter.parse(shared / HOF / CSV)["hofstede"].set_index("iso3")
    assert len(csv) == 100 and set(xls.index) - set(csv.index) == {"DOM"}
    dims = ["pdi", "idv", "mas", "uai", "lto", "ivr"]
    gap = (xls.loc[csv.index, dims] - csv[dims]).abs().max().max()
    assert gap <= 0.5


def test_insights_scrape_flags_estimates(shared: Path, store: Store) -> None:
    adapter = get_adapter("hofstede")
    store.ingest(adapter, shared / HOF / XLS)
    result = store.ingest(adapter, shared / HOF / SCRAPE)
    assert result.rows == {"hofstede": 118} and result.partition == "insights"
    scrape = store.frame("hofstede").query("dataset == 'insights'").set_index("iso3")
    assert int(scrape["estimated"].sum()) == 48  # 48 names carry the "*"
    assert bool(scrape.loc["ALB", "estimated"]) and not bool(scrape.loc["CHN", "estimated"])
    assert scores(store, "CHN", "insights") == [80, 20, 66, 30, 87, 24]
    assert pd.isna(scrape.loc["ISR", "ivr"])  # -1 in the scrape
    assert store.ingest(adapter, shared / HOF / SCRAPE).status == "unchanged"
    assert store.row_count("hofstede") == 101 + 118


def test_broken_xls_workbooks_are_refused(shared: Path, tmp_path: Path, store: Store) -> None:
    adapter = get_adapter("hofstede")
    truncated = tmp_path / "truncated" / XLS
    truncated.parent.mkdir()
    truncated.write_bytes((shared / HOF / XLS).read_bytes()[:5000])
    text = tmp_path / "text" / XLS
    text.parent.mkdir()
    text.write_text("ctr;country\n")
    empty = tmp_path / "empty" / XLS
    empty.parent.mkdir()
    empty.write_bytes(b"")
    for path in (truncated, text, empty):
        with pytest.raises(SourceFormatError) as err:
            store.ingest(adapter, path)
        assert XLS in str(err.value) and err.value.hint
    assert store.catalog().empty


OFFICIAL_SAMPLE = [
    "ctr;country;pdi;idv;mas;uai;ltowvs;ivr",
    "AFE;Africa East;64;27;41;52;32;40",
    "CHI;China;80;20;66;30;87;24",
    "GBR;Great Britain;35;89;66;35;51;69",
    "ALB;Albania;#NULL!;#NULL!;#NULL!;#NULL!;61;15",
]
INSIGHTS_SAMPLE = [
    '469,"China","china","80","20","66","30","87","24","24",""',
    '545,"Albania*","albania","90","20","80","70","61","15","15",""',
    '490,"Israel","israel","13","54","47","81","38","-1","-1",""',
    '515,"United States","the-usa","40","91","62","46","26","68","68",""',
]


def test_bad_official_csv_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("hofstede", CSV, OFFICIAL_SAMPLE, numeric_column="pdi", country_column="country",
                        sep=";")
    check_bad_inputs(case, store, tmp_path)


def test_bad_insights_scrapes_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("hofstede", SCRAPE, INSIGHTS_SAMPLE, numeric_column=3, country_column=1,
                        has_header=False)
    check_bad_inputs(case, store, tmp_path)
