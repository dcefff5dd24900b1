"""Cultural trade commands: classify, domain listings, the statistics audit, trade profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cultrade.classification import DOMAINS, check_domain, check_scheme, classify, domain_codes, goods_table
from cultrade.commands.common import console, export_frame, handle_errors, open_store, print_frame
from cultrade.trade.audit import audit_reported
from cultrade.trade.fx import annual_fx


def classify_cmd(
    hs: Annotated[str, typer.Argument(help="An HS code: 2, 4 or 6 digits, e.g. 490199 or 9504.")],
    edition: Annotated[str, typer.Option(help="HS edition: HS17 or HS22.")] = "HS17",
) -> None:
    """Show the cultural domains an HS code maps to (UNESCO FCS 2009 and UNCTAD)."""
    codes = classify(hs, edition=edition)
    if not codes:
        console.print(f"HS {hs} ({edition}) is not a cultural good in either scheme.")
        return
    frame = pd.DataFrame([c.__dict__ for c in codes])
    cols = ["hs_code", "scheme", "domain", "domain_label", "domain_label_zh", "role", "medium", "basis"]
    print_frame(frame[cols], title=f"HS {hs} ({edition}): {codes[0].description}")


def domain_cmd(
    domain: Annotated[str | None, typer.Argument(help="A domain id or label; omit to list the domains.")] = None,
    scheme: Annotated[str, typer.Option(help="unesco (FCS 2009) or unctad (creative goods).")] = "unesco",
    edition: Annotated[str, typer.Option(help="HS edition of the listed codes.")] = "HS17",
) -> None:
    """List the domains of a scheme, or the HS codes in one domain."""
    scheme_ = check_scheme(scheme)
    if domain is None:
        rows = [{"domain": d.code, "label": d.label_en, "label_zh": d.label_zh} for d in DOMAINS[scheme_].values()]
        print_frame(pd.DataFrame(rows), title=f"{scheme_} domains")
        return
    dom = check_domain(domain, scheme_)
    codes = set(domain_codes(dom, scheme=scheme_, edition=edition))
    table = goods_table(edition, scheme_)
    table = table[table["hs_code"].isin(codes)]
    print_frame(table[["hs_code", "description", "role", "medium", "category"]],
                title=f"{scheme_} {dom}: {len(codes)} HS codes ({edition})", max_rows=500)


def audit_cmd(
    file: Annotated[Path, typer.Argument(help="A CSV of reported figures (metric, period, flow, value, unit, source).")],
    tolerance: Annotated[float | None, typer.Option(help="Absolute tolerance for sums, in the figures' unit.")] = None,
    only_problems: Annotated[bool, typer.Option("--only-problems", help="Hide the checks that passed.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the findings to a .csv or .parquet file.")] = None,
) -> None:
    """Check reported trade figures against each other and against that year's exchange rate."""
    with open_store() as store:
        fx = annual_fx(store)
    report = audit_reported(file, fx=fx if not fx.empty else None, tolerance=tolerance)
    frame = report.to_frame()[["check", "status", "metric", "period", "expected", "reported", "difference",
                               "tolerance", "unit", "formula"]]
    if only_problems:
        frame = frame[frame["status"] != "ok"]
    print_frame(frame, title=f"Audit of {file.name}", max_rows=500)
    counts = report.to_frame()["status"].value_counts().to_dict()
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if out is not None:
        export_frame(report.to_frame(), out)
    if report.inconsistent:
        raise typer.Exit(1)


trade_app = typer.Typer(help="Cultural trade statistics.", no_args_is_help=True)


@trade_app.command("profile")
@handle_errors
def profile_cmd(
    country: Annotated[str, typer.Argument(help="ISO3 code of the country, e.g. CHN.")],
    domain: Annotated[str | None, typer.Option(help="One domain (id or label), e.g. publishing.")] = None,
    year: Annotated[int | None, typer.Option(help="Year; default: the latest loaded.")] = None,
    scheme: Annotated[str, typer.Option(help="unctad (creative goods) or unesco (FCS 2009).")] = "unctad",
    top: Annotated[int, typer.Option(help="Partners to show per domain.")] = 5,
    groups: Annotated[Path | None, typer.Option(help="CSV of your own country groups (group, iso3).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder to write every table as CSV (or --format parquet).")] = None,
    format_: Annotated[str, typer.Option("--format", help="csv or parquet, with --out.")] = "csv",
) -> None:
    """Exports, imports, balance, world share, RCA, partners and dependence of one country."""
    from cultrade.trade.groups import load_groups
    from cultrade.trade.profile import trade_profile

    with open_store() as store:
        profile = trade_profile(store, country, year=year, domain=domain, scheme=scheme, top_n=top,
                                groups=load_groups(groups) if groups else None)
    title = f"{profile.iso3} {profile.year} ({profile.scheme}, source: {profile.source})"
    print_frame(profile.summary.drop(columns=["iso3"], errors="ignore"), title=title)
    if profile.partners is not None:
        print_frame(profile.partners.drop(columns=["iso3", "year"]), title="Top partners (exports)")
    if profile.concentration is not None:
        print_frame(profile.concentration.drop(columns=["iso3", "year"]),
                    title="Concentration: HHI, top-3 share, HHI trend per year")
    if profile.regions is not None:
        print_frame(profile.regions.drop(columns=["iso3", "year"]), title="Exports by partner group (share, growth)")
    if profile.digital is not None:
        print_frame(profile.digital, title="Digital versus traditional goods")
    if profile.partial_headings is not None and not profile.partial_headings.empty:
        print_frame(profile.partial_headings, title="Partly cultural HS4 headings (counted at their share)")
    if profile.services is not None and not profile.services.empty:
        print_frame(profile.services, title="Cultural and related services exports")
    if profile.reported is not None:
        print_frame(profile.reported.drop(columns=["audit_note"]), title="Digital exports as reported (not customs data)")
    for note in profile.notes:
        console.print(f"note: {note}")
    if out is not None:
        if format_ not in ("csv", "parquet"):
            raise typer.BadParameter("use csv or parquet", param_hint="--format")
        for name, frame in profile.frames().items():
            export_frame(frame, out / f"{profile.iso3}_{profile.year}_{name}.{format_}")
        console.print(f"wrote {len(profile.frames())} tables to {out}")


@trade_app.command("reconcile")
@handle_errors
def reconcile_cmd(
    out: Annotated[Path | None, typer.Option(help="Write the reconciliation page (Markdown), e.g. "
                                                  "docs/trade_reconciliation.md.")] = None,
) -> None:
    """Compare computed creative-goods exports with UNCTAD's published totals (tolerance and reasons stated)."""
    from cultrade.trade.reconcile import GAP_REASONS, reconcile_unctad, render_markdown

    with open_store() as store:
        table = reconcile_unctad(store)
    print_frame(table.drop(columns=["source", "share_basis"]), title="Creative goods: computed vs UNCTAD (USD bn)")
    for i, reason in enumerate(GAP_REASONS, start=1):
        console.print(f"{i}. {reason}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_markdown(table), encoding="utf-8")
        console.print(f"wrote {out}")
    if not table["reconciles"].all():
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("classify")(handle_errors(classify_cmd))
    app.command("domain")(handle_errors(domain_cmd))
    app.command("audit")(handle_errors(audit_cmd))
    app.add_typer(trade_app, name="trade")
