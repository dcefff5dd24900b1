"""Property-based run of every operation in the OpenAPI schema (schemathesis, ASGI, admin key): never a 5xx.

Each operation is one test, with at most ``MAX_EXAMPLES`` positive and negative
examples (derandomized, so the run is repeatable and bounded). The operations are
read from the schema of an app on an empty in-memory store at collection time;
the calls go to an app on a copy of the snapshot store.
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


def test_schema_is_served(fuzz_api: Any) -> None:
    doc = fuzz_api.client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "cultrade API"
    assert {"HTTPBearer", "APIKeyHeader", "APIKeyCookie"} <= set(doc["components"]["securitySchemes"])
    assert fuzz_api.client.get("/api/docs").status_code == 200
