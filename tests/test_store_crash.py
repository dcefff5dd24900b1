"""Crash safety: a BACI load killed half-way leaves the store as it was before.

A child process starts ingesting a GENERATED BACI-shaped file of four million
rows (benchmarks/generate.py; no real data needed) and is sent SIGKILL while
its transaction is open. The store must then open normally, hold no row and no
catalog entry of the killed load, and keep the partition loaded earlier.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from cultrade.settings import Settings
from cultrade.sources import get_adapter
from cultrade.store import Store

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ is not an installed package; load its generator from the checkout.
_spec = importlib.util.spec_from_file_location("_bench_generate", ROOT / "benchmarks" / "generate.py")
assert _spec is not None and _spec.loader is not None
_generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_generate)
generate = _generate.generate
CHILD = textwrap.dedent("""
    import sys
    from cultrade.settings import Settings
    from cultrade.sources import get_adapter
    from cultrade.store import Store

    adapter = get_adapter("baci")
    load = adapter.write_sql

    def announced(con, path, partition):
        print("in-transaction", flush=True)  # the parent kills us from here on
        return load(con, path, partition)

    adapter.write_sql = announced
    with Store(sys.argv[1], settings=Settings(home=sys.argv[3])) as store:
        store.ingest(adapter, sys.argv[2])
    print("done", flush=True)
""")


def test_killed_ingest_leaves_the_store_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    settings = Settings(home=tmp_path)
    small = generate(tmp_path / "small" / "BACI_HS17_Y2021_V202401.csv", rows=20_000, year=2021, seed=1)
    big = generate(tmp_path / "big" / "BACI_HS17_Y2022_V202401.csv", rows=4_000_000, year=2022, seed=2)
    with Store(db, settings=settings) as store:
        assert store.ingest(get_adapter("baci"), small).rows == {"baci_hs17_2021": 20_000}

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(big), str(tmp_path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "in-transaction"
    time.sleep(0.8)  # well inside the load of four million rows, which takes seconds
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    assert child.wait() == -signal.SIGKILL and "done" not in rest, "the load finished before it was killed"

    with Store(db, settings=settings) as store:
        partitions = store.con.execute("SELECT _partition, count(*) FROM baci_flows GROUP BY 1").fetchall()
        assert partitions == [("HS17-2021", 20_000)]
        assert store.catalog_entry("baci", "HS17-2022") is None
        entry = store.catalog_entry("baci", "HS17-2021")
        assert entry is not None and entry["rows"] == 20_000
        # And the store still works: the same file now loads completely.
        assert store.ingest(get_adapter("baci"), big).rows == {"baci_hs17_2022": 4_000_000}
