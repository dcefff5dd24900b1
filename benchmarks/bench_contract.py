"""The long contract run: schemathesis with every check and every phase, at least 20,000 test cases.

The same runner as the CI test (``tests/api/contract.py``: the API on 127.0.0.1, a store with the bundled
snapshot and INVENTED alerts and signals, an admin key, deterministic generation), with
``CULTRADE_BENCH_CONTRACT_EXAMPLES`` examples per operation (default 500). Target: 0 findings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

EXAMPLES = int(os.environ.get("CULTRADE_BENCH_CONTRACT_EXAMPLES", "500"))
MIN_CASES = 20_000


def run(rows: int, workdir: Path) -> dict[str, Any]:
    """``rows`` is ignored."""
    from tests.api.contract import run_schemathesis

    result = run_schemathesis(workdir, max_examples=EXAMPLES, timeout=6 * 3600)
    output = result.pop("output")
    return {"benchmark": "contract", "data": "bundled snapshot + INVENTED alerts and signals (demo_app)",
            "max_examples_per_operation": EXAMPLES, **result, "tail": output[-3000:],
            "target": f">= {MIN_CASES:,} cases, 0 findings",
            "met": result["cases"] >= MIN_CASES and result["exit_code"] == 0 and not result["failures"]}
