"""Rebuild ``src/cultrade/data/countries.csv`` and ``aggregates.csv`` from the raw references.

Inputs (all in ../shared/data): datahub ISO/M49 codes (PDDL), World Bank FY25
metadata (CC BY 4.0), GDELT's FIPS 10-4 table, the CAMEO country codes seen in
GDELT 2025 and BACI's country codes (Etalab 2.0); Gleditsch-Ward codes come from
the country_converter package. Run: ``python scripts/build_country_reference.py ../shared/data``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import country_converter as coco
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "cultrade" / "data"

# Codes the World Bank used before ISO (WGI still does), mapped to today's code.
WB_LEGACY = {"ADO": "AND", "ZAR": "COD", "ROM": "ROU", "TMP": "TLS", "WBG": "PSE", "KSV": "XKX"}
# CAMEO departs from ISO3 for a few states; GDELT actor codes use these.
CAMEO_LEGACY = {"ROM": "ROU", "TMP": "TLS", "ZAR": "COD", "KSV": "XKX", "SCG": "SRB", "YUG": "SRB", "BUR": "MMR"}
# CAMEO regional and non-state country-position codes (CAMEO manual, ch. 3).
CAMEO_REGIONS = {
    "AFR": "Africa", "ASA": "Asia", "BLK": "Balkans", "CRB": "Caribbean", "CAU": "Caucasus",
    "CFR": "Central Africa", "CAS": "Central Asia", "CEU": "Central Europe", "EIN": "East Indies",
    "EAF": "Eastern Africa", "EEU": "Eastern Europe", "EUR": "Europe", "LAM": "Latin America",
    "MEA": "Middle East", "MDT": "Mediterranean", "NAF": "North Africa", "NMR": "North America",
    "PGS": "Persian Gulf", "SCN": "Scandinavia", "SAM": "South America", "SAS": "South Asia",
    "SEA": "Southeast Asia", "SAF": "Southern Africa", "WAF": "West Africa", "WST": "The West",
    "AME": "Americas", "WSB": "West Bank", "GZS": "Gaza Strip",
}
# Historical states kept as their ISO 3166-3 codes.
HISTORICAL = {
    "CSK": "Czechoslovakia", "SUN": "USSR", "YUG": "Yugoslavia", "SCG": "Serbia and Montenegro",
    "ANT": "Netherlands Antilles", "DDR": "German Democratic Republic", "YMD": "South Yemen",
}
# Gleditsch-Ward codes that country_converter lacks or assigns differently: states
# that no longer exist map to the successor's ISO3, and unified Yemen (678) and
# Vietnam (816) keep the codes UCDP uses for them. 751 is
# Hyderabad, annexed by India in 1948 (UCDP conflict 226).
GW_HISTORICAL = {265: "DEU", 315: "CZE", 678: "YEM", 680: "YEM", 816: "VNM", 817: "VNM", 345: "SRB", 365: "RUS",
                 260: "DEU", 751: "IND"}
# BACI's numeric codes that are not ISO numeric.
BACI_EXTRA = {490: "TWN"}  # "Other Asia, nes": Taiwan, Province of China, in UN Comtrade practice
# Spellings used by FSI, Freedom House, GPI, TI, SIPRI, OTS and UCDP that the references miss.
ALIASES = {
    "CIV": ["Cote d'Ivoire", "Côte d'Ivoire", "Ivory Coast"],
    "COD": ["Congo Democratic Republic", "Congo, Democratic Republic", "DR Congo", "Congo (Kinshasa)",
            "Democratic Republic of the Congo", "Congo, Dem. Rep.", "Congo, DR"],
    "COG": ["Congo Republic", "Congo, Republic", "Republic of Congo", "Congo (Brazzaville)", "Congo, Rep.", "Congo"],
    "PSE": ["Israel and West Bank (West Bank)", "Palestine", "Palestinian Territories", "West Bank and Gaza"],
    "XKX": ["Kosovo"],
    "ISR": ["Israel and West Bank"],  # FSI's label for its Israel entry
    "TWN": ["Taiwan", "Chinese Taipei", "Other Asia, nes"],
    "GMB": ["Gambia", "The Gambia", "Gambia, The"],
    "BHS": ["Bahamas", "The Bahamas", "Bahamas, The"],
    "KOR": ["South Korea", "Korea, South", "Korea, Rep.", "Republic of Korea"],
    "PRK": ["North Korea", "Korea, North", "Korea, Dem. People's Rep."],
    "LAO": ["Laos", "Lao PDR"],
    "MKD": ["Macedonia", "North Macedonia", "Macedonia, FYR"],
    "SWZ": ["Swaziland", "Eswatini"],
    "CPV": ["Cape Verde", "Cabo Verde"],
    "TLS": ["East Timor", "Timor-Leste"],
    "MMR": ["Burma", "Myanmar"],
    "RUS": ["Russia"],
    "TUR": ["Turkey", "Türkiye", "Turkiye"],
    "CZE": ["Czechia", "Czech Republic"],
    "SVK": ["Slovak Republic"],
    "KGZ": ["Kyrgyz Republic"],
    "VNM": ["Vietnam", "Viet Nam"],
    "FSM": ["Micronesia", "Micronesia, Fed. Sts."],
    "USA": ["United States", "United States of America", "USA"],
    "GBR": ["United Kingdom", "UK", "Britain"],
}


def main(shared: Path) -> None:
    ind = shared / "indicators" / "country_ref"
    dh = pd.read_csv(ind / "datahub_country-codes.csv", dtype=str, keep_default_na=False)
    dh = dh[dh["ISO3166-1-Alpha-3"] != ""]
    wb = pd.read_csv(ind / "wb_metadata_country_income_region_FY25.csv", dtype=str, keep_default_na=False,
                     encoding="utf-8-sig")
    fips = pd.read_csv(shared / "events/cameo_reference/fips_iso_m49_country_codes.csv", dtype=str,
                       keep_default_na=False)
    baci = pd.read_csv(shared / "trade/baci_refs/country_codes_V202401.csv", dtype=str)
    cameo = pd.read_csv(shared / "events/cameo_reference/cameo_country_codes_observed_gdelt2025.csv", dtype=str)
    coco_tsv = Path(coco.__file__).with_name("country_data.tsv")
    cc = pd.read_csv(coco_tsv, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    gw = {r["ISO3"]: str(int(float(r["GWcode"]))) for r in cc.to_dict("records") if r["GWcode"]}

    rows: dict[str, dict[str, object]] = {}
    aliases: dict[str, set[str]] = defaultdict(set)
    for d in dh.to_dict("records"):
        iso3 = d["ISO3166-1-Alpha-3"]
        rows[iso3] = {
            "iso3": iso3,
            "iso2": d["ISO3166-1-Alpha-2"],
            "m49": str(int(d["M49"])) if d["M49"] else "",
            "name": d["CLDR display name"] if len(d["CLDR display name"]) > 3 else d["official_name_en"],
            "name_zh": d["UNTERM Chinese Short"] or d["official_name_cn"],
            "fips": set(),
            "currency": d["ISO4217-currency_alphabetic_code"],
            "continent": d["Continent"],
            "historical": False,
        }
        if d["FIPS"]:
            rows[iso3]["fips"].add(d["FIPS"])
        for name in (d["official_name_en"], d["UNTERM English Short"], d["CLDR display name"],
                     d["ISO4217-currency_country_name"]):
            if name:
                aliases[iso3].add(name)
    wb_region = {}
    wb_aggregates = []
    for r in wb.itertuples(index=False):
        code, region, income, name = r[0], r[1], r[2], r[4]
        if not region:
            wb_aggregates.append((code, name))
            continue
        wb_region[code] = (region, income)
        if code in rows and "," not in name:
            rows[code]["name"] = name  # the Bank's short names read best ("United Kingdom")
        if code not in rows:  # Kosovo XKX, Channel Islands CHI
            rows[code] = {"iso3": code, "iso2": "", "m49": "", "name": name, "name_zh": "", "fips": set(),
                          "currency": "", "continent": "", "historical": False}
        aliases[code].add(name)
    for code, name in HISTORICAL.items():
        rows.setdefault(code, {"iso3": code, "iso2": "", "m49": "", "name": name, "name_zh": "", "fips": set(),
                               "currency": "", "continent": "", "historical": True})
    for r in fips.itertuples(index=False):
        iso = r.current_iso_code or r.iso_code
        if iso in rows and r.fips_code:
            rows[iso]["fips"].add(r.fips_code)
            aliases[iso].add(r.name_eng)
    fips_json = json.loads((shared / "events/cameo_reference/pygdelt_fips_countries.json").read_text())
    for code, info in fips_json.items():
        iso = info.get("iso3")
        if iso in rows:
            rows[iso]["fips"].add(code)
    baci_codes: dict[str, set[str]] = defaultdict(set)
    for r in baci.itertuples(index=False):
        num = int(r.country_code)
        iso = BACI_EXTRA.get(num, r.country_iso3)
        if iso in rows:
            baci_codes[iso].add(str(num))
    cameo_codes: dict[str, set[str]] = defaultdict(set)
    for r in cameo.itertuples(index=False):
        code = r.cameo_country_code
        if code in CAMEO_REGIONS:
            continue
        iso = CAMEO_LEGACY.get(code, code)
        if iso in rows:
            cameo_codes[iso].add(code)
    for code, iso in CAMEO_LEGACY.items():
        if iso in rows:
            cameo_codes[iso].add(code)
    for iso, names in ALIASES.items():
        aliases[iso].update(names)

    out = []
    for iso3, row in sorted(rows.items()):
        region, income = wb_region.get(iso3, ("", ""))
        wb_codes = {iso3} if iso3 in wb_region else set()
        wb_codes |= {legacy for legacy, new in WB_LEGACY.items() if new == iso3}
        out.append({
            **{k: v for k, v in row.items() if k != "fips"},
            "fips": "|".join(sorted(row["fips"])),
            "region": region,
            "income": income,
            "wb": "|".join(sorted(wb_codes)),
            "baci": "|".join(sorted(baci_codes.get(iso3, set()), key=int)),
            "cameo": "|".join(sorted(cameo_codes.get(iso3, set()) | (set() if row["historical"] else {iso3}))),
            "gw": "|".join(sorted({gw[iso3]} if iso3 in gw else set())),
            "aliases": "|".join(sorted(a for a in aliases[iso3] if a)),
        })
    for gw_code, iso in GW_HISTORICAL.items():
        for o in out:
            if o["iso3"] == iso and str(gw_code) not in o["gw"].split("|"):
                o["gw"] = "|".join(sorted(filter(None, [*o["gw"].split("|"), str(gw_code)])))
    OUT.mkdir(parents=True, exist_ok=True)
    cols = ["iso3", "iso2", "m49", "name", "name_zh", "region", "income", "continent", "currency", "historical",
            "wb", "fips", "cameo", "gw", "baci", "aliases"]
    with open(OUT / "countries.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(out)
    with open(OUT / "aggregates.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "scheme", "name"])
        for code, name in sorted(wb_aggregates):
            w.writerow([code, "wb", name])
        for code, name in sorted(CAMEO_REGIONS.items()):
            w.writerow([code, "cameo", name])
    print(f"{len(out)} countries, {len(wb_aggregates)} WB aggregates, {len(CAMEO_REGIONS)} CAMEO regions")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
