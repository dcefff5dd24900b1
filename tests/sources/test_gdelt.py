"""GDELT events: real 1.0 and 2.0 exports load with the publisher's own values, broken files are refused."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

EVENTS = "events"
SLICES = "events/gdelt_v2_2025/export"
SAMPLES = "events/gdelt_samples"
# The first slices of the 2025 mirror, plus the days' largest; their row counts are in MANIFEST.tsv.
SOME_SLICES = ("20250515194500", "20250515204500", "20250516020000", "20250605234500")


def _raw_lines(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh]


def _events(store: Store, where: str = "true") -> pd.DataFrame:
    return store.con.execute(f"SELECT * FROM gdelt_events WHERE {where} ORDER BY globaleventid").df()


def test_v2_slices_load_every_row_of_the_manifest_and_reload_as_a_no_op(shared: Path, store: Store) -> None:
    manifest = pd.read_csv(shared / "events/gdelt_v2_2025/MANIFEST.tsv", sep="\t", dtype={"dateadded": str})
    expected = dict(zip(manifest["dateadded"], manifest["rows"], strict=True))
    gdelt = get_adapter("gdelt")
    for stem in SOME_SLICES:
        result = store.ingest(gdelt, shared / SLICES / f"{stem}.export.CSV.gz")
        assert (result.partition, result.rows) == (stem, {"gdelt_events": expected[stem]})
        assert store.ingest(gdelt, shared / SLICES / f"{stem}.export.CSV.gz").status == "unchanged"
    assert store.row_count("gdelt_events") == sum(expected[s] for s in SOME_SLICES)
    catalog = store.catalog()
    assert set(catalog["partition"]) == set(SOME_SLICES) and set(catalog["vintage"]) == {"GDELT 2.0"}


def test_a_loaded_event_matches_its_raw_line(shared: Path, store: Store) -> None:
    path = shared / SLICES / "20250515204500.export.CSV.gz"
    store.ingest(get_adapter("gdelt"), path)
    raw = {int(r[0]): r for r in _raw_lines(path)}
    loaded = _events(store).set_index("globaleventid")
    for event_id in list(raw)[:: max(1, len(raw) // 25)]:
        fields, row = raw[event_id], loaded.loc[event_id]
        assert row["day"].strftime("%Y%m%d") == fields[1]
        assert row["eventcode"] == fields[26] and row["eventrootcode"] == fields[28]  # leading zeros kept
        assert row["quadclass"] == int(fields[29]) and row["goldsteinscale"] == float(fields[30])
        assert (row["nummentions"], row["numsources"], row["numarticles"]) == tuple(map(int, fields[31:34]))
        assert row["avgtone"] == pytest.approx(float(fields[34]))
        assert (row["actiongeo_countrycode"] or "") == fields[53]
        assert row["sourceurl"] == fields[60]
        assert row["date_added"] == pd.Timestamp("2025-05-15 20:45:00")
    assert set(loaded["gdelt_version"]) == {2}


def test_country_codes_become_iso3_and_regions_and_oceans_become_null(shared: Path, store: Store) -> None:
    gdelt = get_adapter("gdelt")
    for stem in SOME_SLICES:
        store.ingest(gdelt, shared / SLICES / f"{stem}.export.CSV.gz")
    pairs = store.con.execute(
        "SELECT DISTINCT actor1countrycode, actor1_iso3 FROM gdelt_events WHERE actor1countrycode IS NOT NULL"
    ).fetchall()
    mapped = dict(pairs)
    assert mapped.get("USA") == "USA" and mapped.get("CHN") == "CHN"
    regions = {code for code, iso3 in pairs if iso3 is None}
    assert regions and regions <= {"AFR", "EUR", "WST", "SEA", "NMR", "SAS", "MEA", "PGS", "SAF", "WAF", "ASA",
                                   "CAS", "EAF", "LAM", "CRB"}
    fips = dict(store.con.execute(
        "SELECT DISTINCT actiongeo_countrycode, action_iso3 FROM gdelt_events WHERE actiongeo_countrycode IS NOT NULL"
    ).fetchall())
    # FIPS is not ISO2: AS is Australia, UK the United Kingdom, CH China.
    assert (fips.get("AS"), fips.get("UK"), fips.get("CH")) == ("AUS", "GBR", "CHN")
    assert all(iso3 is None for code, iso3 in fips.items() if code in {"OS", "OC", "PG", "PF"})


def test_gdelt1_file_mixing_57_and_58_field_rows(shared: Path, store: Store) -> None:
    path = shared / SAMPLES / "gdelt1_20160728_sample710.export.CSV"
    result = store.ingest(get_adapter("gdelt"), path)
    assert result.rows == {"gdelt_events": 710}
    counts = store.con.execute(
        "SELECT gdelt_version, count(*), count(sourceurl), min(day), max(date_added) FROM gdelt_events GROUP BY 1"
    ).fetchone()
    # 509 daily rows carry SOURCEURL; the 201 backfile rows (DATEADDED 2013-02-03) have none.
    assert counts == (1, 710, 509, pd.Timestamp("1982-01-02").date(), pd.Timestamp("2016-07-28"))
    first = _events(store, "globaleventid = 564111644").iloc[0]
    assert (first["actor1countrycode"], first["actor1_iso3"], first["action_iso3"]) == ("USA", "USA", "USA")
    assert first["actiongeo_lat"] == 38.8973 and first["isrootevent"]


@pytest.mark.parametrize(("name", "rows"), [("20180326044500.export.CSV", 1540), ("20191024143000.export.CSV", 2111)])
def test_plain_v2_samples(shared: Path, store: Store, name: str, rows: int) -> None:
    assert store.ingest(get_adapter("gdelt"), shared / SAMPLES / name).rows == {"gdelt_events": rows}
    first = _raw_lines(shared / SAMPLES / name)[0]
    row = _events(store, f"globaleventid = {first[0]}").iloc[0]
    assert row["actiongeo_fullname"] == first[52] and row["actiongeo_long"] == float(first[57])


def test_the_same_event_in_two_slices_is_kept_twice(shared: Path, store: Store, tmp_path: Path) -> None:
    lines = (shared / SAMPLES / "20180326044500.export.CSV").read_text().splitlines()[:5]
    gdelt = get_adapter("gdelt")
    for stamp in ("20180326044500", "20180326050000"):
        path = tmp_path / f"{stamp}.export.CSV"
        path.write_text("\n".join(line.replace("20180326044500", stamp) for line in lines) + "\n")
        store.ingest(gdelt, path)
    per_id = store.con.execute("SELECT count(*) FROM gdelt_events GROUP BY globaleventid").fetchall()
    assert per_id == [(2,)] * 5  # deduplication on GLOBALEVENTID is left to the monitoring layer


def test_a_zipped_slice_as_gdelt_serves_it(shared: Path, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "20180326044500.export.CSV.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(shared / SAMPLES / "20180326044500.export.CSV", "20180326044500.export.CSV")
    result = store.ingest(get_adapter("gdelt"), path)
    assert (result.partition, result.rows) == ("20180326044500", {"gdelt_events": 1540})


def test_a_truncated_gzip_is_a_clean_format_error(shared: Path, store: Store, tmp_path: Path) -> None:
    data = (shared / SLICES / "20250515204500.export.CSV.gz").read_bytes()
    path = tmp_path / "20250515204500.export.CSV.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match="gzip stream is damaged or truncated") as err:
        store.ingest(get_adapter("gdelt"), path)
    assert str(path) in str(err.value) and err.value.hint
    assert store.catalog().empty and "gdelt_events" not in store.table_names()


def test_a_repeated_event_id_within_one_file_names_the_line(shared: Path, store: Store, tmp_path: Path) -> None:
    lines = (shared / SAMPLES / "20180326044500.export.CSV").read_text().splitlines()[:4]
    path = tmp_path / "20180326044500.export.CSV"
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(SourceFormatError, match="appears twice") as err:
        store.ingest(get_adapter("gdelt"), path)
    assert err.value.row == 5 and err.value.column == "GLOBALEVENTID"


def test_out_of_range_and_misnamed_values_are_refused(shared: Path, store: Store, tmp_path: Path) -> None:
    fields = _raw_lines(shared / SAMPLES / "20180326044500.export.CSV")[0]
    gdelt = get_adapter("gdelt")
    for index, value, column in [(29, "5", "QuadClass"), (30, "-11", "GoldsteinScale"), (59, "20180326050000",
                                                                                        "DATEADDED")]:
        bad = list(fields)
        bad[index] = value
        path = tmp_path / column / "20180326044500.export.CSV"
        path.parent.mkdir()
        path.write_text("\t".join(bad) + "\n")
        with pytest.raises(SourceFormatError) as err:
            store.ingest(gdelt, path)
        assert (err.value.row, err.value.column) == (1, column)


def test_an_unknown_action_country_names_the_row(shared: Path, store: Store, tmp_path: Path) -> None:
    rows = _raw_lines(shared / SAMPLES / "20180326044500.export.CSV")[:3]
    rows[2][53] = "QQ"
    path = tmp_path / "20180326044500.export.CSV"
    path.write_text("".join("\t".join(r) + "\n" for r in rows))
    with pytest.raises(UnknownCountryError, match="'QQ'") as err:
        store.ingest(get_adapter("gdelt"), path)
    assert (err.value.row, err.value.column) == (3, "ActionGeo_CountryCode")


def test_a_slice_name_needs_61_fields(shared: Path, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "20160728000000.export.CSV"
    path.write_bytes((shared / SAMPLES / "gdelt1_20160728_sample710.export.CSV").read_bytes())
    with pytest.raises(SourceFormatError, match=r"58 tab-separated fields, expected 61"):
        store.ingest(get_adapter("gdelt"), path)


def _sample(shared: Path, name: str, n: int = 3) -> list[str]:
    return (shared / SAMPLES / name).read_text().splitlines()[:n]


def _gzip_writer(path: Path, text: str) -> None:
    path.write_bytes(gzip.compress(text.encode()))


@pytest.mark.parametrize(("filename", "writer"), [("20180326044500.export.CSV", None),
                                                  ("20180326044500.export.CSV.gz", _gzip_writer)])
def test_gdelt2_bad_inputs(shared: Path, store: Store, tmp_path: Path, filename: str, writer: object) -> None:
    case = BadInputCase("gdelt", filename, _sample(shared, "20180326044500.export.CSV"), numeric_column=30,
                        country_column=7, sep="\t", has_header=False, writer=writer)  # type: ignore[arg-type]
    check_bad_inputs(case, store, tmp_path)


def test_gdelt1_bad_inputs(shared: Path, store: Store, tmp_path: Path) -> None:
    case = BadInputCase("gdelt", "gdelt1_sample.export.CSV", _sample(shared, "gdelt1_20160728_sample710.export.CSV"),
                        numeric_column=34, country_column=17, sep="\t", has_header=False)
    check_bad_inputs(case, store, tmp_path)
