"""Bad input for the indicator family (WGI layout): every broken file is refused, store untouched."""

from __future__ import annotations

from pathlib import Path

from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

WGI_SAMPLE = [
    "codeindyr,code,countryname,year,indicator,estimate,stddev,nsource,pctrank,pctranklower,pctrankupper",
    "NORrl2023,NOR,Norway,2023,rl,1.83,0.15,9,99.0,95.0,100.0",
    "SWErl2023,SWE,Sweden,2023,rl,1.70,0.15,9,97.0,93.0,99.0",
    "ROMrl2023,ROM,Romania,2023,rl,0.45,0.14,11,68.0,60.0,75.0",
]


def test_wgi_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("wgi", "wgi_long_sample.csv", WGI_SAMPLE, numeric_column="estimate",
                        country_column="code")
    check_bad_inputs(case, store, tmp_path)
