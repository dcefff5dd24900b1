"""Online fetching where a public API exists: World Bank API v2, GDELT 2.0 file lists, UN Comtrade.

One :class:`Fetcher` holds one ``httpx.Client`` (its transport is injectable, so
tests never touch the network), retries connect errors, timeouts, 429 and 5xx
with exponential backoff (honouring ``Retry-After``), and keeps an on-disk
cache under ``settings.cache_dir/http`` keyed by the URL's sha256, written
atomically (temporary file + rename) and expiring after ``ttl`` seconds.

Errors: :class:`UpstreamError` when the remote side fails or answers something
unusable (5xx after the retries, malformed JSON, a World Bank error message,
an md5 mismatch); :class:`LocalFetchError` for local problems (bad arguments,
an unwritable cache, HTTP 400 for a request we built wrongly). Each names the URL.

>>> import httpx
>>> from cultrade.settings import Settings
>>> line = "5 " + "0" * 32 + " http://data.gdeltproject.org/gdeltv2/20250101000000.export.CSV.zip"
>>> mock = httpx.MockTransport(lambda request: httpx.Response(200, text=line))
>>> with Fetcher(Settings(home="/tmp/ct-doc-fetch"), transport=mock, ttl=0) as f:
...     [(e.kind, e.timestamp.isoformat()) for e in gdelt_file_list(fetcher=f)]
[('export', '2025-01-01T00:00:00')]
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import tenacity

from cultrade.countries import get_countries
from cultrade.errors import LocalFetchError, UnknownCountryError, UpstreamError
from cultrade.settings import Settings, get_settings

WORLD_BANK = "https://api.worldbank.org/v2"
GDELT_V2 = "http://data.gdeltproject.org/gdeltv2"
COMTRADE_PREVIEW = "https://comtradeapi.un.org/public/v1/preview"
DEFAULT_TTL = 86_400.0
MAX_RETRY_AFTER = 300.0  # a server asking for longer is treated as down
Check = Callable[[bytes], Any]


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    """HTTP GET with retries and an on-disk cache; use as a context manager."""

    def __init__(self, settings: Settings | None = None, *, transport: httpx.BaseTransport | None = None,
                 ttl: float | None = DEFAULT_TTL, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings or get_settings()
        self.ttl = ttl  # None: cached answers never expire; 0: do not read the cache
        self.sleep = sleep
        self.requests = 0
        assert self.settings.cache_dir is not None
        self.cache_dir = Path(self.settings.cache_dir) / "http"
        self.client = httpx.Client(transport=transport, timeout=self.settings.http_timeout, follow_redirects=True,
                                   headers={"User-Agent": "cultrade (+https://github.com/cultrade)"})

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    # -- cache ------------------------------------------------------------------------
    def cache_path(self, url: str) -> Path:
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()}.bin"

    def _cached(self, url: str, ttl: float | None) -> bytes | None:
        path = self.cache_path(url)
        if ttl == 0 or not path.exists():
            return None
        if ttl is not None and time.time() - path.stat().st_mtime >= ttl:
            return None
        return path.read_bytes()

    def _store(self, url: str, body: bytes) -> None:
        target = self.cache_path(url)
        try:
            write_atomic(target, body)
        except OSError as exc:
            raise LocalFetchError(f"cannot write the HTTP cache for {url} ({exc})", path=self.cache_dir,
                                  hint="set CULTRADE_CACHE_DIR to a writable folder") from exc

    # -- requests ---------------------------------------------------------------------
    def get(self, url: str, params: dict[str, Any] | None = None, *, ttl: float | bool | None = True,
            check: Check | None = None, cache: bool = True) -> bytes:
        """The body of a 200 answer; ``check`` validates it before it is cached."""
        full = str(httpx.URL(url, params=sorted((params or {}).items())))
        use_ttl = self.ttl if ttl is True else (None if ttl is False else ttl)
        if cache and (body := self._cached(full, use_ttl)) is not None:
            return body
        body = self._request(full)
        if check is not None:
            check(body)
        if cache:
            self._store(full, body)
        return body

    def get_json(self, url: str, params: dict[str, Any] | None = None, *,
                 validate: Callable[[Any], object] | None = None, **kwargs: Any) -> Any:
        """Parsed JSON; ``validate`` raises on an error payload, which is then not cached."""

        def parse(body: bytes) -> Any:
            try:
                payload = json.loads(body)
            except ValueError as exc:
                raise UpstreamError(f"the answer is not JSON ({exc}): {body[:80]!r}", path=url,
                                    hint="the service may be failing; try again later") from exc
            if validate is not None:
                validate(payload)
            return payload

        return parse(self.get(url, params, check=parse, **kwargs))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return float(self.settings.http_backoff * 2 ** (state.attempt_number - 1))

    def _request(self, url: str) -> bytes:
        retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(self.settings.http_retries + 1),
                                     wait=self._wait, retry=tenacity.retry_if_exception_type(_Retryable),
                                     sleep=self.sleep, reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(url)
        except _Retryable as exc:
            raise UpstreamError(f"{exc.reason}, still failing after {self.settings.http_retries + 1} attempts",
                                path=url, hint="the service is down or rate-limiting; try again later, or raise "
                                "CULTRADE_HTTP_RETRIES / CULTRADE_HTTP_TIMEOUT") from exc
        raise AssertionError("unreachable")  # pragma: no cover - tenacity either returns or raises

    def _once(self, url: str) -> bytes:
        self.requests += 1
        try:
            response = self.client.get(url)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(f"cannot connect ({exc})") from exc
        except httpx.UnsupportedProtocol as exc:
            raise LocalFetchError(f"not a fetchable URL ({exc})", path=url, hint="use an http(s) URL") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after(response.headers.get("Retry-After")))
        if status == 400:
            raise LocalFetchError(f"the service refused the request (HTTP 400: {response.text[:200]})", path=url,
                                  hint="check the arguments (codes, periods, flows) against the API documentation")
        if status >= 400:
            hint = "check the code or URL; it does not exist upstream" if status == 404 else "check access to the API"
            raise UpstreamError(f"HTTP {status}", path=url, hint=hint)
        return response.content


def write_atomic(target: Path, body: bytes) -> None:
    """Write ``body`` to ``target`` through a temporary file and a rename, so readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fetcher(fetcher: Fetcher | None) -> Fetcher:
    return fetcher if fetcher is not None else Fetcher()


# -- World Bank API v2 -------------------------------------------------------------------------
def worldbank_indicator(code: str, *, date: str | None = None, per_page: int = 1000,
                        fetcher: Fetcher | None = None) -> pd.DataFrame:
    """An indicator for every economy as iso3/year/indicator/value; aggregates (WLD, EUU...) dropped."""
    if not re.fullmatch(r"[A-Za-z0-9._]+", code or ""):
        raise LocalFetchError(f"invalid World Bank indicator code {code!r}", hint="use a code like NY.GDP.MKTP.CD")
    if date is not None and not re.fullmatch(r"\d{4}(:\d{4})?", date):
        raise LocalFetchError(f"invalid date {date!r}", hint="use a year like 2020 or a range like 2000:2023")
    f = _fetcher(fetcher)
    url = f"{WORLD_BANK}/country/all/indicator/{code}"
    rows: list[dict[str, Any]] = []
    page, pages, total = 1, 1, 0
    while page <= pages:
        params: dict[str, Any] = {"format": "json", "per_page": per_page, "page": page}
        if date:
            params["date"] = date
        payload = f.get_json(url, params, validate=lambda p: _worldbank_page(p, url))
        meta, data = _worldbank_page(payload, url)
        pages, total = int(meta.get("pages") or 0), int(meta.get("total") or 0)
        rows.extend(data)
        page += 1
    if len(rows) != total:
        raise UpstreamError(f"the pages hold {len(rows)} rows but the API announced {total}", path=url,
                            hint="the data changed while paging; fetch again")
    return _worldbank_frame(rows, code, url)


def _worldbank_page(payload: Any, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if isinstance(payload, list) and payload and isinstance(payload[0], dict) and "message" in payload[0]:
        messages = "; ".join(f"{m.get('key', '')}: {m.get('value', '')}" for m in payload[0]["message"])
        raise UpstreamError(f"the World Bank API answered an error: {messages}", path=url,
                            hint="check the indicator code at https://data.worldbank.org/indicator")
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)
            and isinstance(payload[1], list | None)):
        raise UpstreamError("the answer is not a World Bank [metadata, rows] pair", path=url,
                            hint="the API may have changed or failed; try again later")
    return payload[0], payload[1] or []


def _worldbank_frame(rows: list[dict[str, Any]], code: str, url: str) -> pd.DataFrame:
    countries = get_countries()
    records = []
    for row in rows:
        if not isinstance(row, dict):
            raise UpstreamError(f"a row is not an object: {str(row)[:80]}", path=url, hint="try again later")
        iso = str(row.get("countryiso3code") or "")
        value, date = row.get("value"), str(row.get("date", ""))
        if not iso or countries.is_aggregate(iso, "wb") or value is None:
            continue
        if not date.isdigit():
            raise UpstreamError(f"period {date!r} is not a year", path=url,
                                hint="only annual World Bank indicators are supported")
        iso3 = countries.try_iso3(iso, "wb")
        if iso3 is None:
            raise UnknownCountryError(iso, scheme="wb", suggestions=countries.suggest(iso, "wb"), path=url)
        records.append((iso3, int(date), code, float(value)))
    df = pd.DataFrame(records, columns=["iso3", "year", "indicator", "value"])
    df = df.astype({"iso3": "string", "year": "int32", "indicator": "string", "value": "float64"})
    if df.duplicated(["iso3", "year"]).any():
        raise UpstreamError("the API returned a country-year twice", path=url, hint="fetch again")
    return df.sort_values(["iso3", "year"]).reset_index(drop=True)


def load_worldbank_indicator(store: Any, code: str, *, date: str | None = None,
                             fetcher: Fetcher | None = None) -> Any:
    """Fetch an indicator and load it into ``obs_wb_api`` (partition = the code, origin ``fetch``)."""
    from cultrade.store import Provenance

    frame = worldbank_indicator(code, date=date, fetcher=fetcher)
    prov = Provenance(source="wb_api", partition=code, path=f"{WORLD_BANK}/country/all/indicator/{code}",
                      licence="CC BY 4.0", publisher="World Bank", origin="fetch",
                      vintage=datetime.now().strftime("fetched %Y-%m-%d"))
    return store.write_frames("wb_api", {"obs_wb_api": frame}, provenance=prov)


# -- GDELT 2.0 file lists ----------------------------------------------------------------------
@dataclass(frozen=True)
class GdeltFile:
    """One line of lastupdate.txt / masterfilelist.txt."""

    size: int
    md5: str
    url: str

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def timestamp(self) -> datetime:
        return datetime.strptime(self.name[:14], "%Y%m%d%H%M%S")

    @property
    def kind(self) -> str:
        """export, mentions or gkg."""
        return self.name[15:].split(".")[0].lower()


_LIST_LINE = re.compile(r"^(\d+) ([0-9a-f]{32}) (\S+/\d{14}\.[\w.]+)$")


def parse_file_list(text: str, url: str = "") -> list[GdeltFile]:
    """Parse 'size md5 url' lines; the master list has a few broken lines upstream, which are skipped."""
    entries = [GdeltFile(int(m.group(1)), m.group(2), m.group(3))
               for line in text.splitlines() if (m := _LIST_LINE.match(line.strip()))]
    if text.strip() and not entries:
        raise UpstreamError("no 'size md5 url' lines in the GDELT file list", path=url or None,
                            hint="GDELT may be failing; try again later")
    return entries


def gdelt_file_list(*, start: datetime | None = None, end: datetime | None = None, kind: str = "export",
                    master: bool = False, fetcher: Fetcher | None = None) -> list[GdeltFile]:
    """GDELT 2.0 slices of ``kind`` with start <= timestamp < end, from lastupdate.txt or the master list."""
    if start and end and end <= start:
        raise LocalFetchError(f"the range is empty: {start} to {end}", hint="pass end after start")
    f = _fetcher(fetcher)
    url = f"{GDELT_V2}/{'masterfilelist' if master else 'lastupdate'}.txt"
    # lastupdate changes every 15 minutes; the master list grows, a day's staleness is fine.
    body = f.get(url, ttl=DEFAULT_TTL if master else 600.0, check=lambda b: parse_file_list(b.decode(), url))
    return [e for e in parse_file_list(body.decode(), url) if e.kind == kind.lower()
            and (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)]


def download_gdelt_file(entry: GdeltFile, dest: str | Path, *, fetcher: Fetcher | None = None) -> Path:
    """Download one slice into ``dest`` (skipped when a copy with the right md5 is there); md5 checked."""
    target = Path(dest) / entry.name
    if target.exists() and hashlib.md5(target.read_bytes()).hexdigest() == entry.md5:
        return target

    def verify(body: bytes) -> None:
        digest = hashlib.md5(body).hexdigest()
        if digest != entry.md5 or len(body) != entry.size:
            raise UpstreamError(f"md5 {digest} ({len(body)} bytes) differs from the list's {entry.md5} "
                                f"({entry.size} bytes)", path=entry.url,
                                hint="the download is corrupt or GDELT replaced the file; fetch the list and retry")

    body = _fetcher(fetcher).get(entry.url, check=verify, cache=False)
    try:
        write_atomic(target, body)
    except OSError as exc:
        raise LocalFetchError(f"cannot write {target} ({exc})", path=entry.url,
                              hint="pass a writable destination folder") from exc
    return target


# -- UN Comtrade public preview ----------------------------------------------------------------
FLOWS = {"X", "M", "RX", "RM", "DX", "FM"}


def _codes(value: int | str | Sequence[int | str], what: str) -> str:
    items = [str(v).strip() for v in ([value] if isinstance(value, int | str) else value)]
    text = ",".join(items)
    if not items or not all(re.fullmatch(r"\d{1,4}|[A-Z]+", i) for i in items):
        raise LocalFetchError(f"invalid {what} {text!r}", hint=f"pass numeric M49 codes (or TOTAL for {what})")
    return text


def m49_to_iso3(code: object) -> str | None:
    """ISO3 for a Comtrade code: M49, else Comtrade's own (842 USA, 251 FRA, 490 TWN); None for World and areas."""
    countries = get_countries()
    text = str(code).strip()
    if text in ("", "0"):
        return None
    return countries.try_iso3(text, "m49") or countries.try_iso3(text, "baci")


def comtrade_preview(*, reporter: int | str | Sequence[int | str], period: int | str,
                     partner: int | str | Sequence[int | str] = 0, cmd: str = "TOTAL", flow: str = "X",
                     freq: str = "A", classification: str = "HS", fetcher: Fetcher | None = None) -> pd.DataFrame:
    """Goods trade from the keyless preview API (at most 500 rows a call), values in current USD."""
    flows = flow.split(",")
    if not set(flows) <= FLOWS or freq not in ("A", "M"):
        raise LocalFetchError(f"invalid flow {flow!r} or frequency {freq!r}",
                              hint=f"flows are {', '.join(sorted(FLOWS))}; frequency A or M")
    if not re.fullmatch(r"\d{4}" if freq == "A" else r"\d{6}", str(period)):
        raise LocalFetchError(f"invalid period {period!r}", hint="use YYYY for annual, YYYYMM for monthly data")
    params = {"reporterCode": _codes(reporter, "reporter"), "period": str(period),
              "partnerCode": _codes(partner, "partner"), "cmdCode": _codes(cmd, "cmdCode"), "flowCode": flow}
    url = f"{COMTRADE_PREVIEW}/C/{freq}/{classification}"
    full = str(httpx.URL(url, params=params))
    payload = _fetcher(fetcher).get_json(url, params, validate=lambda p: _comtrade_check(p, full))
    try:
        records = [_comtrade_record(r) for r in payload["data"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise UpstreamError(f"a Comtrade record lacks or garbles a field ({exc!r})", path=full,
                            hint="the API may have changed; report it with the URL") from exc
    columns = ["reporter_code", "reporter_iso3", "partner_code", "partner_iso3", "year", "period", "flow",
               "cmd_code", "value_usd", "net_weight_kg"]
    return pd.DataFrame(records, columns=columns).astype(
        {"reporter_iso3": "string", "partner_iso3": "string", "value_usd": "float64", "net_weight_kg": "float64"})


def _comtrade_check(payload: Any, url: str) -> None:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        message = payload.get("error") or payload.get("message") if isinstance(payload, dict) else None
        raise UpstreamError(f"Comtrade answered no data list{f': {message}' if message else ''}", path=url,
                            hint="check the codes and period, or try again later")
    if payload.get("error"):
        raise UpstreamError(f"Comtrade answered an error: {payload['error']}", path=url,
                            hint="check the codes and period")


def _comtrade_record(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "reporter_code": int(r["reporterCode"]), "reporter_iso3": m49_to_iso3(r["reporterCode"]),
        "partner_code": int(r["partnerCode"]), "partner_iso3": m49_to_iso3(r["partnerCode"]),
        "year": int(r["refYear"]), "period": str(r["period"]), "flow": r["flowCode"], "cmd_code": str(r["cmdCode"]),
        "value_usd": float(r["primaryValue"]) if r.get("primaryValue") is not None else None,
        "net_weight_kg": float(r["netWgt"]) if r.get("netWgt") is not None else None,
    }


__all__ = ["Fetcher", "GdeltFile", "comtrade_preview", "download_gdelt_file", "gdelt_file_list",
           "load_worldbank_indicator", "m49_to_iso3", "parse_file_list", "worldbank_indicator", "write_atomic"]
