"""Matching products to markets: markets whose import baskets resemble those where the home already succeeds.

For a home country, a product type and a BACI year:

1. **Baskets.** Every importer's cultural imports by HS6 code form a vector; normalised to shares, two
   markets are alike when their baskets point the same way (cosine similarity). This is item-based
   collaborative filtering on the importer x product matrix.
2. **Where the home succeeds.** For each HS6 product of the product type, a market is a *success* when
   the home's share of that market's imports of the product is above the home's share of world exports
   of it (a bilateral revealed advantage above 1).
3. **Recommendation.** Every other market that imports the product is scored by its mean similarity to
   the success markets, weighted by the home's exports there. The top markets per product are returned
   with the success markets they resemble most, so each recommendation says why.

Markets where the home already succeeds are not recommended again; the home is never a target.
Without bilateral exports of the home (no BACI year lists it as exporter) there is nothing to learn from:
:class:`~cultrade.errors.StoreError` says what to load.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cultrade.classification.markets import market_domain
from cultrade.errors import ConfigError, StoreError
from cultrade.markets.potential import product_flows, sample_note
from cultrade.markets.rank import check_home
from cultrade.store import Store
from cultrade.trade.data import cultural_mapping

COLUMNS = ["product", "market", "score", "imports", "similar_to", "successes"]


def cosine_similarity(matrix: pd.DataFrame) -> pd.DataFrame:
    """Cosine similarity between the rows of a non-negative matrix (rows with no value get 0 similarity).

    >>> m = pd.DataFrame([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]], index=["A", "B", "C"])
    >>> cosine_similarity(m).round(3).loc["A"].tolist()
    [1.0, 1.0, 0.0]
    """
    x = matrix.to_numpy(dtype=float)
    norm = np.linalg.norm(x, axis=1)
    unit = np.divide(x, norm[:, None], out=np.zeros_like(x), where=norm[:, None] > 0)
    return pd.DataFrame(unit @ unit.T, index=matrix.index, columns=matrix.index)


def recommend(flows: pd.DataFrame, home: str, products: list[str], top: int = 5) -> pd.DataFrame:
    """Recommendations from a flows table (exporter, importer, product, value) for ``home`` (see the module)."""
    basket = flows.pivot_table(index="importer", columns="product", values="value", aggfunc="sum", fill_value=0.0)
    basket = basket.div(basket.sum(axis=1), axis=0)
    similarity = cosine_similarity(basket)
    world = flows.groupby("product")["value"].sum()
    home_x = flows[flows["exporter"] == home]
    home_share_world = home_x.groupby("product")["value"].sum() / world
    imports = flows.groupby(["importer", "product"])["value"].sum()
    rows = []
    for k in products:
        if k not in home_share_world.index or k not in basket.columns:
            continue
        to = home_x[home_x["product"] == k].groupby("importer")["value"].sum()
        share_in_market = to / imports.xs(k, level="product").reindex(to.index)
        success = share_in_market[share_in_market > home_share_world[k]].index
        success = [m for m in success if m in similarity.index and m != home]
        if not success:
            continue
        weights = to.reindex(success).to_numpy(dtype=float)
        buyers = imports.xs(k, level="product")
        candidates = [m for m in buyers.index if buyers[m] > 0 and m not in success and m != home]
        if not candidates:
            continue
        sim = similarity.loc[candidates, success]
        score = (sim.to_numpy() * weights).sum(axis=1) / weights.sum()
        for m, sc, row in zip(candidates, score, sim.itertuples(index=False), strict=True):
            closest = pd.Series(row, index=success).sort_values(ascending=False).head(3)
            rows.append({"product": k, "market": m, "score": float(sc), "imports": float(buyers[m]),
                         "similar_to": ", ".join(f"{c} ({v:.2f})" for c, v in closest.items()),
                         "successes": len(success)})
    out = pd.DataFrame(rows, columns=COLUMNS)
    if out.empty:
        return out
    out = out.sort_values(["product", "score", "imports"], ascending=[True, False, False])
    return out.groupby("product").head(top).reset_index(drop=True)


def match_markets(store: Store, home: str = "CHN", domain: str = "general", *, year: int | None = None,
                  top: int = 5, scheme: str = "unctad") -> tuple[pd.DataFrame, str]:
    """Per HS6 product of the product type, the ``top`` recommended markets; and a note on the data used."""
    home = check_home(home)
    dom = market_domain(domain)
    if not dom.unctad:
        raise ConfigError(f"{dom.domain} has no goods to match", hint="matching uses the importer x product "
                          "matrix of goods: use publishing, visual_arts, crafts, design, games, film_tv or music")
    if not store.has_table("baci_flows"):
        raise StoreError("matching needs bilateral HS6 flows", hint="load a BACI year: `cultrade ingest baci FILE`")
    rows = store.con.execute("SELECT max(year) FROM baci_flows WHERE exporter = ? AND hs_edition IN ('HS17', 'HS22')"
                             + ("" if year is None else " AND year = ?"),
                             [home] if year is None else [home, year]).fetchall()
    found = rows[0][0]
    if found is None:
        raise StoreError(f"no HS17/HS22 BACI flows with {home} as exporter" + (f" in {year}" if year else ""),
                         hint="load a full BACI year, e.g. `cultrade ingest baci BACI_HS17_Y2022_V202401.csv`")
    flows = product_flows(store, int(found), "hs6", scheme).execute()
    codes: set[str] = set()
    for edition in ("HS17", "HS22"):
        m = cultural_mapping(edition, scheme, role="core")
        codes |= set(m.loc[m["domain"].isin(dom.unctad), "hs6"])
    out = recommend(flows, home, sorted(codes & set(flows["product"])), top)
    return out, f"BACI {found}, {sample_note(store, int(found))}; baskets over {flows['product'].nunique()} cultural HS6 codes"


__all__ = ["COLUMNS", "cosine_similarity", "match_markets", "recommend"]
