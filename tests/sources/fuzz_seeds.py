"""Seeds and mutations for fuzzing every source adapter (the bounded tests and ``benchmarks/bench_fuzz.py``).

A seed is a small valid file in the publisher's layout (the bad-input samples of each adapter's tests, or the
first lines of the real file for the reference adapters), written under a file name the adapter accepts. A
*mutation* turns it into the bytes a careless user, a broken download or an attacker could hand the adapter:
one header cell or one data cell replaced by something nasty, a line cut, doubled or dropped, bytes flipped,
inserted or removed, or entirely random bytes. The same mutations drive hypothesis (``header_mutations``,
``row_mutations``: bounded, derandomised, in ``make test``) and the long benchmark run (``mutate`` with a
seeded :class:`random.Random`).

The contract they check: :func:`run_adapter` returns or raises a :class:`~cultrade.errors.CultradeError`,
never anything else.
"""

from __future__ import annotations

import gzip
import io
import random
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from hypothesis import strategies as st
from openpyxl import Workbook

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.test_baci import SAMPLE as BACI_SAMPLE
from tests.sources.test_bad_input_wgi import WGI_SAMPLE
from tests.sources.test_cameo import CODES_SAMPLE, COUNTRIES_SAMPLE
from tests.sources.test_fred import FRED_SAMPLE
from tests.sources.test_freedom_house import SAMPLE as FH_SAMPLE
from tests.sources.test_fsi import SAMPLE as FSI_SAMPLE
from tests.sources.test_gpi import SAMPLE as GPI_SAMPLE
from tests.sources.test_hofstede import INSIGHTS_SAMPLE, OFFICIAL_SAMPLE
from tests.sources.test_owid import OWID_SAMPLE
from tests.sources.test_polity import SAMPLE as POLITY_SAMPLE
from tests.sources.test_sipri import SAMPLE as SIPRI_SAMPLE
from tests.sources.test_ti_cpi import SAMPLE as TI_SAMPLE
from tests.sources.test_ucdp import ACD_SAMPLE, GED_SAMPLE
from tests.sources.test_vdem import VDEM_SAMPLE
from tests.sources.test_wb_meta import META_SAMPLE
from tests.sources.test_wdi import API_SAMPLE, DATAHUB_SAMPLE

#: Cells that broke, or could break, a parser: huge, non-finite, negative, out of range, wrong type, control
#: characters, quotes that never close, a BOM, a formula.
NASTY = ("", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "-5e6", "-1", "0", "1e300", "-0",
         "9" * 40, "0x10", "1_000", "１２", "٣", "NA", "..", "-", "\x00", "\ufeff", "\r", "\n", "\t", '"', '"a,b',
         "=cmd|' /C calc'!A0", "ZZQ", "x" * 140_000, "1" * 5_000_000)
_XLSX = "xlsx"
_GZIP = "gzip"


@dataclass(frozen=True)
class Seed:
    """A valid sample for ``adapter`` under ``filename``; ``sep`` splits its cells; ``header`` says if line 1
    is a header; ``companions`` are files written beside it unchanged; ``form`` is how the text is stored."""

    adapter: str
    filename: str
    lines: tuple[str, ...]
    sep: str = ","
    header: bool = True
    companions: dict[str, str] = field(default_factory=dict)
    form: str = "text"

    @property
    def name(self) -> str:
        return f"{self.adapter}:{self.filename}"

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _gdelt_lines() -> tuple[str, ...]:
    demo = resources.files("cultrade.data").joinpath("gdelt_demo", "20250602014500.export.CSV.gz")
    return tuple(gzip.decompress(demo.read_bytes()).decode("utf-8").splitlines()[:3])


_AGTPA_HEADER = ("exporter,importer,pair_id,year,trade,dist,cntg,lang,clny,rta,rta_lag3,rta_lag4,rta_lag6,rta_lag8,"
                 "rta_lag9,rta_lag12,rta_lead4")
_ZEROS = ",".join(["0.0"] * 11)
_GEO_HEADER = ("iso_o,iso_d,contig,comlang_off,comlang_ethno,colony,comcol,curcol,col45,smctry,dist,distcap,distw,"
               "distwces")
_GEO_COUNTRIES = (
    "iso2,iso3,cnum,country,pays,area,dis_int,landlocked,continent,city_en,city_fr,lat,lon,cap,maincity,citynum,"
    "langoff_1,langoff_2,langoff_3,lang20_1,lang20_2,lang20_3,lang20_4,lang9_1,lang9_2,lang9_3,lang9_4,colonizer1,"
    "colonizer2,colonizer3,colonizer4,short_colonizer1,short_colonizer2,short_colonizer3",
    "AD,AND,20,Andorra,Andorre,453,8.005398,0.0,Europe,Andorra la Vella,Andorre-la-Vieille,42.5,1.5,1,1,7.0,Catalan,"
    "Spanish,,Catalan,Spanish,,,,,,,,,,,,,",
    "FR,FRA,250,France,France,551500,8.005398,0.0,Europe,Paris,Paris,48.86,2.35,1,1,9.0,French,,,French,,,,,,,,,,,"
    ",,,",
)

SEEDS: tuple[Seed, ...] = (
    Seed("agtpa", "agtpa_applications.csv", (_AGTPA_HEADER, f"ARG,ARG,12339.0,1986.0,61288.59,533.9,{_ZEROS}",
                                              f"ARG,AUS,1.0,1986.0,27.76,12044.57,{_ZEROS}")),
    Seed("baci", "BACI_HS17_Y2020_V202401.csv", tuple(BACI_SAMPLE)),
    Seed("baci_countries", "country_codes_V202401.csv", ("country_code,country_iso3", "4,AFG", "8,ALB", "842,USA")),
    Seed("baci_products", "product_codes_HS17_V202401.csv",
         ("code,description", "970110,Paintings", "970190,Collages", "491199,Printed matter")),
    Seed("cameo", "icewspkg_cameo_codes_goldstein.csv", tuple(CODES_SAMPLE)),
    Seed("cameo", "cameo_country_codes_observed_gdelt2025.csv", tuple(COUNTRIES_SAMPLE)),
    Seed("comtrade", "comtrade_imports_total_bilateral_zero_padded.csv",
         ("Reporter,Partner,Period,Value", "842,156,2019,472464913744", "156,842,2019,122000000000", "251,276,2019,0")),
    Seed("comtrade_countries", "country_names_with_annual_trade_data.csv",
         (",ISO_3166-1_numeric_code,Country_name,", "0,32,Argentina,", "1,36,Australia,", "2,40,Austria,")),
    Seed("fred", "fred_h10_fx_monthly.csv", tuple(FRED_SAMPLE)),
    Seed("freedom_house", "fiw_2013-2025_long.csv", tuple(FH_SAMPLE)),
    Seed("fsi", "fsi_2023-2023_long.csv", tuple(FSI_SAMPLE)),
    Seed("fsi", "fsi-2023.xlsx", tuple(FSI_SAMPLE), form=_XLSX),
    Seed("gdelt", "20250602014500.export.CSV", _gdelt_lines(), sep="\t", header=False),
    Seed("gdelt", "20250602014500.export.CSV.gz", _gdelt_lines(), sep="\t", header=False, form=_GZIP),
    Seed("geodist", "dist_cepii.csv", (_GEO_HEADER, "CHN,USA,0,0,0,0,0,0,0,0,10993.685,11159.249,11183.43,11099.80",
                                       "FRA,BEL,1,1,1,0,0,0,0,0,261.4,261.4,222.1,220.5")),
    Seed("geodist_countries", "geo_cepii.csv", _GEO_COUNTRIES),
    Seed("gpi", "gpi_2008-2019_long.csv", tuple(GPI_SAMPLE)),
    Seed("hofstede", "hofstede_6d_2015-08-16_official.csv", tuple(OFFICIAL_SAMPLE), sep=";"),
    Seed("hofstede", "hofstede_insights_country_comparison_scrape.csv", tuple(INSIGHTS_SAMPLE), header=False),
    Seed("hs_bec", "hs17_bec5_correspondence.csv", ("HS 2017,BEC,Relationship", "010121,41,n:1", "010129,111,n:1",
                                                     "010130,111,n:n")),
    Seed("hs_concordance", "hs6_hs5.csv", ("HS6_6d,HS6_4d,HS6_2d,HS5_6d,HS5_4d,HS5_2d",
                                            "010121,0101,01,010121,0101,01", "970121,9701,97,970110,9701,97")),
    Seed("hs_descriptions", "hs5_desc.csv", ("code,desc", "01,Animals; live", "0101,Horses; live", "010121,Horses")),
    Seed("hs_nomenclature", "harmonized-system.csv",
         ("section,hscode,description,parent,level", "I,01,Animals; live,TOTAL,2",
          'I,0101,"Horses, asses, mules and hinnies; live",01,4', 'I,010121,"Horses; live, pure-bred",0101,6'),
         companions={"sections.csv": "section,name\nI,live animals; animal products\n"}),
    Seed("ots", "ots_exports_hs4_2017.csv", ("reporter_iso,product_code,export_value_usd", "chn,9503,56000000000.0",
                                             "usa,9701,5600000000.0", "afg,0102,387017.0")),
    Seed("ots_commodities", "ots_commodities.csv",
         ("commodity_code,commodity_code_short,commodity_fullname_english,section_code",
          '010121,0101,"Horses; live, pure-bred breeding animals",01', "010130,0101,Asses; live,01")),
    Seed("owid", "owid_trade_pct_gdp_NE.TRD.GNFS.ZS.csv", tuple(OWID_SAMPLE)),
    Seed("polity", "polity5_p5v2018.csv", tuple(POLITY_SAMPLE)),
    Seed("services", "comtrade_services_exports_ebops2002_2016.csv",
         ("country,product,value", "Albania,1 Transportation,200490000.0", "Algeria,2 Travel,672372922.0",
          "Rep. of Korea,10 Personal,1000.0")),
    Seed("sipri", "sipri_milex_1949-2024_extract.csv", tuple(SIPRI_SAMPLE)),
    Seed("ti_cpi", "ti_cpi_historical.csv", tuple(TI_SAMPLE)),
    Seed("ucdp", "ucdp_prio_acd_v25_1.csv", tuple(ACD_SAMPLE)),
    Seed("ucdp_ged", "ged231_myanmar.csv", tuple(GED_SAMPLE)),
    Seed("vdem", "vdem_v13_sample.csv", tuple(VDEM_SAMPLE)),
    Seed("wb_meta", "wb_metadata_country_income_region_FY25.csv", tuple(META_SAMPLE)),
    Seed("wdi", "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", tuple(API_SAMPLE)),
    Seed("wdi", "datahub_population_SP.POP.TOTL.csv", tuple(DATAHUB_SAMPLE)),
    Seed("wgi", "wgi_long_sample.csv", tuple(WGI_SAMPLE)),
)


# -- writing a mutated file ---------------------------------------------------------------------------------------
def encode(seed: Seed, data: bytes) -> bytes:
    """The bytes stored for ``data`` in the seed's form (gzip, a workbook of its cells, or as is)."""
    if seed.form == _GZIP:
        return gzip.compress(data, mtime=0)
    if seed.form == _XLSX:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data  # not text: stored as is, the workbook reader must refuse it
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for line in text.splitlines():
            sheet.append([_cell(c) for c in line.split(seed.sep)])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    return data


def _cell(text: str) -> str:
    # openpyxl refuses control characters in cells; the fuzzer is after our reader, not openpyxl's writer.
    return "".join(ch for ch in text if ch >= " " or ch == "\t")[:32_767]


def run_adapter(seed: Seed, data: bytes, folder: Path, store: Store | None = None) -> None:
    """Write ``data`` (in the seed's form) and parse it; SQL adapters load it into ``store`` (a fresh one if
    None). Returns or raises whatever the adapter raises."""
    path = folder / seed.filename
    for name, text in seed.companions.items():
        (folder / name).write_text(text)
    path.write_bytes(encode(seed, data))
    adapter = get_adapter(seed.adapter)
    if adapter.writes_sql:
        if store is None:
            with Store(":memory:") as own:
                own.ingest(adapter, path)
        else:
            store.ingest(adapter, path)
    else:
        adapter.parse(path)


# -- mutations: one function for hypothesis and for the long run --------------------------------------------------
def apply(seed: Seed, kind: str, line: int, cell: int, value: str, cut: int, noise: bytes) -> bytes:
    """One mutation of the seed's text. ``line`` 0 is the header when the seed has one."""
    lines = list(seed.lines)
    i = line % len(lines)
    if kind == "cell":
        cells = lines[i].split(seed.sep)
        cells[cell % len(cells)] = value
        lines[i] = seed.sep.join(cells)
    elif kind == "line":
        lines[i] = value
    elif kind == "drop":
        del lines[i]
    elif kind == "double":
        lines.insert(i, lines[i])
    elif kind == "extra":
        lines[i] += seed.sep + value
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    if kind == "cut":
        return data[: cut % (len(data) + 1)]
    if kind == "bytes":
        at = cut % (len(data) + 1)
        return data[:at] + noise + data[at + len(noise) // 2:]
    if kind == "random":
        return noise
    if kind == "bom":
        return b"\xef\xbb\xbf" + (data if cut % 2 else b"")
    return data


KINDS = ("cell", "line", "drop", "double", "extra", "cut", "bytes", "random", "bom")
_values = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))


def row_mutations(seed: Seed) -> st.SearchStrategy[bytes]:
    """Mutations of the data rows (and of the file as a whole)."""
    first = 1 if seed.header else 0
    return st.builds(lambda kind, line, cell, value, cut, noise: apply(seed, kind, line, cell, value, cut, noise),
                     st.sampled_from(KINDS), st.integers(first, len(seed.lines) - 1), st.integers(0, 80), _values,
                     st.integers(0, 10_000), st.binary(max_size=64))


def header_mutations(seed: Seed) -> st.SearchStrategy[bytes]:
    """Mutations of the first line: the header, or the first record of a headerless file."""
    return st.builds(lambda kind, cell, value: apply(seed, kind, 0, cell, value, 0, b""),
                     st.sampled_from(("cell", "line", "drop", "double", "extra")), st.integers(0, 80), _values)


def mutate(seed: Seed, rng: random.Random) -> bytes:
    """A random mutation for the long run (the same kinds and values as the hypothesis strategies)."""
    value = rng.choice(NASTY) if rng.random() < 0.6 else "".join(chr(rng.randrange(0x20, 0x3000))
                                                                   for _ in range(rng.randrange(12)))
    noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    return apply(seed, rng.choice(KINDS), rng.randrange(len(seed.lines)), rng.randrange(80), value,
                 rng.randrange(10_000), noise)


__all__ = ["KINDS", "NASTY", "SEEDS", "Seed", "apply", "encode", "header_mutations", "mutate", "row_mutations",
           "run_adapter"]
