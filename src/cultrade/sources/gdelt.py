"""GDELT event exports (1.0 and 2.0): headerless, tab-separated, gzipped, zipped or plain.

Three layouts exist, told apart by their field count: GDELT 1.0 backfile rows
before April 2013 have 57 fields, GDELT 1.0 daily rows 58 (``SOURCEURL`` added;
one file may mix both), and GDELT 2.0 15-minute slices 61 (``ActorNGeo_ADM2Code``
columns, ``DATEADDED`` as YYYYMMDDHHMMSS). A file named like a 2.0 slice
(``20250515194500.export.CSV.gz``) must have 61 fields and every ``DATEADDED``
equal to its name. DuckDB reads the file with explicit column types and the
store's transaction, so a replay of a million events stays fast.

Each file is its own partition (its stem), so re-ingesting a slice is a no-op.
Within one file a repeated ``GLOBALEVENTID`` is a format error; *across* slices
GDELT repeats events when it updates them, and those rows are all kept here:
deduplicating on ``globaleventid`` is the monitoring layer's job.

Columns keep the codebook names in lower case (DuckDB identifiers are
case-insensitive, so ``SELECT GoldsteinScale FROM gdelt_events`` works); the
derived ones are ``day``, ``date_added``, ``actor1_iso3``, ``actor2_iso3``,
``action_iso3`` and ``gdelt_version``. Actor codes are CAMEO: regional codes
(AFR, EUR, WST...) are aggregates and get a NULL ISO3. ActionGeo codes are
FIPS 10-4: the places in :data:`FIPS_NO_COUNTRY` get a NULL ISO3 too. Any
other unknown code raises :class:`UnknownCountryError` naming the line.

>>> from cultrade.sources import get_adapter
>>> gdelt = get_adapter("gdelt")
>>> gdelt.partition(Path("20250515194500.export.CSV.gz")), gdelt.partition(Path("20160728.export.CSV.zip"))
('20250515194500', '20160728')
>>> "OS" in FIPS_NO_COUNTRY and FIPS_NO_COUNTRY["PG"]
'Spratly Islands (disputed)'
"""

from __future__ import annotations

import gzip
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources.base import SourceAdapter, duckdb_csv_error
from cultrade.sources.registry import register

_V2_NAMES = (
    "GLOBALEVENTID SQLDATE MonthYear Year FractionDate "
    "Actor1Code Actor1Name Actor1CountryCode Actor1KnownGroupCode Actor1EthnicCode Actor1Religion1Code "
    "Actor1Religion2Code Actor1Type1Code Actor1Type2Code Actor1Type3Code "
    "Actor2Code Actor2Name Actor2CountryCode Actor2KnownGroupCode Actor2EthnicCode Actor2Religion1Code "
    "Actor2Religion2Code Actor2Type1Code Actor2Type2Code Actor2Type3Code "
    "IsRootEvent EventCode EventBaseCode EventRootCode QuadClass GoldsteinScale NumMentions NumSources "
    "NumArticles AvgTone "
    "Actor1Geo_Type Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_ADM2Code "
    "Actor1Geo_Lat Actor1Geo_Long Actor1Geo_FeatureID "
    "Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_ADM2Code "
    "Actor2Geo_Lat Actor2Geo_Long Actor2Geo_FeatureID "
    "ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_ADM2Code "
    "ActionGeo_Lat ActionGeo_Long ActionGeo_FeatureID DATEADDED SOURCEURL"
)
V2_COLUMNS = _V2_NAMES.split()
# GDELT 1.0 has no ADM2 columns; its 57-field backfile rows also lack SOURCEURL.
V1_COLUMNS = [c for c in V2_COLUMNS if not c.endswith("ADM2Code")]
FIELD_COUNTS = {57: 1, 58: 1, 61: 2}
_TYPED = {
    "GLOBALEVENTID": "BIGINT", "MonthYear": "INTEGER", "Year": "INTEGER", "FractionDate": "DOUBLE",
    "IsRootEvent": "INTEGER", "QuadClass": "INTEGER", "GoldsteinScale": "DOUBLE", "NumMentions": "INTEGER",
    "NumSources": "INTEGER", "NumArticles": "INTEGER", "AvgTone": "DOUBLE",
}

# FIPS 10-4 codes GDELT uses for places that belong to no ISO 3166 country.
FIPS_NO_COUNTRY = {
    "OS": "Oceans (seas and gulfs)",
    "OC": "Oceans (GDELT code for the Indian, Pacific and Atlantic Ocean)",
    "PG": "Spratly Islands (disputed)",
    "PF": "Paracel Islands (disputed)",
    "PJ": "Etorofu, Habomai, Kunashiri and Shikotan (disputed)",
    "NM": "No Man's Land",
    "UU": "Undesignated sovereignty",
    "UF": "Undersea features",
    "IP": "Clipperton Island (no ISO 3166 code)",
}
# CAMEO codes for territories whose country is clear, although the shared table lists them as regions.
CAMEO_TERRITORIES = {"GZS": "PSE", "WSB": "PSE"}

_SLICE = re.compile(r"^\d{14}$")
_SUFFIX = re.compile(r"(\.export)?\.csv(\.gz|\.zip)?$", re.IGNORECASE)
_HINT_DOWNLOAD = "the file is damaged or truncated; download it again from data.gdeltproject.org"

OUTPUT_DDL = """
CREATE TABLE IF NOT EXISTS gdelt_events (
    globaleventid BIGINT NOT NULL, day DATE, date_added TIMESTAMP,
    actor1code VARCHAR, actor1name VARCHAR, actor1countrycode VARCHAR, actor1_iso3 VARCHAR, actor1type1code VARCHAR,
    actor2code VARCHAR, actor2name VARCHAR, actor2countrycode VARCHAR, actor2_iso3 VARCHAR, actor2type1code VARCHAR,
    isrootevent BOOLEAN, eventcode VARCHAR, eventbasecode VARCHAR, eventrootcode VARCHAR,
    quadclass TINYINT, goldsteinscale DOUBLE, nummentions INTEGER, numsources INTEGER, numarticles INTEGER,
    avgtone DOUBLE, actiongeo_type TINYINT, actiongeo_fullname VARCHAR, actiongeo_countrycode VARCHAR,
    action_iso3 VARCHAR, actiongeo_adm1code VARCHAR, actiongeo_lat DOUBLE, actiongeo_long DOUBLE,
    sourceurl VARCHAR, gdelt_version TINYINT, _partition VARCHAR
)
"""

# (name, SQL condition that is TRUE for a bad row, column, hint); evaluated in one scan.
_CHECKS = (
    ("GLOBALEVENTID is empty", "GLOBALEVENTID IS NULL", "GLOBALEVENTID", "every event needs its id"),
    ("the row has too few fields", "DATEADDED IS NULL", "DATEADDED", _HINT_DOWNLOAD),
    ("SQLDATE is not a YYYYMMDD date", "day IS NULL", "SQLDATE", "SQLDATE is the event day as YYYYMMDD"),
    ("DATEADDED is not a valid timestamp", "date_added IS NULL", "DATEADDED",
     "DATEADDED is YYYYMMDDHHMMSS in GDELT 2.0 and YYYYMMDD in GDELT 1.0"),
    ("QuadClass is outside 1..4", "QuadClass IS NULL OR QuadClass NOT BETWEEN 1 AND 4", "QuadClass",
     "QuadClass is 1 verbal/2 material cooperation, 3 verbal/4 material conflict"),
    ("GoldsteinScale is outside -10..10", "GoldsteinScale NOT BETWEEN -10 AND 10", "GoldsteinScale",
     "the Goldstein scale runs from -10 to +10"),
    ("AvgTone is outside -100..100", "AvgTone NOT BETWEEN -100 AND 100", "AvgTone", "AvgTone is a percentage"),
    ("a count is negative", "least(NumMentions, NumSources, NumArticles) < 0", "NumMentions",
     "mention, source and article counts are >= 0"),
    ("IsRootEvent is not 0 or 1", "IsRootEvent NOT IN (0, 1)", "IsRootEvent", "IsRootEvent is 0 or 1"),
    ("EventCode is not a 2-4 digit CAMEO code, or its root differs",
     "NOT regexp_full_match(coalesce(EventCode, ''), '[0-9]{2,4}') OR EventRootCode <> left(EventCode, 2)",
     "EventCode", "CAMEO event codes have 2-4 digits and start with their root code"),
    ("ActionGeo_Type is outside 0..5", "ActionGeo_Type NOT BETWEEN 0 AND 5", "ActionGeo_Type",
     "geo types are 0 (none) to 5 (world state)"),
    ("ActionGeo_Lat is outside -90..90", "abs(ActionGeo_Lat) > 90", "ActionGeo_Lat", "latitudes are degrees"),
    ("ActionGeo_Long is outside -180..180", "abs(ActionGeo_Long) > 180", "ActionGeo_Long", "longitudes are degrees"),
)


def _column_types(names: list[str]) -> dict[str, str]:
    def kind(name: str) -> str:
        if name.endswith("_Type"):
            return "INTEGER"
        if name.endswith(("_Lat", "_Long")):
            return "DOUBLE"
        return _TYPED.get(name, "VARCHAR")

    return {name: kind(name) for name in names}


def _stem(path: Path) -> str:
    return _SUFFIX.sub("", path.name)


@contextmanager
def _readable(path: Path) -> Iterator[tuple[Path, str]]:
    """The file DuckDB should read and its compression; a .zip is unpacked to a temporary folder."""
    if path.suffix.lower() != ".zip":
        yield path, "gzip" if path.suffix.lower() == ".gz" else "none"
        return
    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="gdelt-") as tmp:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise SourceFormatError(f"the zip holds {len(members)} files, GDELT zips hold one", path=path,
                                        hint="pass the .export.CSV.zip exactly as GDELT publishes it")
            yield Path(archive.extract(members[0], tmp)), "none"
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise SourceFormatError(f"not a readable zip archive ({exc})", path=path, hint=_HINT_DOWNLOAD) from exc


def _first_line(path: Path, compression: str) -> bytes:
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as fh:
            return bytes(fh.readline(1 << 20))
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise SourceFormatError(f"not a readable gzip file ({exc})", path=path, hint=_HINT_DOWNLOAD) from exc


def sniff_version(path: Path, data: Path | None = None, compression: str = "none") -> int:
    """1 or 2, from the first line's field count; a clear error for anything else."""
    line = _first_line(data or path, compression)
    if not line.strip():
        raise SourceFormatError("the file is empty", path=path, hint="download the slice again; it has no events")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"the file is not valid UTF-8 (byte {exc.start})", path=path, row=1,
                                hint="GDELT files are UTF-8; use the file as downloaded, unconverted") from exc
    fields = text.rstrip("\r\n").split("\t")
    if fields[0].strip().upper() == "GLOBALEVENTID":
        raise SourceFormatError("the file has a header line; raw GDELT exports have none", path=path, row=1,
                                hint="load the raw export from data.gdeltproject.org, not a re-saved table")
    version = FIELD_COUNTS.get(len(fields))
    slice_name = bool(_SLICE.match(_stem(path)))
    if version is None or (slice_name and version != 2):
        expected = "61 (GDELT 2.0 slice)" if slice_name else "57 or 58 (GDELT 1.0) or 61 (GDELT 2.0)"
        raise SourceFormatError(f"the first row has {len(fields)} tab-separated fields, expected {expected}",
                                path=path, row=1, hint="this is not a GDELT event export; check the file")
    return version


@register
class GDELTEvents(SourceAdapter):
    name = "gdelt"
    title = "GDELT event exports (1.0 daily and 2.0 15-minute)"
    publisher = "The GDELT Project"
    licence = "free for any use with citation"
    bundle = True
    homepage = "https://www.gdeltproject.org/data.html"
    tables = ("gdelt_events",)
    patterns = ("*.export.CSV", "*.export.CSV.gz", "*.export.CSV.zip")
    writes_sql = True

    def partition(self, path: Path) -> str:
        return _stem(path)

    def vintage(self, path: Path) -> str:
        try:
            with _readable(path) as (data, compression):
                return f"GDELT {sniff_version(path, data, compression)}.0"
        except SourceFormatError:
            return ""  # write_sql reports the problem, with the row

    def write_sql(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str) -> dict[str, int]:
        with _readable(path) as (data, compression):
            version = sniff_version(path, data, compression)
            names = V2_COLUMNS if version == 2 else V1_COLUMNS
            columns = ", ".join(f"'{name}': '{kind}'" for name, kind in _column_types(names).items())
            location = str(data).replace("'", "''")
            try:
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _gdelt_raw AS SELECT * FROM read_csv('{location}', delim='\t', "
                    "quote='', escape='', header=false, auto_detect=false, strict_mode=true, encoding='utf-8', "
                    f"null_padding={'false' if version == 2 else 'true'}, columns={{{columns}}}, "
                    f"compression='{compression}')"
                )
            except duckdb.Error as exc:
                raise duckdb_csv_error(exc, path, hint=_HINT_DOWNLOAD, columns=names, sep="\t") from None
        try:
            return self._load(con, path, partition, version)
        finally:
            con.execute("DROP TABLE IF EXISTS _gdelt_raw")

    def _load(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str, version: int) -> dict[str, int]:
        added = "'%Y%m%d%H%M%S'" if version == 2 else "'%Y%m%d'"
        con.execute(
            # rowids follow insertion (= file) order but start at an offset inside a transaction.
            "CREATE OR REPLACE TEMP TABLE _gdelt_rows AS SELECT rowid - (SELECT min(rowid) FROM _gdelt_raw) + 1 "
            "AS line, *, "
            "try_strptime(SQLDATE, '%Y%m%d')::DATE AS day, "
            f"try_strptime(DATEADDED, {added}) AS date_added FROM _gdelt_raw"
        )
        try:
            n = self._validate(con, path, partition, version)
            if n == 0:
                raise SourceFormatError("the file has no events", path=path, hint="download the slice again")
            self._countries(con, path)
            con.execute(OUTPUT_DDL)
            con.execute(f"""
                INSERT INTO gdelt_events BY NAME SELECT
                    GLOBALEVENTID AS globaleventid, day, date_added,
                    Actor1Code AS actor1code, Actor1Name AS actor1name, Actor1CountryCode AS actor1countrycode,
                    a1.iso3 AS actor1_iso3, Actor1Type1Code AS actor1type1code,
                    Actor2Code AS actor2code, Actor2Name AS actor2name, Actor2CountryCode AS actor2countrycode,
                    a2.iso3 AS actor2_iso3, Actor2Type1Code AS actor2type1code,
                    IsRootEvent = 1 AS isrootevent, EventCode AS eventcode, EventBaseCode AS eventbasecode,
                    EventRootCode AS eventrootcode, QuadClass AS quadclass, GoldsteinScale AS goldsteinscale,
                    NumMentions AS nummentions, NumSources AS numsources, NumArticles AS numarticles,
                    AvgTone AS avgtone, ActionGeo_Type AS actiongeo_type, ActionGeo_FullName AS actiongeo_fullname,
                    ActionGeo_CountryCode AS actiongeo_countrycode, g.iso3 AS action_iso3,
                    ActionGeo_ADM1Code AS actiongeo_adm1code, ActionGeo_Lat AS actiongeo_lat,
                    ActionGeo_Long AS actiongeo_long, SOURCEURL AS sourceurl, {version} AS gdelt_version,
                    $partition AS _partition
                FROM _gdelt_rows r
                LEFT JOIN _gdelt_codes a1 ON a1.scheme = 'cameo' AND a1.code = r.Actor1CountryCode
                LEFT JOIN _gdelt_codes a2 ON a2.scheme = 'cameo' AND a2.code = r.Actor2CountryCode
                LEFT JOIN _gdelt_codes g ON g.scheme = 'fips' AND g.code = r.ActionGeo_CountryCode
                ORDER BY line
            """, {"partition": partition})
        finally:
            con.execute("DROP TABLE IF EXISTS _gdelt_rows")
            con.execute("DROP TABLE IF EXISTS _gdelt_codes")
        return {"gdelt_events": n}

    def _validate(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str, version: int) -> int:
        checks = list(_CHECKS)
        if _SLICE.match(partition):
            checks.append((f"DATEADDED differs from the slice {partition} named by the file",
                           f"DATEADDED <> '{partition}'", "DATEADDED",
                           "rename the file to its DATEADDED, as GDELT names slices"))
        firsts = ", ".join(f"min(line) FILTER (WHERE {cond})" for _, cond, _, _ in checks)
        found = con.execute(f"SELECT count(*), {firsts} FROM _gdelt_rows").fetchone()
        assert found is not None
        for (message, _, column, hint), line in zip(checks, found[1:], strict=True):
            if line is not None:
                raise SourceFormatError(message, path=path, row=int(line), column=column, hint=hint)
        dup = con.execute(
            "SELECT GLOBALEVENTID, line FROM (SELECT GLOBALEVENTID, line, row_number() OVER "
            "(PARTITION BY GLOBALEVENTID ORDER BY line) AS k FROM _gdelt_rows) WHERE k = 2 ORDER BY line LIMIT 1"
        ).fetchone()
        if dup is not None:
            raise SourceFormatError(f"GLOBALEVENTID {dup[0]} appears twice in one file", path=path, row=int(dup[1]),
                                    column="GLOBALEVENTID", hint="each event appears once per GDELT file; "
                                    "download the file again")
        return int(found[0])

    def _countries(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        countries = get_countries()
        columns = {"cameo": ("Actor1CountryCode", "Actor2CountryCode"), "fips": ("ActionGeo_CountryCode",)}
        mapping: list[tuple[str, str, str | None]] = []
        for scheme, cols in columns.items():
            union = " UNION ".join(f"SELECT {c} AS code FROM _gdelt_rows" for c in cols)
            for (code,) in con.execute(f"SELECT DISTINCT code FROM ({union}) WHERE code IS NOT NULL").fetchall():
                if scheme == "cameo" and code in CAMEO_TERRITORIES:
                    iso3: str | None = CAMEO_TERRITORIES[code]
                elif (scheme == "fips" and code in FIPS_NO_COUNTRY) or (
                        scheme == "cameo" and countries.is_aggregate(code, "cameo")):
                    iso3 = None
                else:
                    iso3 = countries.try_iso3(code, "fips" if scheme == "fips" else "cameo")
                    if iso3 is None:
                        self._unknown(con, path, code, scheme, cols)
                mapping.append((scheme, code, iso3))
        frame = pd.DataFrame(mapping, columns=["scheme", "code", "iso3"], dtype="string")
        con.register("_gdelt_codes_in", frame)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _gdelt_codes AS "
                        "SELECT scheme::VARCHAR AS scheme, code::VARCHAR AS code, iso3::VARCHAR AS iso3 "
                        "FROM _gdelt_codes_in")
        finally:
            con.unregister("_gdelt_codes_in")

    @staticmethod
    def _unknown(con: duckdb.DuckDBPyConnection, path: Path, code: str, scheme: str, cols: tuple[str, ...]) -> None:
        lines = []
        for column in cols:
            found = con.execute(f"SELECT min(line) FROM _gdelt_rows WHERE {column} = ?", [code]).fetchone()
            if found and found[0] is not None:
                lines.append((int(found[0]), column))
        line, column = min(lines)
        suggestions = get_countries().suggest(code, scheme)
        raise UnknownCountryError(code, scheme=scheme, suggestions=suggestions, path=path, row=line, column=column)
