"""Long fuzz run: a million executions per parser, counting any exception that is not a CultradeError.

Parsers and what one execution is:

* ``adapter:<seed>`` — one mutated file (:func:`tests.sources.fuzz_seeds.mutate`) written and parsed by the
  adapter (``parse``; BACI and GDELT load into an in-memory store), for every seed of every adapter;
* ``baci.check_header`` — BACI's header check on random or mutated first bytes;
* ``baci.file_name`` — BACI's file-name parser (edition, year, release) on random or mutated names;
* ``gdelt.first_line`` — GDELT's layout sniffing on a random or mutated first line;
* ``base.csv_records`` — the shared CSV record reader on mutated text.

Executions per byte-level parser: ``CULTRADE_BENCH_FUZZ_EXECS`` (default 1,000,000), spread over the machine's
cores (one process per core, each with its own seeded generator, so a run is repeatable). A whole adapter runs
at 30-700 files/s on this shared machine (pandas, country mapping, DuckDB for BACI and GDELT), so a million
files for each of the 37 seeds would take days; each adapter seed instead runs for
``CULTRADE_BENCH_FUZZ_ADAPTER_SECONDS`` (default 20 s of wall time on every core), and the result gives the
executions that fitted. A finding is kept with
its parser, exception type, message and a reproducer (the mutated bytes, base64) in the result file.
"""

from __future__ import annotations

import base64
import os
import random
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

EXECS = int(os.environ.get("CULTRADE_BENCH_FUZZ_EXECS", "1000000"))
ADAPTER_SECONDS = float(os.environ.get("CULTRADE_BENCH_FUZZ_ADAPTER_SECONDS", "20"))
MAX_FINDINGS = 20
# Every execution writes a file: in memory when the machine has a tmpfs.
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_NAME_PARTS = ("BACI_", "HS17", "HS92", "_Y", "2022", "_V", "202401", ".csv", "hs22", "Y0000", "٢٠٢٢", "\x00", "/")


def _bytes_target(name: str) -> Any:
    """(mutate(rng) -> input, run(input)) for the byte-level parsers."""
    from tests.sources.fuzz_seeds import SEEDS, mutate

    from cultrade.sources.baci import _parts, check_header
    from cultrade.sources.base import csv_records
    from cultrade.sources.gdelt import sniff_version

    baci = next(s for s in SEEDS if s.adapter == "baci")
    gdelt = next(s for s in SEEDS if s.adapter == "gdelt")
    csv_seed = next(s for s in SEEDS if s.adapter == "wb_meta")
    folder = Path(tempfile.mkdtemp(prefix="fuzz-", dir=_SCRATCH))
    gdelt_path = folder / gdelt.filename

    def random_bytes(rng: random.Random) -> bytes:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))

    if name == "baci.check_header":
        return (lambda rng: mutate(baci, rng)[:4096] if rng.random() < 0.7 else random_bytes(rng),
                lambda data: check_header(data, Path(baci.filename)))
    if name == "baci.file_name":
        def name_of(rng: random.Random) -> str:
            if rng.random() < 0.5:  # a valid name with one part replaced or repeated
                parts = ["BACI_", rng.choice(("HS92", "HS17", "HS22")), "_Y", "2022", "_V", "202401", ".csv"]
                parts[rng.randrange(len(parts))] = rng.choice(_NAME_PARTS)
                return "".join(parts)
            parts = [rng.choice(_NAME_PARTS) for _ in range(rng.randrange(1, 9))]
            if rng.random() < 0.3:
                parts.insert(rng.randrange(len(parts) + 1), chr(rng.randrange(1, 0x3000)))
            return "".join(parts)
        return name_of, lambda text: _parts(Path(text.replace("/", "_").replace("\x00", "") or "x"))
    if name == "gdelt.first_line":
        def sniff(data: bytes) -> None:
            gdelt_path.write_bytes(data)
            sniff_version(gdelt_path)
        return (lambda rng: mutate(gdelt, rng).split(b"\n")[0] if rng.random() < 0.8 else random_bytes(rng)), sniff
    if name == "base.csv_records":
        def records(data: bytes) -> None:
            for _ in csv_records(data.decode("utf-8", "replace"), "f.csv"):
                pass
        return (lambda rng: mutate(csv_seed, rng)), records
    raise KeyError(name)


def _where(exc: BaseException) -> str:
    """The innermost frame of cultrade's own code in the traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/cultrade/" in f.filename]
    last = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{Path(last.filename).name}:{last.lineno} {last.line}"[:300]


def _worker(parser: str, execs: int, seed: int, seconds: float = float("inf")) -> dict[str, Any]:
    from tests.sources.fuzz_seeds import SEEDS, mutate, run_adapter

    from cultrade.errors import CultradeError
    from cultrade.store import Store

    rng = random.Random(seed)
    findings: list[dict[str, Any]] = []
    refused = 0
    start = time.perf_counter()
    if parser.startswith("adapter:"):
        chosen = next(s for s in SEEDS if s.name == parser.removeprefix("adapter:"))
        folder = Path(tempfile.mkdtemp(prefix="fuzz-", dir=_SCRATCH))
        store = Store(":memory:")

        def make(r: random.Random) -> bytes:
            return mutate(chosen, r)

        def run(data: bytes) -> None:
            run_adapter(chosen, data, folder, store)
    else:
        make, run = _bytes_target(parser)
    done = 0
    while done < execs and time.perf_counter() - start < seconds:
        done += 1
        data = make(rng)
        try:
            run(data)
        except CultradeError:
            refused += 1
        except Exception as exc:  # a finding: anything but a CultradeError
            if len(findings) < MAX_FINDINGS:
                raw = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")
                findings.append({"type": type(exc).__name__, "message": str(exc)[:300],
                                 "where": _where(exc),
                                 "input_b64": base64.b64encode(raw[:2000]).decode()})
    return {"executions": done, "refused": refused, "findings": findings, "seconds": time.perf_counter() - start}


def parsers() -> list[str]:
    from tests.sources.fuzz_seeds import SEEDS

    return ["baci.check_header", "baci.file_name", "gdelt.first_line", "base.csv_records",
            *(f"adapter:{s.name}" for s in SEEDS)]


def fuzz(parser: str, execs: int, workers: int, seconds: float = float("inf")) -> dict[str, Any]:
    share = [execs // workers + (1 if i < execs % workers else 0) for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_worker, [parser] * workers, share, range(workers), [seconds] * workers))
    findings = [f for p in parts for f in p["findings"]]
    return {"executions": sum(p["executions"] for p in parts), "refused": sum(p["refused"] for p in parts),
            "findings": len(findings), "examples": findings[:MAX_FINDINGS],
            "cpu_seconds": round(sum(p["seconds"] for p in parts), 1),
            "execs_per_s": round(sum(p["executions"] for p in parts) / max(max(p["seconds"] for p in parts), 1e-9))}


def run(rows: int, workdir: Path) -> dict[str, Any]:
    """``rows`` is ignored. Runs every parser for ``EXECS`` executions."""
    workers = os.cpu_count() or 1
    only = os.environ.get("CULTRADE_BENCH_FUZZ_ONLY")
    chosen = [p for p in parsers() if not only or only in p]
    started = time.perf_counter()
    results = {}
    for parser in chosen:
        if parser.startswith("adapter:"):
            results[parser] = fuzz(parser, EXECS, workers, ADAPTER_SECONDS)
        else:
            results[parser] = fuzz(parser, EXECS, workers)
        print(parser, {k: v for k, v in results[parser].items() if k != "examples"}, flush=True)
    return {
        "benchmark": "fuzz",
        "data": "mutations of small valid samples (tests/sources/fuzz_seeds.py) and random bytes; GENERATED",
        "executions_per_byte_parser": EXECS, "seconds_per_adapter_seed": ADAPTER_SECONDS, "workers": workers,
        "parsers": results,
        "total_executions": sum(r["executions"] for r in results.values()),
        "total_findings": sum(r["findings"] for r in results.values()),
        "wall_s": round(time.perf_counter() - started, 1),
        "target": "0 findings (exceptions other than CultradeError) in 1,000,000 executions per parser",
        "findings_met": all(r["findings"] == 0 for r in results.values()),
        "million_met": {p: r["executions"] >= 1_000_000 for p, r in results.items()},
    }


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(0, Path(tempfile.mkdtemp())), indent=1))
