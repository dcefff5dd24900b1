"""The statistics audit: checking figures about cultural trade quoted in articles.

Read top to bottom, these tests are a tour of :func:`audit_reported`:
an invented consistent table passes every check; the same table broken in
seven places is flagged exactly there, with expected values worked out by hand;
the real file of figures quoted about China's cultural trade gives the
findings listed in ``test_real_*``; and every malformed table is refused with
an error naming the file, row and column.

The tables in ``tests/trade/data`` are invented (see the README there).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import SourceFormatError
from cultrade.trade.audit import AuditReport, Finding, Tolerance, audit_reported, load_reported

DATA = Path(__file__).parent / "data"
CONSISTENT = DATA / "reported_consistent.csv"
INCONSISTENT = DATA / "reported_inconsistent.csv"
# The 2023 annual average CNY per USD of the US Fed H.10 series (fred_h10_fx_yearly.csv).
FX_2023 = pd.DataFrame({"currency": ["CNY"], "year": [2023], "rate": [7.0809]})


def only(report: AuditReport, **criteria: object) -> Finding:
    """The single finding matching ``criteria`` (fails if there are none or several)."""
    found = report.select(**criteria)  # type: ignore[arg-type]
    assert len(found) == 1, [f.describe() for f in found]
    return found[0]


def table(*rows: tuple[str, ...], extra: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """A small invented table from (metric, period, flow, value, unit) tuples."""
    frame = pd.DataFrame(rows, columns=["metric", "period", "flow", "value", "unit"]).assign(source="Invented")
    for column, values in (extra or {}).items():
        frame[column] = values
    return frame


# -- (a) a consistent table passes every check ----------------------------------------


def test_consistent_table_passes_every_check() -> None:
    report = audit_reported(CONSISTENT, fx=FX_2023)
    assert report.ok
    assert {f.status for f in report.findings} == {"ok"}
    assert sorted(f.check for f in report.findings) == sorted(
        ["total", "total", "balance", "growth", "cagr", "share", "share", "share", "conversion",
         "agreement", "agreement"]
    )
    assert report.unchecked == []  # every figure took part in at least one check


def test_passed_checks_are_listed_with_their_numbers() -> None:
    frame = audit_reported(CONSISTENT, fx=FX_2023).to_frame()
    growth = frame[frame["check"] == "growth"].iloc[0]
    assert growth["expected"] == pytest.approx(10.0)  # 33.00 / 30.00 - 1
    assert growth["reported"] == 10.0
    assert growth["rows"] == "7;6;3"  # the claim, then the two levels it rests on
    assert growth["tolerance"] == pytest.approx(0.1)
    assert list(frame.columns) == ["check", "status", "severity", "metric", "period", "expected", "reported",
                                   "difference", "tolerance", "unit", "rows", "sources", "formula", "note"]


def test_the_same_figure_in_millions_agrees_with_billions() -> None:
    agreement = only(audit_reported(CONSISTENT), check="agreement", metric="games_trade")
    assert (agreement.expected, agreement.reported, agreement.unit) == (3000.0, 3000.0, "USD m")
    assert agreement.tolerance == pytest.approx(20.0)  # 0.02 bn, said in millions


# -- (b) a broken table is flagged exactly where it was broken ------------------------


@pytest.fixture(scope="module")
def broken() -> AuditReport:
    return audit_reported(INCONSISTENT, fx=FX_2023)


def test_only_the_broken_figures_are_flagged(broken: AuditReport) -> None:
    flagged = sorted((f.check, f.period) for f in broken.inconsistent)
    assert flagged == [("agreement", 2021), ("balance", 2021), ("cagr", 2023), ("conversion", 2023),
                       ("growth", 2022), ("share", 2023), ("total", 2021)]
    still_ok = sorted((f.check, f.metric, f.period) for f in broken.select(status="ok"))
    assert still_ok == [("agreement", "games_trade", 2021), ("share", "games_trade", 2021),
                        ("share", "games_trade", 2021), ("total", "books_trade", 2023)]


def test_wrong_total(broken: AuditReport) -> None:
    f = only(broken, check="total", period=2021)
    assert f.expected == pytest.approx(30.00 + 20.00)
    assert f.reported == 51.00
    assert f.difference == pytest.approx(1.00)
    assert f.tolerance == pytest.approx(0.02)
    assert f.rows == (2, 3, 4) and f.sources == ("Invented source A",)
    assert f.severity == "error"  # one source contradicts itself


def test_wrong_balance(broken: AuditReport) -> None:
    f = only(broken, check="balance", period=2021)
    assert (f.expected, f.reported) == (pytest.approx(30.00 - 20.00), 12.00)
    assert f.difference == pytest.approx(2.00)


def test_growth_claim_that_its_levels_do_not_support(broken: AuditReport) -> None:
    f = only(broken, check="growth")
    assert f.expected == pytest.approx((33.00 / 30.00 - 1) * 100)  # 10.0 %
    assert f.reported == 12.0
    assert f.difference == pytest.approx(2.0)
    assert f.unit == "%"


def test_cagr_claim_off(broken: AuditReport) -> None:
    f = only(broken, check="cagr")
    assert f.expected == pytest.approx(((36.30 / 30.00) ** (1 / 2) - 1) * 100)  # 10.0 % a year
    assert f.reported == 8.0
    assert f.difference == pytest.approx(-2.0)
    assert set(f.sources) == {"Invented source A", "Invented source B"}
    assert f.severity == "warning"  # the 2021 level and the claim come from different sources


def test_share_that_does_not_match_its_parts(broken: AuditReport) -> None:
    f = only(broken, check="share", metric="books_trade")
    assert f.expected == pytest.approx(36.30 / 58.30 * 100)  # 62.26 %
    assert f.reported == 65.0
    assert f.difference == pytest.approx(65.0 - 62.2642, abs=1e-3)


def test_cny_figure_inconsistent_with_the_usd_figure(broken: AuditReport) -> None:
    f = only(broken, check="conversion")
    assert f.expected == pytest.approx(36.30 * 7.0809)  # 257.04 CNY bn
    assert f.reported == 250.00
    assert f.difference == pytest.approx(250.00 - 257.0367, abs=1e-3)
    assert f.tolerance == pytest.approx(0.01 * 257.0367, abs=1e-3)  # fx_relative: 1 % of the expected value
    assert f.unit == "CNY bn"


def test_two_sources_disagreeing_on_a_count(broken: AuditReport) -> None:
    f = only(broken, check="agreement", metric="key_exporters")
    assert (f.expected, f.reported, f.sources) == (100.0, 120.0, ("Invented source A", "Invented source C"))
    assert f.severity == "warning"


def test_text_rendering_leads_with_the_problems(broken: AuditReport) -> None:
    text = broken.render()
    assert text.splitlines()[0] == ("Audit of reported_inconsistent.csv: 17 figures, 11 checks: 4 ok, "
                                    "7 inconsistent, 0 not checkable")
    assert text.splitlines()[1].startswith("  INCONSISTENT")
    assert "exports 30.00 USD bn [row 3] + imports 20.00 USD bn [row 4] = 50.00 vs total 51.00 USD bn [row 2]" in text


# -- (c) the real file of figures quoted about China's cultural trade ------------------


@pytest.fixture(scope="module")
def real_fx(shared: Path) -> pd.DataFrame:
    """The FRED H.10 yearly series, China rows, in the audit's FX layout (CNY per USD)."""
    h10 = pd.read_csv(shared / "indicators" / "fx" / "fred_h10_fx_yearly.csv")
    china = h10[h10["Country"] == "China"]
    return pd.DataFrame({"currency": "CNY", "year": china["Date"].str[:4].astype(int), "rate": china["Value"]})


@pytest.fixture(scope="module")
def reported_path(shared: Path) -> Path:
    return shared / "reported" / "china_cultural_trade_reported.csv"


@pytest.fixture(scope="module")
def real(reported_path: Path, real_fx: pd.DataFrame) -> AuditReport:
    return audit_reported(reported_path, fx=real_fx)


def _combo(report: AuditReport, check: str, period: int, *values: float) -> Finding:
    """The finding of ``check`` whose figures have exactly these values (reported figure first)."""
    found = [f for f in report.select(check=check, period=period) if tuple(x.value for x in f.figures) == values]
    assert len(found) == 1, [f.describe() for f in report.select(check=check, period=period)]
    return found[0]


def test_real_2019_products_total_and_balance(real: AuditReport) -> None:
    total = _combo(real, "total", 2019, 111.45, 99.89, 11.57)
    assert total.status == "ok"  # 99.89 + 11.57 = 111.46: 0.01 off, within rounding
    assert total.expected == pytest.approx(111.46) and total.difference == pytest.approx(-0.01)
    balance = _combo(real, "balance", 2019, 88.32, 99.89, 11.57)
    assert balance.status == "ok" and balance.difference == pytest.approx(0.0)


def test_real_2023_sources_agree_on_exports_but_not_on_imports(real: AuditReport) -> None:
    exports = _combo(real, "agreement", 2023, 148.41, 148.40)
    assert exports.status == "ok"  # 0.01 apart
    imports = _combo(real, "agreement", 2023, 17.96, 17.37)
    assert imports.status == "inconsistent"
    assert imports.difference == pytest.approx(-0.59)
    assert imports.sources == ("Xin Yueyou, CGTN opinion, 2025", "Jin Rong Shi Bao, 2025-06-20")


def test_real_2023_each_source_is_consistent_with_itself(real: AuditReport) -> None:
    # CGTN: 148.41 + 17.96 = 166.37 vs its total 166.36
    assert _combo(real, "total", 2023, 166.36, 148.41, 17.96).status == "ok"
    # Jin Rong Shi Bao: 148.40 − 17.37 = 131.03, its balance
    assert _combo(real, "balance", 2023, 131.03, 148.40, 17.37).status == "ok"
    # CGTN's total against Jin Rong Shi Bao's figures: 148.40 + 17.37 = 165.77
    mixed = _combo(real, "total", 2023, 166.36, 148.40, 17.37)
    assert mixed.status == "inconsistent" and mixed.expected == pytest.approx(165.77)
    assert mixed.severity == "warning"  # the sources disagree; neither contradicts itself
    # the balance implied by CGTN's imports: 148.41 − 17.96 = 130.45 vs 131.03
    assert _combo(real, "balance", 2023, 131.03, 148.41, 17.96).status == "inconsistent"


def test_real_2023_summary_of_combinations(real: AuditReport) -> None:
    statuses = sorted((f.check, tuple(x.value for x in f.figures), f.status) for f in real.select(period=2023))
    assert statuses == [
        ("agreement", (17.96, 17.37), "inconsistent"),
        ("agreement", (148.41, 148.4), "ok"),
        ("balance", (131.03, 148.4, 17.37), "ok"),
        ("balance", (131.03, 148.4, 17.96), "inconsistent"),
        ("balance", (131.03, 148.41, 17.37), "ok"),
        ("balance", (131.03, 148.41, 17.96), "inconsistent"),
        ("total", (166.36, 148.4, 17.37), "inconsistent"),
        ("total", (166.36, 148.4, 17.96), "ok"),
        ("total", (166.36, 148.41, 17.37), "inconsistent"),
        ("total", (166.36, 148.41, 17.96), "ok"),
    ]


def test_real_2021_services_total_is_consistent_only_with_rounding(real: AuditReport, reported_path: Path,
                                                                   real_fx: pd.DataFrame) -> None:
    # 69.1 + 55.2 = 124.3 vs a published 124.4. Each figure has one decimal, so each may be off by
    # 0.05: the sum can be off by 0.15 through rounding alone, and 0.1 is within that.
    services = only(real, check="total", metric="cultural_services_trade", period=2021)
    assert services.status == "ok"
    assert services.expected == pytest.approx(124.3) and services.difference == pytest.approx(0.1)
    assert services.tolerance == pytest.approx(0.15)
    # Without the rounding allowance, only the flat 0.02 bn remains and the 0.1 gap is flagged.
    strict = audit_reported(reported_path, fx=real_fx, tolerance=Tolerance(rounding=False))
    assert only(strict, check="total", metric="cultural_services_trade", period=2021).status == "inconsistent"


def test_real_2009_services_add_up(real: AuditReport) -> None:
    f = only(real, check="total", metric="cultural_services_trade", period=2009)
    assert f.status == "ok" and f.expected == pytest.approx(17.7) and f.difference == pytest.approx(0.0)


def test_real_2024_cny_figure_is_not_checkable(real: AuditReport) -> None:
    f = only(real, check="conversion")
    assert (f.status, f.metric, f.period, f.reported, f.unit) == ("not_checkable", "cultural_trade", 2024,
                                                                   1400.0, "CNY bn")
    assert "no figure for cultural_trade total 2024 in another currency" in f.note
    assert f.severity == "info"


def test_real_file_overall(real: AuditReport) -> None:
    assert len(real.figures) == 26
    assert [len(real.select(status=s)) for s in ("ok", "inconsistent", "not_checkable")] == [9, 5, 1]
    # figures with nothing in the file to compare them with: the 2007 and 2020 totals,
    # online games, online literature and the counts of key export enterprises
    assert [f.row for f in real.unchecked] == [2, 7, 21, 22, 23, 24, 25, 26, 27]


def test_real_fx_table_checks_an_invented_conversion(real_fx: pd.DataFrame) -> None:
    # Invented: 100.00 USD bn in 2019 said to be 690.81 CNY bn (H.10 2019: 6.9081 CNY per USD).
    report = audit_reported(table(("x", "2019", "exports", "100.00", "USD bn"),
                                  ("x", "2019", "exports", "690.81", "CNY bn")), fx=real_fx)
    f = only(report, check="conversion")
    assert f.status == "ok" and f.expected == pytest.approx(690.81)


# -- claims: the optional columns --------------------------------------------------------


def test_growth_is_checked_in_the_currency_asked_for() -> None:
    # Invented: levels in USD and CNY; the 5.0 % growth is in yuan, not in dollars.
    rows = table(("x", "2022", "exports", "10.00", "USD bn"), ("x", "2023", "exports", "10.00", "USD bn"),
                 ("x", "2022", "exports", "60.00", "CNY bn"), ("x", "2023", "exports", "63.00", "CNY bn"),
                 ("x", "2023", "growth", "5.0", "%"),
                 extra={"level_flow": ["", "", "", "", "exports"], "level_unit": ["", "", "", "", "CNY bn"]})
    growth = audit_reported(rows).select(check="growth")
    assert [(g.status, round(g.expected or 0, 6)) for g in growth] == [("ok", 5.0)]
    rows["level_unit"] = ""  # without level_unit, each currency is checked: the USD levels say 0 %
    growth = audit_reported(rows).select(check="growth")
    assert sorted((g.figures[1].unit, g.status) for g in growth) == [("CNY bn", "ok"), ("USD bn", "inconsistent")]


def test_growth_claim_without_a_base_level_is_not_checkable() -> None:
    rows = table(("x", "2023", "total", "12.00", "USD bn"), ("x", "2023", "growth", "20.0", "%"))
    f = only(audit_reported(rows), check="growth")
    assert f.status == "not_checkable"
    assert f.note == "not checkable: the table has no level for x total 2022"


def test_two_sources_claiming_different_growth_disagree_even_without_levels() -> None:
    rows = table(("x", "2023", "growth", "20.0", "%"), ("x", "2023", "growth", "20.04", "%"),
                 ("x", "2023", "growth", "25.0", "%"))
    agreement = audit_reported(rows).select(check="agreement")
    assert [(f.rows, f.status) for f in agreement] == [((2, 3), "ok"), ((2, 4), "inconsistent"),
                                                       ((3, 4), "inconsistent")]
    assert agreement[1].note == "the sources disagree on total growth"


def test_conversion_without_fx_or_without_a_rate_says_so() -> None:
    rows = table(("x", "2019", "total", "1.00", "USD bn"), ("x", "2019", "total", "6.91", "CNY bn"))
    assert "no exchange-rate table given" in only(audit_reported(rows), check="conversion").note
    assert "no CNY rate for 2019" in only(audit_reported(rows, fx=FX_2023), check="conversion").note


def test_absolute_tolerance_can_be_given_as_a_number() -> None:
    rows = table(("x", "2020", "total", "3.00", "USD bn"), ("x", "2020", "exports", "2.00", "USD bn"),
                 ("x", "2020", "imports", "0.90", "USD bn"))
    assert audit_reported(rows).inconsistent
    assert audit_reported(rows, tolerance=0.1).ok


# -- (d) malformed tables: clear errors ----------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reported.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "metric,period,flow,value,unit,source\n"


@pytest.mark.parametrize(
    ("body", "row", "column", "message"),
    [
        ("m,2023,exports,abc,USD bn,S\n", 2, "value", "value 'abc' is not a number"),
        ("m,2023,exports,1,USD bn,S\nm,2023,export,1,USD bn,S\n", 3, "flow", "unknown flow 'export'"),
        ("m,2023,exports,1,billion dollars,S\n", 2, "unit", "unknown unit 'billion dollars'"),
        ("m,2023-H1,exports,1,USD bn,S\n", 2, "period", "period '2023-H1' is not a year"),
        ("m,2023,exports,,USD bn,S\n", 2, "value", "the value is empty"),
        ("m,2023,exports,1,USD bn,\n", 2, "source", "the source is empty"),
        ("m,2023,growth,5,USD bn,S\n", 2, "unit", "a growth claim is a percentage"),
        ("m,2023,count,5,USD bn,S\n", 2, "unit", "a count needs a count unit"),
        ("m,2023,exports,5,%,S\n", 2, "unit", "exports is a money flow"),
    ],
)
def test_bad_cells_are_refused_with_row_and_column(tmp_path: Path, body: str, row: int, column: str,
                                                   message: str) -> None:
    path = write(tmp_path, HEADER + body)
    with pytest.raises(SourceFormatError) as err:
        load_reported(path)
    assert (err.value.path, err.value.row, err.value.column) == (str(path), row, column)
    assert message in err.value.message
    assert err.value.hint  # and says how to fix it


@pytest.mark.parametrize(
    ("extra", "value", "column", "message"),
    [
        ("flow,base_period", "cagr,", "base_period", "a cagr claim needs a base_period"),
        ("flow,base_period", "growth,2024", "base_period", "is not before period 2023"),
        ("flow,base_period", "total,2020", "base_period", "only applies to growth and cagr"),
        ("flow,level_flow", "share,sales", "level_flow", "unknown level_flow 'sales'"),
        ("flow,of_flow", "total,exports", "of_flow", "only applies to share rows"),
        ("flow,of_flow", "share,total", "of_flow", "is taken of itself"),
        ("flow,level_unit", "growth,%", "level_unit", "unknown level_unit"),
    ],
)
def test_bad_claim_columns(tmp_path: Path, extra: str, value: str, column: str, message: str) -> None:
    flow, other = extra.split(",")
    flow_value, other_value = value.split(",")
    unit = "%" if flow_value in ("growth", "cagr", "share") else "USD bn"
    header = f"metric,period,{flow},value,unit,source,{other}\n"
    path = write(tmp_path, f"{header}m,2023,{flow_value},1,{unit},S,{other_value}\n")
    with pytest.raises(SourceFormatError) as err:
        load_reported(path)
    assert (err.value.row, err.value.column) == (2, column)
    assert message in err.value.message


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "metric,period,flow,value,source\nm,2023,exports,1,S\n")
    with pytest.raises(SourceFormatError, match=r"missing columns \['unit'\]"):
        audit_reported(path)
    with pytest.raises(SourceFormatError, match=r"<table>.*missing columns \['unit'\]"):
        audit_reported(pd.DataFrame({"metric": ["m"], "period": ["2023"], "flow": ["exports"], "value": ["1"],
                                     "source": ["S"]}))


def test_empty_file_and_empty_frame(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="the file is empty"):
        audit_reported(write(tmp_path, ""))
    with pytest.raises(SourceFormatError, match="header but no data rows"):
        audit_reported(write(tmp_path, HEADER))
    with pytest.raises(SourceFormatError, match="the table has no rows"):
        audit_reported(pd.DataFrame(columns=["metric", "period", "flow", "value", "unit", "source"]))


def test_bad_fx_table() -> None:
    rows = table(("x", "2019", "total", "1.00", "USD bn"))
    with pytest.raises(SourceFormatError, match=r"<fx table>.*missing columns \['rate'\]"):
        audit_reported(rows, fx=pd.DataFrame({"currency": ["CNY"], "year": [2019]}))
    with pytest.raises(SourceFormatError, match="not positive"):
        audit_reported(rows, fx=pd.DataFrame({"currency": ["CNY"], "year": [2019], "rate": [0.0]}))


def test_a_dataframe_may_hold_numbers() -> None:
    frame = pd.DataFrame({"metric": ["x", "x", "x"], "period": [2020.0, 2020.0, None], "flow": ["total"] * 3,
                          "value": [1.5, 1.5, 2.0], "unit": ["USD bn"] * 3, "source": ["A", "B", "C"]})
    with pytest.raises(SourceFormatError, match="row 4, column 'period': period '' is not a year"):
        audit_reported(frame)
    report = audit_reported(frame.iloc[:2])
    assert [(f.check, f.status, f.period) for f in report.findings] == [("agreement", "ok", 2020)]


def test_a_dataframe_row_is_numbered_as_in_the_csv_it_would_write() -> None:
    rows = table(("x", "2019", "total", "1.00", "USD bn"), ("x", "2019", "total", "lots", "USD bn"))
    with pytest.raises(SourceFormatError) as err:
        audit_reported(rows)
    assert str(err.value).startswith("<table>, row 3, column 'value': value 'lots' is not a number")
