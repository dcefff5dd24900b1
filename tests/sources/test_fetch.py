"""Online fetching, tested only against httpx.MockTransport: retries, cache, typed errors, parsers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cultrade.errors import LocalFetchError, UpstreamError
from cultrade.settings import Settings
from cultrade.sources import get_adapter
from cultrade.sources.fetch import (
    Fetcher,
    GdeltFile,
    comtrade_preview,
    download_gdelt_file,
    gdelt_file_list,
    load_worldbank_indicator,
    parse_file_list,
    worldbank_indicator,
)
from cultrade.store import Store

Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """A fake remote: answers from a handler and records every request and every sleep."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.handler: Handler = lambda request: httpx.Response(404)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def fetcher(self, **kwargs: Any) -> Fetcher:
        return Fetcher(self.settings, transport=httpx.MockTransport(self._handle), sleep=self.sleeps.append, **kwargs)


@pytest.fixture
def server(settings: Settings) -> Server:
    return Server(settings)


@pytest.fixture
def fetcher(server: Server) -> Iterator[Fetcher]:
    with server.fetcher() as f:
        yield f


def _wb_row(iso3: str, year: int, value: float | None, code: str = "NY.GDP.MKTP.CD") -> dict[str, Any]:
    return {"indicator": {"id": code, "value": "GDP"}, "country": {"id": iso3[:2], "value": iso3},
            "countryiso3code": iso3, "date": str(year), "value": value, "unit": "", "obs_status": "", "decimal": 0}


WB_PAGES = {
    1: [{"page": 1, "pages": 2, "per_page": 3, "total": 5, "lastupdated": "2025-07-01"},
        [_wb_row("WLD", 2023, 1e14), _wb_row("NOR", 2023, 4.8e11), _wb_row("NOR", 2022, 5.9e11)]],
    2: [{"page": 2, "pages": 2, "per_page": 3, "total": 5, "lastupdated": "2025-07-01"},
        [_wb_row("XKX", 2023, 1.0e10), _wb_row("EUU", 2023, 1.8e13)]],
}


def _wb_handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=WB_PAGES[int(request.url.params["page"])])


def test_world_bank_pages_are_followed_and_aggregates_dropped(server: Server, fetcher: Fetcher) -> None:
    server.handler = _wb_handler
    frame = worldbank_indicator("NY.GDP.MKTP.CD", per_page=3, fetcher=fetcher)
    assert [r.url.params["page"] for r in server.requests] == ["1", "2"]
    assert server.requests[0].url.path == "/v2/country/all/indicator/NY.GDP.MKTP.CD"
    assert frame.to_dict("records") == [
        {"iso3": "NOR", "year": 2022, "indicator": "NY.GDP.MKTP.CD", "value": 5.9e11},
        {"iso3": "NOR", "year": 2023, "indicator": "NY.GDP.MKTP.CD", "value": 4.8e11},
        {"iso3": "XKX", "year": 2023, "indicator": "NY.GDP.MKTP.CD", "value": 1.0e10},
    ]


def test_a_fetched_indicator_lands_in_the_store_with_fetch_provenance(server: Server, fetcher: Fetcher,
                                                                      store: Store) -> None:
    server.handler = _wb_handler
    result = load_worldbank_indicator(store, "NY.GDP.MKTP.CD", fetcher=fetcher)
    assert result.rows == {"obs_wb_api": 3}
    entry = store.catalog_entry("wb_api", "NY.GDP.MKTP.CD")
    assert entry is not None and entry["origin"] == "fetch" and entry["path"].startswith("https://api.worldbank")
    value = store.con.execute("SELECT value FROM indicators WHERE source='wb_api' AND iso3='NOR' AND year=2023")
    assert value.fetchone() == (4.8e11,)


def test_a_world_bank_error_message_is_an_upstream_error(server: Server, fetcher: Fetcher) -> None:
    server.handler = lambda r: httpx.Response(200, json=[{"message": [
        {"id": "120", "key": "Invalid value", "value": "The provided parameter value is not valid"}]}])
    for _ in range(2):  # an error answer is never served from the cache
        with pytest.raises(UpstreamError, match="Invalid value: The provided parameter value is not valid") as err:
            worldbank_indicator("NOT.A.CODE", fetcher=fetcher)
    assert "https://api.worldbank.org/v2/country/all/indicator/NOT.A.CODE" in str(err.value) and err.value.hint
    assert len(server.requests) == 2


def test_retries_after_server_errors_then_succeeds_with_exponential_backoff(server: Server,
                                                                             fetcher: Fetcher) -> None:
    answers = iter([httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok")])
    server.handler = lambda r: next(answers)
    assert fetcher.get("https://example.org/data") == b"ok"
    assert len(server.requests) == 3 and server.sleeps == [0.5, 1.0]


def test_connect_errors_and_timeouts_are_retried(server: Server, fetcher: Fetcher) -> None:
    failures: list[Exception] = [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]

    def flaky(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop(0)
        return httpx.Response(200, text="ok")

    server.handler = flaky
    assert fetcher.get("https://example.org/data") == b"ok" and len(server.requests) == 3


def test_retries_exhausted_give_an_upstream_error_naming_the_url(server: Server, fetcher: Fetcher) -> None:
    server.handler = lambda r: httpx.Response(500)
    with pytest.raises(UpstreamError, match="HTTP 500, still failing after 5 attempts") as err:
        fetcher.get("https://example.org/down")
    assert "https://example.org/down" in str(err.value) and "CULTRADE_HTTP_RETRIES" in str(err.value)
    assert len(server.requests) == server.settings.http_retries + 1
    assert not fetcher.cache_path("https://example.org/down").exists()


def test_retry_after_is_honoured(server: Server, fetcher: Fetcher) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok")])
    server.handler = lambda r: next(answers)
    assert fetcher.get("https://example.org/limited") == b"ok"
    assert server.sleeps == [7.0]


def test_not_found_and_bad_request_are_not_retried(server: Server, fetcher: Fetcher) -> None:
    server.handler = lambda r: httpx.Response(404)
    with pytest.raises(UpstreamError, match="HTTP 404") as err:
        fetcher.get("https://example.org/missing")
    assert "does not exist upstream" in str(err.value)
    server.handler = lambda r: httpx.Response(400, text="reporterCode is invalid")
    with pytest.raises(LocalFetchError, match="reporterCode is invalid"):
        fetcher.get("https://example.org/bad")
    assert len(server.requests) == 2 and server.sleeps == []


def test_malformed_json_is_an_upstream_error_and_is_not_cached(server: Server, fetcher: Fetcher) -> None:
    server.handler = lambda r: httpx.Response(200, text="<html>maintenance</html>")
    for _ in range(2):
        with pytest.raises(UpstreamError, match="not JSON"):
            fetcher.get_json("https://example.org/api")
    assert len(server.requests) == 2


def test_a_cache_hit_avoids_the_second_request_until_the_ttl_expires(server: Server) -> None:
    server.handler = lambda r: httpx.Response(200, json={"n": len(server.requests)})
    with server.fetcher(ttl=3600) as f:
        assert f.get_json("https://example.org/api", {"b": 2, "a": 1}) == {"n": 1}
        assert f.get_json("https://example.org/api", {"a": 1, "b": 2}) == {"n": 1}  # same URL, any order
        assert len(server.requests) == 1
        cached = f.cache_path("https://example.org/api?a=1&b=2")
        assert cached.exists() and not list(cached.parent.glob("*.tmp"))
        old = time.time() - 7200
        os.utime(cached, (old, old))
        assert f.get_json("https://example.org/api", {"a": 1, "b": 2}) == {"n": 2}


def test_an_unwritable_cache_is_a_local_error(server: Server, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    server.settings = Settings(home=tmp_path / "home", cache_dir=blocker)
    server.handler = lambda r: httpx.Response(200, text="ok")
    with server.fetcher() as f, pytest.raises(LocalFetchError, match="cannot write the HTTP cache") as err:
        f.get("https://example.org/data")
    assert "CULTRADE_CACHE_DIR" in str(err.value)


def test_bad_arguments_fail_before_any_request(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(LocalFetchError, match="invalid World Bank indicator code"):
        worldbank_indicator("GDP; DROP", fetcher=fetcher)
    with pytest.raises(LocalFetchError, match="invalid flow"):
        comtrade_preview(reporter=156, period=2022, flow="Z", fetcher=fetcher)
    with pytest.raises(LocalFetchError, match="invalid period"):
        comtrade_preview(reporter=156, period="22", fetcher=fetcher)
    with pytest.raises(LocalFetchError, match="the range is empty"):
        gdelt_file_list(start=datetime(2025, 2, 1), end=datetime(2025, 1, 1), fetcher=fetcher)
    assert server.requests == []


def _list_line(stamp: str, kind: str, body: bytes = b"x") -> str:
    return f"{len(body)} {hashlib.md5(body).hexdigest()} http://data.gdeltproject.org/gdeltv2/{stamp}.{kind}"


def test_the_gdelt_master_list_is_parsed_and_filtered_by_date(server: Server, fetcher: Fetcher) -> None:
    lines = [_list_line("20250515194500", "export.CSV.zip"), _list_line("20250515194500", "mentions.CSV.zip"),
             _list_line("20250515200000", "export.CSV.zip"), " http://data.gdeltproject.org/gdeltv2/broken",
             _list_line("20250515201500", "gkg.csv.zip"), _list_line("20250515201500", "export.CSV.zip")]
    server.handler = lambda r: httpx.Response(200, text="\n".join(lines))
    found = gdelt_file_list(start=datetime(2025, 5, 15, 19, 45), end=datetime(2025, 5, 15, 20, 15),
                            master=True, fetcher=fetcher)
    assert [(e.name, e.kind) for e in found] == [("20250515194500.export.CSV.zip", "export"),
                                                 ("20250515200000.export.CSV.zip", "export")]
    assert server.requests[0].url == "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt"
    with pytest.raises(UpstreamError, match="no 'size md5 url' lines"):
        parse_file_list("<html>busy</html>", "http://data.gdeltproject.org/gdeltv2/lastupdate.txt")


def test_a_gdelt_slice_with_the_wrong_md5_is_refused_and_not_written(server: Server, fetcher: Fetcher,
                                                                     tmp_path: Path) -> None:
    entry = GdeltFile(5, hashlib.md5(b"right").hexdigest(), "http://data.gdeltproject.org/gdeltv2/"
                      "20250515194500.export.CSV.zip")
    server.handler = lambda r: httpx.Response(200, content=b"wrong")
    with pytest.raises(UpstreamError, match="differs from the list") as err:
        download_gdelt_file(entry, tmp_path, fetcher=fetcher)
    assert entry.url in str(err.value) and list(tmp_path.iterdir()) == []


def test_a_downloaded_slice_is_verified_reused_and_loads(shared: Path, server: Server, fetcher: Fetcher,
                                                         tmp_path: Path, store: Store) -> None:
    raw = gzip.decompress((shared / "events/gdelt_v2_2025/export/20250515194500.export.CSV.gz").read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("20250515194500.export.CSV", raw)
    body = buffer.getvalue()
    server.handler = lambda r: (httpx.Response(200, text=_list_line("20250515194500", "export.CSV.zip", body))
                                if r.url.path.endswith("lastupdate.txt") else httpx.Response(200, content=body))
    [entry] = gdelt_file_list(fetcher=fetcher)
    path = download_gdelt_file(entry, tmp_path, fetcher=fetcher)
    assert download_gdelt_file(entry, tmp_path, fetcher=fetcher) == path and len(server.requests) == 2
    assert store.ingest(get_adapter("gdelt"), path).rows == {"gdelt_events": 38}  # 38 rows in MANIFEST.tsv


COMTRADE = {"elapsedTime": "0.1 secs", "count": 3, "error": "", "data": [
    {"reporterCode": 156, "partnerCode": 0, "refYear": 2022, "period": "2022", "flowCode": "X",
     "cmdCode": "TOTAL", "primaryValue": 3.59e12, "netWgt": None},
    {"reporterCode": 156, "partnerCode": 842, "refYear": 2022, "period": "2022", "flowCode": "X",
     "cmdCode": "TOTAL", "primaryValue": 5.82e11, "netWgt": 1.0e9},
    {"reporterCode": 156, "partnerCode": 490, "refYear": 2022, "period": "2022", "flowCode": "X",
     "cmdCode": "TOTAL", "primaryValue": 8.1e10, "netWgt": None},
]}


def test_comtrade_preview_maps_codes_to_iso3(server: Server, fetcher: Fetcher) -> None:
    server.handler = lambda r: httpx.Response(200, json=COMTRADE)
    frame = comtrade_preview(reporter=156, period=2022, partner=[0, 842, 490], fetcher=fetcher)
    params = server.requests[0].url.params
    assert (params["reporterCode"], params["partnerCode"], params["flowCode"]) == ("156", "0,842,490", "X")
    assert frame["reporter_iso3"].tolist() == ["CHN"] * 3
    # 0 is the world (no ISO3); Comtrade's 842 is the USA and 490 "Other Asia, nes" is Taiwan.
    assert frame["partner_iso3"].tolist()[1:] == ["USA", "TWN"] and frame["partner_iso3"].isna().iloc[0]
    assert frame["value_usd"].sum() == pytest.approx(3.59e12 + 5.82e11 + 8.1e10)


def test_comtrade_errors_and_malformed_records_are_upstream_errors(server: Server, fetcher: Fetcher) -> None:
    server.handler = lambda r: httpx.Response(200, json={"data": [], "error": "Too many requests today"})
    with pytest.raises(UpstreamError, match="Too many requests today"):
        comtrade_preview(reporter=156, period=2022, fetcher=fetcher)
    server.handler = lambda r: httpx.Response(200, content=json.dumps({"data": [{"reporterCode": 156}]}).encode())
    with pytest.raises(UpstreamError, match="lacks or garbles a field") as err:
        comtrade_preview(reporter=156, period=2022, fetcher=fetcher)
    assert len(server.requests) == 2
    assert "comtradeapi.un.org/public/v1/preview/C/A/HS" in str(err.value)
