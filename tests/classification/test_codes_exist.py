"""Every code in the shipped table exists in its edition, and the two editions agree (needs ../shared)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.classification import goods_table, reference_table
from cultrade.classification.build import expand_spec, read_products, read_spec


def codes(path: Path, column: str) -> set[str]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {c.zfill(6) for c in frame[column] if len(c.zfill(6)) == 6 and c.isdigit()}


def test_every_hs17_code_exists(shared: Path) -> None:
    trade = shared / "trade"
    baci = codes(trade / "baci_refs" / "product_codes_HS17_V202401.csv", "code")
    nomenclature = codes(trade / "hs_concordance" / "hs5_desc.csv", "code")
    # hs5_hs4 lists every HS17 code (hs6_hs5 misses those HS22 deleted, such as 490510 globes).
    concordance = codes(trade / "hs_concordance" / "hs5_hs4.csv", "HS5_6d")
    table = reference_table()
    listed = set(table.loc[table["hs_edition"] == "HS17", "hs_code"])
    assert listed - baci == set()
    assert listed - nomenclature == set()
    assert listed - concordance == set()


def test_every_hs22_code_exists(shared: Path) -> None:
    trade = shared / "trade"
    baci = codes(trade / "baci_refs" / "product_codes_HS22_V202401.csv", "code")
    hs = pd.read_csv(trade / "hs_nomenclature" / "harmonized-system.csv", dtype=str)
    subheadings = set(hs.loc[hs["level"] == "6", "hscode"])
    table = reference_table()
    listed = set(table.loc[table["hs_edition"] == "HS22", "hs_code"])
    assert listed - baci == set()
    assert listed - subheadings == set()


def test_hs17_and_hs22_agree_where_the_code_is_unchanged(shared: Path) -> None:
    links = pd.read_csv(shared / "trade" / "hs_concordance" / "hs6_hs5.csv", dtype=str)
    fan_in = links.groupby("HS5_6d")["HS6_6d"].transform("nunique")
    unchanged = links[(links["HS6_6d"] == links["HS5_6d"]) & (fan_in == 1)]["HS6_6d"]
    cols = ["hs_code", "scheme", "domain", "category", "role", "medium"]
    hs17 = goods_table("HS17")[cols]
    hs22 = goods_table("HS22")[cols]
    hs17 = hs17[hs17["hs_code"].isin(unchanged)].sort_values(cols, ignore_index=True)
    hs22 = hs22[hs22["hs_code"].isin(unchanged)].sort_values(cols, ignore_index=True)
    assert len(hs17) > 200
    pd.testing.assert_frame_equal(hs17, hs22)


def test_split_codes_keep_the_domain_of_their_hs17_parent(shared: Path) -> None:
    links = pd.read_csv(shared / "trade" / "hs_concordance" / "hs6_hs5.csv", dtype=str)
    parent = dict(zip(links["HS6_6d"], links["HS5_6d"], strict=True))
    hs17 = {(r["hs_code"], r["scheme"]): r["domain"] for r in goods_table("HS17").to_dict("records")}
    for row in goods_table("HS22").to_dict("records"):
        assert hs17.get((parent[row["hs_code"]], row["scheme"])) == row["domain"], row["hs_code"]


def test_shipped_table_is_what_the_spec_builds(shared: Path) -> None:
    built = expand_spec(read_spec(), read_products(shared / "trade" / "baci_refs"))
    pd.testing.assert_frame_equal(built, reference_table())
