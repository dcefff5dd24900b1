"""Message catalogues and templates: every key in both languages, no hard-coded text in templates."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from cultrade.errors import ConfigError
from cultrade.web.i18n import LANGUAGES, Translator, catalogue, check_language, negotiate

WEB = Path(str(resources.files("cultrade.web")))
REPORT = Path(str(resources.files("cultrade.report")))
TEMPLATES = [*WEB.joinpath("templates").glob("*.html"), *REPORT.joinpath("templates").glob("*.html")]
KEY = re.compile(r"""(?:\b_|\bt)\(\s*["']([a-z_]+\.[^"'{}]+)["']""")
JS_KEY = re.compile(r"""\bt\("(js\.[a-z_]+)\"""")


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    en, zh = catalogue("en"), catalogue("zh-CN")
    assert set(en) == set(zh)
    for key, text in en.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", zh[key])), key
        assert zh[key].strip(), key


def test_every_key_used_exists() -> None:
    sources = [*TEMPLATES, *WEB.glob("*.py"), *REPORT.glob("*.py")]
    used = {k for p in sources for k in KEY.findall(p.read_text(encoding="utf-8"))}
    used |= set(JS_KEY.findall(WEB.joinpath("static", "app.js").read_text(encoding="utf-8")))
    assert len(used) > 100
    missing = sorted(k for k in used if k not in catalogue("en"))
    assert not missing, missing


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_hold_no_hard_coded_text(path: Path) -> None:
    """Outside Jinja expressions, tags, scripts and styles, a template holds no letters (all text is _())."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    words = re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", text)
    assert not words, words


def test_formats_by_language() -> None:
    en, zh = Translator("en"), Translator("zh")
    assert en.money(2.529e8) == "$252.9M" and zh.money(2.529e8) == "US$2.5亿"
    assert en.percent(0.2255) == "22.6%" and zh.percent(0.2255) == "22.6%"
    assert en.decimal(-1e-12, 3) == "0.000"
    assert zh.country("ZAF") == "南非" and en.country("ZAF") == "South Africa" and en.country("XXX") == "XXX"
    assert zh("missing.key.here") == "missing.key.here"
    assert set(LANGUAGES) == {"en", "zh-CN"}


def test_language_negotiation() -> None:
    assert negotiate("zh", None, None) == "zh-CN"
    assert negotiate("klingon", "zh-CN", None) == "zh-CN"
    assert negotiate(None, None, "fr-FR,zh-TW;q=0.8") == "zh-CN"
    assert negotiate(None, None, "fr-FR") == "en"
    with pytest.raises(ConfigError, match="unsupported language"):
        check_language("fr")
