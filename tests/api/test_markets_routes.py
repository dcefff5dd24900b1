"""Market-opportunity routes on the bundled snapshot: product types, ranking, potential, gravity, matching."""

from __future__ import annotations

from typing import Any

V1 = "/api/v1"


def get(api: Any, url: str, status: int = 200) -> Any:
    r = api.client.get(V1 + url, headers=api.headers("viewer"))
    assert r.status_code == status, r.text
    return r.json()


def test_product_types_are_one_table_for_every_interface(api: Any) -> None:
    types = {d["domain"]: d for d in get(api, "/markets/domains")}
    assert {"games", "publishing", "film_tv", "music", "online_literature", "visual_arts", "crafts", "design"} <= set(types)
    assert types["games"]["risk_domain"] == "games" and types["games"]["unctad"] == ["new_media"]
    # the trade route accepts the same product types: /trade/profile/CHN?domain=games is no longer a 422
    profile = get(api, "/trade/profile/CHN?domain=games")
    assert {r["domain"] for r in profile["tables"]["summary"]} == {"new_media"}
    assert profile["tables"]["summary"][0]["exports"] > 0 and profile["year"] == 2017


def test_ranking_says_what_it_used_and_never_targets_home(api: Any) -> None:
    r = get(api, "/markets/rank?home=CHN&domain=games&top=10")
    assert r["basis"] == "proxies" and any("risk index" in line for line in r["inputs"])
    assert len(r["rows"]) == 10 and all(row["iso3"] != "CHN" for row in r["rows"])
    assert [row["rank"] for row in r["rows"]] == list(range(1, 11))
    assert all(row["explanation"].startswith(f"#{row['rank']} of") for row in r["rows"])
    full = get(api, "/markets/rank?home=CHN&domain=games")
    unranked = [row for row in full["rows"] if row["rank"] is None]
    assert unranked and all(row["reason"] and row["adjusted"] is None for row in unranked)


def test_bad_domain_and_home_list_the_valid_ones(api: Any) -> None:
    r = get(api, "/markets/rank?home=CHN&domain=anime", status=422)  # the schema lists the product types
    assert "online_literature" in r["message"]
    r = get(api, "/markets/rank?home=XYZ&domain=games", status=404)  # a well-formed code no economy has
    assert "CHN" in r["hint"]


def test_potential_gravity_and_matching(api: Any) -> None:
    p = get(api, "/markets/potential?exporter=ZAF&limit=5")
    assert "sample" in p["note"] and len(p["rows"]) == 5
    assert all(row["untapped"] is None or row["untapped"] >= 0 for row in p["rows"])
    g = get(api, "/markets/gravity")
    coef = {c["term"]: c["estimate"] for c in g["coefficients"]}
    assert round(coef["log_dist"], 3) == -0.841 and g["nobs"] == 28152
    m = get(api, "/markets/match?home=ZAF&domain=publishing&top=2")
    assert m["rows"] and "sample" in m["note"]
    missing = get(api, "/markets/match?home=CHN&domain=publishing", status=404)
    assert "CHN as exporter" in missing["message"] and "ingest baci" in missing["hint"]
