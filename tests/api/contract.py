"""Run schemathesis (every check, every phase) against the API served on 127.0.0.1; shared by the CI test
(``test_schemathesis.py``, bounded) and the long run of ``make bench`` (``benchmarks/bench_contract.py``).

The app runs on a store with the bundled snapshot and INVENTED alerts and signals
(:func:`cultrade.web.demo.demo_app`), with an admin key in every request. Its failed-login backoff is
switched off (``free`` = 10^9), since the ``ignored_auth`` check sends wrong keys on purpose. The run is
deterministic (``--generation-deterministic``) and bounded by ``--max-examples`` per operation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cultrade.api.keys import create_key
from cultrade.api.ratelimit import FailedAuthLimiter
from cultrade.web.demo import ServerThread, demo_app

CONFIG = Path(__file__).with_name("schemathesis.toml")


def run_schemathesis(workdir: Path, *, max_examples: int, timeout: float = 3600,
                     extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """One ``schemathesis run --checks all``; returns its exit code, test-case counts, failures and output."""
    demo = demo_app(workdir / "home")
    state = demo.app.state.api
    state.limiter = FailedAuthLimiter(free=10**9)
    with state.lock:
        key = create_key(state.store, "schemathesis", "admin").key
    report = workdir / "schemathesis.json"
    try:
        with ServerThread(demo.app) as url:
            cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
                   f"{url}/api/v1/openapi.json", "--checks", "all",
                   "--max-examples", str(max_examples), "--generation-deterministic", "--workers", "1",
                   "--header", f"Authorization: Bearer {key}", "--no-color", "--continue-on-failure",
                   "--report", "json", "--report-json-path", str(report), "--request-timeout", "60", *extra]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    finally:
        state.close()
    summary = json.loads(report.read_text()) if report.exists() else {}
    cases = summary.get("test_cases", {})
    return {"exit_code": done.returncode, "cases": int(cases.get("generated", 0)),
            "cases_with_failures": int(cases.get("with_failures", 0)),
            "unique_failures": int(cases.get("unique_failures", 0)),
            "failures": [{k: f.get(k) for k in ("code", "title", "count", "operations")}
                         for f in summary.get("failures", [])],
            "errors": summary.get("errors", []), "operations": summary.get("operations", {}),
            "phases": {k: v.get("status") for k, v in summary.get("phases", {}).items()},
            "seconds": round(float(summary.get("running_time", 0.0)), 1),
            "output": done.stdout[-20000:] + done.stderr[-4000:]}


__all__ = ["run_schemathesis"]
