"""Reading GDELT 2.0 export slices (file names, decompression, parsing) and the per-slice records
(:class:`SliceSummary`, :class:`StreamReport`) of :mod:`cultrade.monitor.stream`.

A slice that cannot be read for any reason (truncated, corrupt, encrypted or multi-member zip, an unknown
zip compression, a wrong encoding, wrong columns, a DATEADDED that differs from its name, or larger than
:data:`MAX_SLICE_BYTES` once decompressed) raises a :class:`~cultrade.errors.SourceFormatError` naming the
file (and the row or column when known); nothing else escapes :func:`read_slice`, so a feed can quarantine
the slice and go on (see :mod:`cultrade.monitor.feeds`).

>>> slice_time("20250515194500.export.CSV.gz")
datetime.datetime(2025, 5, 15, 19, 45)
>>> slice_time("20250515194500.mentions.CSV.zip") is None
True
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cultrade.errors import ConfigError, CultradeError, SourceFormatError
from cultrade.sources.gdelt import V2_COLUMNS

if TYPE_CHECKING:
    from cultrade.store import Store

_SLICE_NAME = re.compile(r"^(\d{14})\.export\.csv(\.gz|\.zip)?$", re.IGNORECASE)
_HINT = "the slice is damaged or truncated; download it again from data.gdeltproject.org"
#: A real 15-minute export is 1-30 MB uncompressed; anything larger is refused before it fills memory.
MAX_SLICE_BYTES = 512 * 1024 * 1024

# Only these columns are parsed (pyarrow skips the others while tokenising).
COLUMNS = ("GLOBALEVENTID", "Actor1Code", "Actor1CountryCode", "Actor1Type1Code", "Actor2Code",
           "Actor2CountryCode", "Actor2Type1Code", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
           "NumMentions", "AvgTone", "ActionGeo_CountryCode", "DATEADDED", "SOURCEURL")
_TYPES = {"GLOBALEVENTID": pa.int64(), "QuadClass": pa.int8(), "EventRootCode": pa.int16(), "GoldsteinScale": pa.float64(),
          "NumMentions": pa.int64(), "AvgTone": pa.float64()}
_READ = pacsv.ReadOptions(column_names=V2_COLUMNS, use_threads=False, block_size=1 << 24)
_PARSE = pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False, newlines_in_values=False)
_CONVERT = pacsv.ConvertOptions(include_columns=list(COLUMNS),
                                column_types={c: _TYPES.get(c, pa.string()) for c in COLUMNS},
                                strings_can_be_null=True, quoted_strings_can_be_null=False, check_utf8=True)


def slice_time(path: str | Path) -> datetime | None:
    """The DATEADDED of a GDELT 2.0 export slice from its file name; None for any other file."""
    m = _SLICE_NAME.match(Path(path).name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def list_slices(directory: str | Path, start: datetime | None = None, end: datetime | None = None
                ) -> list[tuple[datetime, Path]]:
    """Slices in ``directory`` with start <= time < end, in time order (hidden/partial files ignored)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(f"not a folder of GDELT slices: {folder}", path=folder,
                          hint="pass the folder holding <YYYYMMDDHHMMSS>.export.CSV.gz files")
    found: dict[datetime, Path] = {}
    for p in folder.iterdir():
        if p.name.startswith(".") or (ts := slice_time(p)) is None:
            continue
        in_range = (start is None or ts >= start) and (end is None or ts < end)
        # Prefer .gz over .zip over plain when a slice exists twice.
        if in_range and (ts not in found or _rank(p) < _rank(found[ts])):
            found[ts] = p
    return sorted(found.items())


def _rank(path: Path) -> int:
    return {".gz": 0, ".zip": 1}.get(path.suffix.lower(), 2)


# -- reading one slice ----------------------------------------------------------------------
@dataclass
class ParsedSlice:
    """One slice as read: its time (from the name), file, sha256 of the file's bytes, and the parsed
    :data:`COLUMNS`."""

    ts: datetime
    path: str
    sha256: str
    table: pa.Table

    @property
    def events(self) -> int:
        return int(self.table.num_rows)


def _too_big(path: Path) -> SourceFormatError:
    return SourceFormatError(f"the slice is larger than {MAX_SLICE_BYTES >> 20} MB once decompressed", path=path,
                             hint="GDELT export slices are a few MB; this is not one (or it is a compression bomb)")


def _decompress(path: Path, raw: bytes) -> bytes:
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz":
            # zlib checks the gzip header and CRC in C; gzip.decompress hashes the output again in Python
            inflater = zlib.decompressobj(31)
            data = inflater.decompress(raw, MAX_SLICE_BYTES + 1)
            if len(data) > MAX_SLICE_BYTES:
                raise _too_big(path)
            if inflater.eof and not inflater.unused_data:
                return data
            data = gzip.decompress(raw)  # several gzip members, or truncated: let gzip decide
            if len(data) > MAX_SLICE_BYTES:
                raise _too_big(path)
            return data
        if suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) != 1:
                    raise SourceFormatError(f"the zip holds {len(members)} files, GDELT zips hold one", path=path,
                                            hint="pass the .export.CSV.zip exactly as GDELT publishes it")
                if members[0].file_size > MAX_SLICE_BYTES:
                    raise _too_big(path)
                with archive.open(members[0]) as member:
                    data = member.read(MAX_SLICE_BYTES + 1)
                if len(data) > MAX_SLICE_BYTES:
                    raise _too_big(path)
                return data
    except CultradeError:
        raise
    except Exception as exc:  # zlib/zipfile/lzma/bz2 raise many types for damaged input: one error for all
        raise SourceFormatError(f"cannot decompress the slice ({type(exc).__name__}: {exc})", path=path,
                                hint=_HINT) from exc
    if len(raw) > MAX_SLICE_BYTES:
        raise _too_big(path)
    return raw


def parse_slice(data: bytes, ts: datetime, *, path: str | Path = "<bytes>", sha256: str = "") -> ParsedSlice:
    """Parse an uncompressed slice (61 tab-separated columns, no header), keeping :data:`COLUMNS`."""
    if not data.strip():
        table = pa.table({c: pa.array([], type=_TYPES.get(c, pa.string())) for c in COLUMNS})
        return ParsedSlice(ts, str(path), sha256, table)
    try:
        table = pacsv.read_csv(pa.py_buffer(data), read_options=_READ, parse_options=_PARSE,
                               convert_options=_CONVERT)
    except Exception as exc:  # pyarrow raises ArrowInvalid, ArrowTypeError, ArrowNotImplementedError ...
        text = str(exc)
        row = re.search(r"row (\d+)|line (\d+)", text)
        raise SourceFormatError(f"not a GDELT 2.0 export slice ({(text.splitlines() or [type(exc).__name__])[0]})",
                                path=path, row=int(next(g for g in row.groups() if g)) if row else None,
                                hint="slices have 61 tab-separated UTF-8 fields and no header; " + _HINT) from exc
    stamp = ts.strftime("%Y%m%d%H%M%S")
    added = table.column("DATEADDED")
    if added.null_count or not pc.all(pc.equal(added, stamp)).as_py():
        bad = pc.index(pc.not_equal(added.fill_null(""), stamp), True).as_py()
        raise SourceFormatError(f"DATEADDED differs from the slice time {stamp} in the file name", path=path,
                                row=int(bad) + 1 if bad is not None and bad >= 0 else None, column="DATEADDED",
                                hint="GDELT names each slice by its DATEADDED; rename the file or fix the rows")
    if table.column("GLOBALEVENTID").null_count:
        raise SourceFormatError("GLOBALEVENTID is empty", path=path, column="GLOBALEVENTID",
                                hint="every event needs its id; " + _HINT)
    return ParsedSlice(ts, str(path), sha256, table)


def read_slice(path: str | Path) -> ParsedSlice:
    """Read, hash, decompress and parse one slice file; any failure is a :class:`SourceFormatError`
    (a :class:`ConfigError` for a file name that is not a slice's)."""
    p = Path(path)
    ts = slice_time(p)
    if ts is None:
        raise ConfigError(f"not a GDELT 2.0 export slice name: {p.name}", path=p,
                          hint="slices are named <YYYYMMDDHHMMSS>.export.CSV[.gz|.zip]")
    try:
        raw = p.read_bytes()
        return parse_slice(_decompress(p, raw), ts, path=p, sha256=hashlib.sha256(raw).hexdigest())
    except CultradeError:
        raise
    except Exception as exc:  # a last guard: nothing but a CultradeError leaves this function
        raise SourceFormatError(f"cannot read the slice ({type(exc).__name__}: {exc})", path=p,
                                hint="check the file; " + _HINT) from exc


def read_slice_or_error(path: str | Path) -> ParsedSlice | CultradeError:
    """:func:`read_slice`, with its error returned instead of raised (for reader processes)."""
    try:
        return read_slice(path)
    except CultradeError as exc:
        return exc


# -- per-slice records --------------------------------------------------------------------------
@dataclass(frozen=True)
class SliceSummary:
    """What one slice did; passed to ``on_slice`` callbacks. ``status``: processed, skipped (done before) or
    quarantined (unreadable: ``error`` says why)."""

    slice_ts: datetime
    file: str
    status: str
    events: int = 0
    new_events: int = 0
    late: bool = False
    countries: int = 0
    unmapped: int = 0
    gaps: int = 0
    seconds: float = 0.0
    touched: tuple[str, ...] = ()
    articles: int = 0
    error: str = ""

    @property
    def duplicates(self) -> int:
        return self.events - self.new_events


class OnSlice(Protocol):
    def __call__(self, store: Store, slice_ts: datetime, summary: SliceSummary) -> Any: ...


@dataclass
class StreamReport:
    """Totals of a replay, watch or live run."""

    processed: int = 0
    skipped: int = 0
    late: int = 0
    missing: int = 0
    failed: int = 0
    events: int = 0
    new_events: int = 0
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    summaries: list[SliceSummary] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.events - self.new_events

    def add(self, s: SliceSummary) -> None:
        self.summaries.append(s)
        if s.status == "skipped":
            self.skipped += 1
            return
        if s.status == "quarantined":
            self.failed += 1
            self.errors.append(s.error)
            return
        self.processed += 1
        self.late += int(s.late)
        self.events += s.events
        self.new_events += s.new_events
        self.first = s.slice_ts if self.first is None else min(self.first, s.slice_ts)
        self.last = s.slice_ts if self.last is None else max(self.last, s.slice_ts)

    def as_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "skipped": self.skipped, "late": self.late, "missing": self.missing,
                "failed": self.failed, "events": self.events, "new_events": self.new_events,
                "duplicates": self.duplicates, "seconds": round(self.seconds, 3)}


__all__ = ["COLUMNS", "MAX_SLICE_BYTES", "OnSlice", "ParsedSlice", "SliceSummary", "StreamReport", "list_slices",
           "parse_slice", "read_slice", "read_slice_or_error", "slice_time"]
