"""CAMEO references: event codes with Goldstein values and QuadClass, actor types, country codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.sources.cameo import file_kind, quad_class
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

REF = "events/cameo_reference"
FILES = {
    "icewspkg_cameo_codes_goldstein.csv": ("cameo_event_codes", 312),
    "CAMEO.eventcodes.txt": ("cameo_event_labels", 310),
    "cameo_actor_role_codes_from_manual_ch3.csv": ("cameo_actor_types", 33),
    "cameo_country_codes_observed_gdelt2025.csv": ("cameo_countries", 205),
}


@pytest.fixture
def loaded(shared: Path, store: Store) -> Store:
    cameo = get_adapter("cameo")
    for name in FILES:
        store.ingest(cameo, shared / REF / name)
    return store


def test_each_reference_file_fills_its_table_and_reloads_as_a_no_op(shared: Path, loaded: Store) -> None:
    for name, (table, rows) in FILES.items():
        assert loaded.row_count(table) == rows, name
        assert loaded.ingest(get_adapter("cameo"), shared / REF / name).status == "unchanged"
    assert sorted(loaded.catalog()["partition"]) == ["actor_types", "codes", "countries", "labels"]


def test_spot_checks_from_the_cameo_manual(loaded: Store) -> None:
    codes = loaded.frame("cameo_event_codes").set_index("code")
    assert list(codes.loc["190", ["name", "goldstein", "quad_class", "root"]]) == [
        "Use conventional military force", -10.0, 4, "19"]
    assert codes.loc["14", "name"] == "PROTEST" and codes.loc["14", "quad_class"] == 3  # as GDELT codes it
    assert codes.loc["010", "goldstein"] == 0.0 and codes.loc["0211", "level"] == 3
    assert codes.loc["057", "goldstein"] == 8.0  # sign formal agreement
    # The file's MacRoman mojibake ("‚Äô") is repaired into a real apostrophe.
    assert codes["description"].str.contains("’").any() and not codes["description"].str.contains("‚Ä").any()
    labels = loaded.frame("cameo_event_labels").set_index("code")
    assert labels.loc["190", "label"] == "Use conventional military force, not specified below"
    types = loaded.frame("cameo_actor_types").set_index("code")
    assert {"GOV", "MIL", "REB", "BUS", "MNC", "IGO", "MED"} <= set(types.index)


def test_the_event_code_files_agree(shared: Path, loaded: Store) -> None:
    codes = set(loaded.frame("cameo_event_codes")["code"])
    labels = set(loaded.frame("cameo_event_labels")["code"])
    # GDELT's lookup lacks two ICEWS-era codes; everything GDELT lists has a Goldstein value.
    assert labels <= codes and codes - labels == {"106", "1213"}
    pygdelt = json.loads((shared / REF / "pygdelt_cameo_codes.json").read_text())
    differ = {code[:2] for code, entry in pygdelt.items() if quad_class(code) != entry["quad_class"]}
    assert differ == {"09", "14"}  # py-gdelt's QuadClass for these roots is not the one GDELT's events carry


def test_goldstein_and_quadclass_are_what_gdelt_assigns(shared: Path, loaded: Store) -> None:
    slices = [shared / f"events/gdelt_v2_2025/export/{stem}.export.CSV.gz" for stem in ("20250515204500",
                                                                                        "20250605234500")]
    events = pd.concat(pd.read_csv(s, sep="\t", header=None, names=V2_COLUMNS, dtype=str, keep_default_na=False,
                                   quoting=3) for s in slices)[["EventCode", "GoldsteinScale", "QuadClass"]]
    events = events.drop_duplicates()
    codes = loaded.frame("cameo_event_codes").set_index("code")
    events = events[events["EventCode"].isin(codes.index)]
    assert len(events) > 80
    # GDELT's own Goldstein differs from the CAMEO table for a few codes (documented in the module).
    agree = events[~events["EventCode"].isin(["016", "022", "164", "1213"])]
    assert (agree["GoldsteinScale"].astype(float).to_numpy() == codes.loc[agree["EventCode"], "goldstein"]).all()
    assert (events["QuadClass"].astype(int).to_numpy() == codes.loc[events["EventCode"], "quad_class"]).all()


def test_cameo_country_codes_map_to_iso3_except_regions(loaded: Store) -> None:
    countries = loaded.frame("cameo_countries").set_index("code")
    assert countries.loc["TMP", "iso3"] == "TLS" and countries.loc["CHN", "iso3"] == "CHN"
    regions = countries[countries["is_region"]]
    assert {"AFR", "EUR", "MEA"} <= set(regions.index) and regions["iso3"].isna().all()
    assert countries.loc[~countries["is_region"], "iso3"].notna().all()


def test_an_unknown_file_or_a_bad_code_is_refused(tmp_path: Path, store: Store) -> None:
    with pytest.raises(SourceFormatError, match="not a known CAMEO reference file"):
        file_kind(tmp_path / "codes.csv")
    bad = tmp_path / "CAMEO.eventcodes.txt"
    bad.write_text("CAMEOEVENTCODE\tEVENTDESCRIPTION\n01\tMAKE PUBLIC STATEMENT\n21\tInvent a root\n")
    with pytest.raises(SourceFormatError, match="not a CAMEO event code") as err:
        store.ingest(get_adapter("cameo"), bad)
    assert (err.value.row, err.value.column) == (3, "CAMEOEVENTCODE")


CODES_SAMPLE = [
    '"","eventtype_ID","name","code","goldstein","nsLeft","nsRight","description","usage_notes","example",'
    '"root_code","order"',
    '"1",1,"MAKE PUBLIC STATEMENT","01",0,1,22,NA,NA,NA,"01",1',
    '"2",2,"Make statement","010",0,2,3,"All public statements.","Residual.","NATO said.","01",2',
    '"3",3,"Decline comment","011",-0.1,4,5,"Refuse to comment.","Verbal act.","NATO declined.","01",3',
]
COUNTRIES_SAMPLE = [
    "cameo_country_code,actor_name_most_common,n_events_as_bare_country_actor",
    "ABW,ARUBA,48",
    "AFG,AFGHANISTAN,5066",
    "AFR,AFRICA,16945",
]


def test_cameo_codes_bad_inputs(store: Store, tmp_path: Path) -> None:
    # Event codes name no country, so the unknown-country variant does not apply.
    case = BadInputCase("cameo", "icewspkg_cameo_codes_goldstein.csv", CODES_SAMPLE, numeric_column="goldstein",
                        country_column="code", skip=("unknown_country",))
    check_bad_inputs(case, store, tmp_path)


def test_cameo_countries_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("cameo", "cameo_country_codes_observed_gdelt2025.csv", COUNTRIES_SAMPLE,
                        numeric_column="n_events_as_bare_country_actor", country_column="cameo_country_code")
    check_bad_inputs(case, store, tmp_path)
