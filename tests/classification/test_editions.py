"""Older HS editions (HS92 ... HS12) through the concordance, with one-to-many splits flagged."""

from __future__ import annotations

import pandas as pd
import pytest

from cultrade.classification import classify, expand_to_edition, goods_table
from cultrade.errors import ConfigError, SourceFormatError


def frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["from_edition", "from_code", "to_edition", "to_code"])


def test_an_old_code_split_into_cultural_and_blank_media_is_partial() -> None:
    # HS 2007 852340 (optical media) became 852341 (blank) and 852349 (recorded) in HS 2012.
    conc = frame([("HS17", "852341", "HS07", "852340"), ("HS17", "852349", "HS07", "852340"),
                  ("HS17", "970110", "HS07", "970110")])
    table = expand_to_edition(conc, "HS07", "unctad").set_index("hs_code")
    assert table.loc["852340", "partial"]
    assert (table.loc["852340", "n_linked"], table.loc["852340", "n_matched"]) == (2, 1)
    assert table.loc["852340", "source_codes"] == "852349"
    assert not table.loc["970110", "partial"]


def test_links_are_read_in_either_direction_and_editions_in_any_spelling() -> None:
    conc = frame([("HS2012", "490199", "HS2017", "490199")])
    [hit] = classify("490199", edition="H4", scheme="unesco", concordance=conc)
    assert (hit.hs_edition, hit.domain, hit.partial) == ("HS12", "D", False)


def test_bad_concordances_are_refused() -> None:
    with pytest.raises(ConfigError, match="from_edition"):
        goods_table("HS12", concordance=pd.DataFrame({"a": [1]}))
    with pytest.raises(ConfigError, match="links neither HS17 nor HS22"):
        goods_table("HS92", concordance=frame([("HS12", "490199", "HS07", "490199")]))
    with pytest.raises(SourceFormatError, match="6-digit"):
        goods_table("HS12", concordance=frame([("HS17", "4901x9", "HS12", "490199")]))


def test_real_concordance_to_hs12(concordance: pd.DataFrame) -> None:
    table = goods_table("HS12", concordance=concordance)
    assert set(table["hs_edition"]) == {"HS12"}
    assert [(c.scheme, c.domain) for c in classify("970110", "HS12", concordance=concordance)] == [
        ("unesco", "C"), ("unctad", "visual_arts")]


def test_real_concordance_to_hs92_flags_splits(concordance: pd.DataFrame) -> None:
    table = goods_table("HS92", "unesco", concordance=concordance)
    books = table.set_index("hs_code").loc["490199"]
    assert (books["domain"], books["partial"]) == ("D", False)
    # HS 1992 852390 (other prepared unrecorded media) splits into recorded and blank media codes.
    media = table[table["hs_code"] == "852390"].iloc[0]
    assert media["partial"] and media["n_matched"] < media["n_linked"]
    assert table["source_edition"].eq("HS17").all()


@pytest.mark.parametrize("edition", ["HS92", "HS96", "HS02", "HS07", "HS12"])
def test_every_older_edition_keeps_most_of_the_table(concordance: pd.DataFrame, edition: str) -> None:
    hs17 = goods_table("HS17")
    older = goods_table(edition, concordance=concordance)
    assert len(older) > 0.8 * len(hs17)
    assert set(older["scheme"]) == {"unesco", "unctad"}
