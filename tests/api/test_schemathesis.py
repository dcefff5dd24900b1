"""The API contract, checked by schemathesis.

* ``test_contract_holds_under_every_check``: the schemathesis CLI with ``--checks all`` and every phase
  (coverage, fuzzing, stateful) against the API served on 127.0.0.1, ``CONTRACT_EXAMPLES`` examples per
  operation, deterministic; any finding fails the suite (``tests/api/contract.py``; the long run of at least
  20,000 cases is ``benchmarks/bench_contract.py``).
* ``test_no_server_errors``: every operation in-process (ASGI) with positive and negative examples: never a
  5xx, and every error answer has the one error body.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from cultrade.api import create_app
from cultrade.settings import Settings

MAX_EXAMPLES = 10
CONTRACT_EXAMPLES = 5
ERROR_KEYS = {"error", "message", "path", "row", "column", "hint"}


def _operations() -> list[tuple[str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(":memory:", settings=Settings(home="/tmp/cultrade-api-schema"), mount_web=False)
    ops = [(m.upper(), p) for p, methods in app.openapi()["paths"].items() for m in methods]
    app.state.api.close()
    return sorted(ops)


@pytest.fixture(scope="module")
def fuzz_api(api_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    a = api_factory(tmp_path_factory.mktemp("fuzz"))
    yield a
    a.state().close()


@pytest.fixture(scope="module")
def api_schema(fuzz_api: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_api.app)


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_no_server_errors(method: str, path: str, api_schema: Any, fuzz_api: Any) -> None:
    operation = api_schema[path][method]
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    headers = {"Authorization": f"Bearer {fuzz_api.keys['admin']}"}

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call(headers=headers, timeout=600)  # the first PPML fit imports pyfixest and compiles
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            assert set(response.json()) == ERROR_KEYS, response.text

    run()


def test_contract_holds_under_every_check(tmp_path: Any) -> None:
    from tests.api.contract import run_schemathesis

    result = run_schemathesis(tmp_path, max_examples=CONTRACT_EXAMPLES)
    assert result["operations"].get("tested", 0) >= 40 and result["cases"] > 1000, result["output"][-3000:]
    assert result["exit_code"] == 0 and not result["failures"] and not result["errors"], result["output"][-8000:]


def test_schema_is_served(fuzz_api: Any) -> None:
    doc = fuzz_api.client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "cultrade API"
    assert {"HTTPBearer", "APIKeyHeader", "APIKeyCookie"} <= set(doc["components"]["securitySchemes"])
    assert fuzz_api.client.get("/api/docs").status_code == 200
    documented = {code for ops in doc["paths"].values() for op in ops.values() for code in op["responses"]}
    assert {"400", "401", "403", "404", "409", "422", "429"} <= documented
