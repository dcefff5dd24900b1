"""The detection benchmark: labels files, scoring (latency, recall, false alerts per quiet country-week), the
report block, and the detectors' statistics. Synthetic slices hold INVENTED events; one test runs the real
developer window with the shipped labels (skipped without ../shared)."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cultrade.errors import ConfigError
from cultrade.monitor import detect
from cultrade.monitor.evaluation import BEGIN, END, evaluate_labels, render, write_report
from cultrade.monitor.labels import read_labels
from tests.monitor.gdelt_rows import event_row

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 3)  # a Monday
HEADER = "event,country,partner,type,onset_utc,source,url,note\n"


def labels_text(*rows: str) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


@pytest.mark.parametrize(("row", "message"), [
    ("e,Narnia,,armed_clash,2025-03-05T10:00Z,src,,", "row 2, column 'country': unknown country 'Narnia'"),
    ("e,KEN,,armed_clash,2025-03-05T10:00,src,,", "row 2, column 'onset_utc': onset_utc '2025-03-05T10:00' has no "
                                                  "time zone"),
    ("e,KEN,,armed_clash,2025-04-05T10:00Z,src,,", "row 2, column 'onset_utc': onset 2025-04-05 10:00 UTC is outside"),
    ("e,KEN,,riot,2025-03-05T10:00Z,src,,", "row 2, column 'type': unknown event type 'riot'"),
    ("e,KEN,,armed_clash,2025-03-05T10:00Z,,,", "row 2, column 'source': no source is cited"),
    ("e,KEN,KEN,armed_clash,2025-03-05T10:00Z,src,,", "partner KEN is the country itself"),
])
def test_bad_labels_are_refused_naming_the_line(row: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        read_labels(text=labels_text(row), start=datetime(2025, 3, 1), end=datetime(2025, 3, 22))
    assert message in str(err.value)


def test_labels_parse_names_zones_and_dyads() -> None:
    got = read_labels(text=labels_text("clash,Cambodia,THA,armed_clash,2025-05-28T11:00+07:00,Bangkok Post,,",
                                       "clash,THA,KHM,armed_clash,2025-05-28T04:00Z,Bangkok Post,,"))
    assert [(lab.country, lab.partner, lab.onset) for lab in got] == [
        ("KHM", "THA", datetime(2025, 5, 28, 4)), ("THA", "KHM", datetime(2025, 5, 28, 4))]
    assert got[0].topics("CHN") == {"conflict", "repression"} and "relations" in got[0].topics("THA")
    with pytest.raises(ConfigError, match="lacks the column"):
        read_labels(text="event,country\nx,KEN\n")


def test_the_shipped_labels_file_is_valid() -> None:
    got = read_labels(ROOT / "docs" / "monitoring_labels.csv", start=datetime(2025, 5, 15), end=datetime(2025, 6, 6))
    assert len({lab.event for lab in got}) >= 25 and all(lab.source and lab.url.startswith("http") for lab in got)


# -- scoring on invented slices ------------------------------------------------------------------------
GEOS = ("FR", "GM", "IT", "SP", "UK", "JA", "BR", "IN", "MX", "CA", "KE", "EG")


def write_slices(folder: Path) -> None:
    """Three days of hourly background news in twelve countries, then: 8 Kenyan fight reports at 49:00 (a
    labelled clash) and 8 Italian ones at 60:00 (nobody labelled it: a false alert, in a quiet week)."""
    folder.mkdir(parents=True, exist_ok=True)
    gid = 0
    for h in range(72):
        ts = T0 + timedelta(hours=h)
        events = [(geo, "042") for geo in GEOS * 3]
        events += [("KE", "190")] * (8 if h == 49 else 0) + [("IT", "190")] * (8 if h == 60 else 0)
        lines = [event_row(gid + i, ts, geo, code) for i, (geo, code) in enumerate(events, start=1)]
        gid += len(events)
        (folder / f"{ts:%Y%m%d%H%M%S}.export.CSV.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


LABELS = labels_text(
    "kenya,KEN,,armed_clash,2025-03-05T01:00Z,invented for the test,,",  # the slice of 49:00
    "paris,FRA,,mass_protest,2025-03-05T01:00Z,invented for the test,,",  # nothing in the slices: a miss
    "early,EGY,,armed_clash,2025-03-03T05:00Z,invented for the test,,",  # in the warm-up: not scored
)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("eval") / "slices"
    write_slices(folder)
    labels = read_labels(text=LABELS, start=T0, end=T0 + timedelta(days=3))
    return folder, evaluate_labels(folder, labels, start=T0, end=T0 + timedelta(days=3), workers=0)


def test_scoring_latency_recall_and_false_alerts(evaluated) -> None:  # type: ignore[no-untyped-def]
    _, ev = evaluated
    rows = ev.labels.set_index("event")
    assert rows.loc["kenya", "status"] == "detected" and rows.loc["kenya", "latency_h"] == 0.0
    assert rows.loc["kenya", "rule"] == "armed_violence"
    assert rows.loc["paris", "status"] == "not detected"
    assert rows.loc["early", "status"] == "warm-up"
    assert ev.recall == 0.5 and ev.median_latency_h == 0.0
    italy = ev.quiet[ev.quiet["iso3"] == "ITA"]
    assert italy["false_alerts"].sum() == 1 and ev.quiet["false_alerts"].sum() == 1
    # a label touches its countries from (onset - lead) to (first reporting slice + horizon): Kenya and France
    # on 03-04 and 03-05, Egypt on 03-03 and 03-04; every other day of every country is quiet
    kenya = ev.quiet[ev.quiet["iso3"] == "KEN"]
    assert kenya["quiet_days"].sum() == 1
    assert ev.quiet_weeks == pytest.approx((len(ev.quiet["iso3"].unique()) * 3 - 6) / 7)


def test_report_block_is_replaced_in_place(evaluated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, ev = evaluated
    text = render(ev, "labels.csv")
    assert "| recall (labelled events detected) | ≥ 90 % | 50% (1 of 2) | **not met** |" in text
    assert "| median latency from the first reporting slice | ≤ 1 h | 0 min | **met** |" in text
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nkept\n\n{BEGIN}\nold\n{END}\n\nafter\n")
    write_report(doc, text)
    out = doc.read_text()
    assert out.startswith("# Title\n\nkept\n\n") and out.endswith("\n\nafter\n") and "old" not in out
    write_report(tmp_path / "new.md", text)
    assert (tmp_path / "new.md").read_text().startswith(BEGIN)


def test_cli_evaluate_writes_the_report(evaluated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from cultrade.commands import monitor as cmd
    from cultrade.settings import get_settings

    folder, _ = evaluated
    monkeypatch.setenv("CULTRADE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    labels = tmp_path / "labels.csv"
    labels.write_text(LABELS)
    out = CliRunner().invoke(cmd.monitor_app, ["evaluate", "--labels", str(labels), "--dir", str(folder), "--from",
                                               "2025-03-03", "--to", "2025-03-05", "--report", str(tmp_path / "r.md")])
    get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert "3 labels (3 events)" in out.output and "50% (1 of 2)" in (tmp_path / "r.md").read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text(labels_text("x,KEN,,armed_clash,2025-03-05T01:00,src,,"))
    out = CliRunner().invoke(cmd.monitor_app, ["evaluate", "--labels", str(bad), "--dir", str(folder)])
    assert out.exit_code == 2 and "no time zone" in out.output


# -- the statistics ------------------------------------------------------------------------------------
def test_surprise_is_calibrated_on_counts_that_follow_the_model() -> None:
    """Counts drawn from the model (Poisson-gamma rates, a week of baseline, 1-hour windows): the share of
    windows with S >= s stays below 10^-s (the surprise is a conservative tail probability)."""
    rng = np.random.default_rng(11)
    n_keys, n_windows = 400, 2000
    world = 500.0  # articles per hour
    share = rng.gamma(0.5, 0.004, n_keys)  # many quiet keys, a few busy ones
    base_exposure = world * 168
    baseline = rng.poisson(share * base_exposure)
    x = rng.poisson(np.outer(np.ones(n_windows), share * world))
    mu = detect.expected(baseline, base_exposure, world)
    s = detect.surprise(x, np.broadcast_to(mu, x.shape), np.broadcast_to(detect.inverse_size(baseline, 0.02), x.shape))
    for level in (2.0, 3.0):
        assert (s >= level).mean() <= 10 ** -level
    lo, hi = detect.usual_range(np.array([0.2]), np.array([0.2]))
    assert (lo[0], hi[0]) == (0.0, 1.0)


def test_dispersion_recovers_the_excess_variance() -> None:
    rng = np.random.default_rng(3)
    exposure = rng.uniform(300, 900, 168)
    shares = np.array([0.002, 0.004, 0.01])
    for inv_k in (0.1, 0.5):
        mu = np.outer(exposure, shares)
        counts = rng.negative_binomial(1 / inv_k, (1 / inv_k) / (1 / inv_k + mu))
        assert detect.dispersion(counts, exposure) == pytest.approx(inv_k, abs=0.12)
    assert detect.dispersion(np.zeros((10, 3)), np.ones(10)) == detect.DEFAULT_INV_K  # no volume: the default


@pytest.mark.shared
@pytest.mark.slow
def test_the_developer_window_with_the_shipped_labels(shared: Path) -> None:
    """The real replay: the Cambodia-Thailand clash is detected at its first reporting slice by the dyadic
    detector, critical; every label has a first reporting slice; the figures are those docs/ shows."""
    folder = shared / "events" / "gdelt_v2_2025" / "export"
    labels = read_labels(ROOT / "docs" / "monitoring_labels.csv", start=datetime(2025, 5, 15),
                         end=datetime(2025, 6, 6))
    ev = evaluate_labels(folder, labels, start=datetime(2025, 5, 15), end=datetime(2025, 6, 6))
    assert ev.slices == 845 and ev.settings["failed_slices"] == 0
    rows = ev.labels.set_index(["event", "country"])
    khm = rows.loc[("thai_cambodia_clash", "KHM")]
    assert (khm["status"], khm["latency_h"], khm["rule"], khm["severity"]) == ("detected", 0.0, "interstate_clash",
                                                                              "critical")
    assert ev.labels["first_slice"].notna().all()
    assert 0 < ev.recall <= 1 and ev.quiet_weeks > 500
    assert ev.seconds < 600
