"""Reports for cultural enterprises going abroad: a country risk brief and a cultural-trade profile, in HTML or PDF.

The pipeline: the same data builders and ECharts options as the dashboard
(:mod:`cultrade.web.risk_data`, :mod:`cultrade.web.trade_data`,
:mod:`cultrade.web.charts`) fill a Jinja2 template in English or Simplified
Chinese. The HTML is self-contained: CSS, Apache ECharts and the page script are
inlined, so the file opens offline in any browser. Charts use the SVG renderer.
For PDF, headless Chromium (Debian's ``/usr/bin/chromium`` through Playwright)
loads that HTML, waits until every chart has signalled ``finished``
(``window.__chartsReady``), then prints with ``page.pdf``: the charts stay vector
graphics and Chinese text uses the Noto CJK fonts (``fonts-noto-cjk``).
Without Chromium, HTML still works and PDF raises a
:class:`~cultrade.report.browser.BrowserMissingError` saying how to install it.

>>> check_format("PDF"), check_format("html")
('pdf', 'html')
>>> check_format("docx")
Traceback (most recent call last):
...
cultrade.errors.ConfigError: unknown report format 'docx'. Fix: use html or pdf
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from cultrade import __version__
from cultrade.errors import ConfigError
from cultrade.report.browser import BrowserMissingError, chromium_path, open_browser, require_chromium
from cultrade.store import Store
from cultrade.web import static_dir
from cultrade.web.i18n import Translator

FORMATS = ("html", "pdf")
CHART_TIMEOUT_MS = 30_000

_env = Environment(loader=PackageLoader("cultrade.report", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def check_format(fmt: str) -> str:
    value = fmt.strip().lower()
    if value not in FORMATS:
        raise ConfigError(f"unknown report format {fmt!r}", hint="use html or pdf")
    return value


def _asset(*parts: str) -> str:
    node: Any = static_dir()
    for p in parts:
        node = node.joinpath(p)
    return str(node.read_text(encoding="utf-8"))


def _render(template: str, t: Translator, title: str, charts: dict[str, Any], **ctx: Any) -> str:
    page = {"lang": t.lang, "messages": t.js_messages(), "charts": charts, "renderer": "svg"}
    return _env.get_template(template).render(
        _=t, t=t, html_lang=t.html_lang, title=title, page_json=page,
        generated=t("report.generated", date=t.date(date.today()), version=__version__),
        css=_env.get_template("report.css").render(), echarts=_asset("vendor", "echarts.min.js"),
        app_js=_asset("app.js"), **ctx)


def country_report(store: Store, iso3: str, *, home: str = "CHN", domain: str = "general", lang: str = "en",
                   year: int | None = None) -> str:
    """The country risk brief of ``iso3`` as self-contained HTML."""
    from cultrade.countries import get_countries
    from cultrade.errors import CultradeError
    from cultrade.web import markets_data, monitor_data, risk_data, trade_data

    t = Translator(lang)
    code = get_countries().to_iso3(iso3, "iso3")
    home = get_countries().to_iso3(home, "iso3")
    c = risk_data.country_context(store, t, code, home, domain, year)
    domain_label = next((d["label"] for d in risk_data.domain_options(t) if d["id"] == domain), domain)
    signals = monitor_data.signal_context(store, t, code)
    alerts = [a for a in monitor_data.alert_rows(store, t, country=code) if a["state"] != "inactive"]
    trade = trade_data.country_trade_summary(store, t, code)
    try:  # the market's place in the opportunity ranking of this home and product type
        market = markets_data.market_brief(store, t, code, home, domain) if code != home else None
    except CultradeError:
        market = None
    charts = {k: c["charts"][k] for k in ("dimensions", "contributions", "history")}
    if trade:
        charts["trade"] = trade["chart"]
    drivers = sorted((r for r in c["indicators"] if r["contribution"] is not None),
                     key=lambda r: -r["contribution"])[:8]
    return _render("country.html", t, t("report.country_title", country=c["name"]), charts, c=c,
                   home=t.country(home), domain=domain_label, signals=signals, alerts=alerts, trade=trade,
                   drivers=drivers, market=market)


def trade_report(store: Store, iso3: str, *, year: int | None = None, lang: str = "en",
                 domain: str | None = None) -> str:
    """The cultural-trade profile of ``iso3`` as self-contained HTML."""
    from cultrade.countries import get_countries
    from cultrade.web import trade_data

    t = Translator(lang)
    code = get_countries().to_iso3(iso3, "iso3")
    tr = trade_data.trade_context(store, t, code, year, domain)
    return _render("trade.html", t, t("report.trade_title", country=tr["name"]), tr["charts"], tr=tr)


def html_to_pdf(html: str, out: str | Path, *, timeout_ms: int = CHART_TIMEOUT_MS) -> Path:
    """Print ``html`` to a PDF at ``out`` with headless Chromium, once its charts have rendered."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_browser() as b:
        page = b.new_page(viewport={"width": 794, "height": 1123})
        page.set_content(html, wait_until="load")
        page.wait_for_function("window.__chartsReady === true", timeout=timeout_ms)
        page.emulate_media(media="print")
        page.pdf(path=str(path), format="A4", print_background=True, prefer_css_page_size=True,
                 margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center;color:#777">'
                                 '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    return path


def write_report(html: str, out: str | Path, fmt: str = "html") -> Path:
    """Write the report as HTML, or print it to PDF (needs Chromium: see :func:`html_to_pdf`)."""
    fmt = check_format(fmt)
    path = Path(out)
    if fmt == "pdf":
        return html_to_pdf(html, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["FORMATS", "BrowserMissingError", "check_format", "chromium_path", "country_report", "html_to_pdf",
           "require_chromium", "trade_report", "write_report"]
