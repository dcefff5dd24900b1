"""What keeps requests from queueing: a read cursor per thread, cache builds that hold up only their own key."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cultrade.api.state import ApiState, AuditStore, Cache
from cultrade.settings import Settings


def test_each_thread_reads_through_its_own_cursor_and_sees_committed_writes(tmp_path: Path) -> None:
    state = ApiState.around(AuditStore(tmp_path / "s.duckdb", settings=Settings(home=tmp_path)))
    with state.lock, state.store.transaction() as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (1), (2)")
    with ThreadPoolExecutor(4) as pool:
        views = list(pool.map(lambda _: (id(state.reader()), state.reader().con.execute(
            "SELECT sum(x) FROM t").fetchone()), range(16)))
    assert {total for _, total in views} == {(3,)}
    assert len({view for view, _ in views}) <= 4 and state.reader() is state.reader()
    assert state.reader().con is not state.store.con
    state.close()


def test_a_slow_build_does_not_hold_up_other_keys() -> None:
    cache = Cache(8)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        assert release.wait(60), "never released"
        return "slow"

    with ThreadPoolExecutor(2) as pool:
        pending = pool.submit(cache.get, "a", slow)
        assert started.wait(60)
        # While "a" is being built, another key is built and served at once (no global lock to wait for).
        assert cache.get("b", lambda: "fast") == "fast"
        release.set()
        assert pending.result(60) == "slow"
    assert cache.get("a", lambda: "rebuilt") == "slow"  # built once
