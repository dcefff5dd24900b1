"""Expert overrides: persisted with an audit trail, flagged in results, and switchable off."""

from __future__ import annotations

import numpy as np
import pytest

from cultrade.errors import ConfigError
from cultrade.risk import add_override, deactivate_override, load_overrides
from cultrade.risk.index import RiskIndex
from cultrade.risk.overrides import Override, save_overrides
from cultrade.store import Store

from .conftest import panel, tiny_framework

SPEC = [("x1", "more_risk", "d1"), ("x2", "less_risk", "d1"), ("x3", "more_risk", "d2")]
CUBE = [[[0.0, 40.0, 3.0], [5.0, 10.0, 1.0], [10.0, 20.0, 2.0]]]


def base() -> RiskIndex:
    return RiskIndex(panel(CUBE), tiny_framework(SPEC), weighting="equal", outliers="none")


def test_indicator_override_is_saved_applied_flagged_and_audited(store: Store) -> None:
    idx = base()
    adjusted = add_override(store, idx, "BBB", 2023, "x3", 10.0, author="Li Wei", reason="new import ban")
    # BBB: x3 risk 0 -> 10, so d2 = 1 and the index = (0.75 + 1) / 2 = 0.875
    row = adjusted.scores().set_index("iso3").loc["BBB"]
    assert row["score"] == pytest.approx(8.75) and bool(row["overrides"])
    trail = adjusted.overrides
    assert list(trail.loc[0, ["iso3", "target", "old_value", "value", "author", "reason"]]) == [
        "BBB", "x3", 0.0, 10.0, "Li Wei", "new import ban"]
    stored = load_overrides(store)
    assert len(stored) == 1 and stored[0].reason == "new import ban" and stored[0].created_at is not None
    e = adjusted.explain("BBB")
    assert e.indicators.set_index("indicator").loc["x3", "status"] == "override"
    assert len(e.overrides) == 1


def test_overrides_can_be_switched_off_to_see_the_unadjusted_index(store: Store) -> None:
    idx = base()
    adjusted = add_override(store, idx, "AAA", 2023, "d1", 9.0, author="a", reason="b")
    off = adjusted.regenerate(use_overrides=False)
    assert np.allclose(off.score, idx.score)
    assert off.overrides.empty and not off.scores()["overrides"].any()
    # dimension override: AAA d1 = 0.9, index = (0.9 + 1) / 2
    assert adjusted.scores().set_index("iso3").loc["AAA", "score"] == pytest.approx(9.5)
    assert any(s["step"] == "overrides" and s["params"] == {"use_overrides": False} for s in off.log)


def test_deactivated_overrides_stay_in_the_trail(store: Store) -> None:
    ov = Override("CCC", 2023, "indicator", "x1", 0.0, author="a", reason="b")
    assert save_overrides(store, [ov]) == 1
    deactivate_override(store, ov.override_id)
    assert load_overrides(store) == []
    assert [o.active for o in load_overrides(store, include_inactive=True)] == [False]
    with pytest.raises(ConfigError):
        deactivate_override(store, "nope")


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    good = Override("AAA", 2023, "indicator", "x1", 1.0, author="a", reason="b")
    clash = Override("BBB", 2023, "indicator", "x1", 2.0, author="a", reason="b", override_id=good.override_id)
    with pytest.raises(Exception):  # noqa: B017 - duplicate key: DuckDB's constraint error
        save_overrides(store, [good, clash])
    assert load_overrides(store) == []


def test_invalid_overrides_are_rejected(store: Store) -> None:
    with pytest.raises(ConfigError, match="author"):
        Override("AAA", 2023, "indicator", "x1", 1.0, author="", reason="b")
    with pytest.raises(ConfigError, match="override kind"):
        Override("AAA", 2023, "country", "x1", 1.0, author="a", reason="b")
    with pytest.raises(ConfigError, match="unknown override target"):
        add_override(store, base(), "AAA", 2023, "x9", 1.0, author="a", reason="b")
