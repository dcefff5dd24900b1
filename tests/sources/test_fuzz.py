"""Whatever the bytes, every adapter answers with its result or a CultradeError: never a traceback.

Bounded, derandomised hypothesis runs over each adapter's header check and row parser (the mutations of
:mod:`tests.sources.fuzz_seeds`), and over the byte-level checks of the two SQL readers (BACI, GDELT). The long
run, a million executions per parser, is ``benchmarks/bench_fuzz.py`` (``make bench``).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cultrade.errors import CultradeError, SourceFormatError
from cultrade.sources.baci import _parts, check_header
from cultrade.sources.gdelt import sniff_version
from cultrade.store import Store
from tests.sources.fuzz_seeds import NASTY, SEEDS, Seed, header_mutations, row_mutations, run_adapter

EXAMPLES = 25
bounded = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def _ids(seed: Seed) -> str:
    return seed.name


def _survives(seed: Seed, data: bytes, store: Store) -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.suppress(CultradeError):
        run_adapter(seed, data, Path(tmp), store)


@pytest.fixture(scope="module")
def sql_store() -> Store:
    return Store(":memory:")


@pytest.mark.parametrize("seed", SEEDS, ids=_ids)
def test_seed_is_valid(seed: Seed, tmp_path: Path) -> None:
    """Each seed loads as it is: the mutations start from a file the adapter accepts."""
    run_adapter(seed, seed.text().encode(), tmp_path)


@pytest.mark.parametrize("part", ["header", "rows"])
@pytest.mark.parametrize("seed", SEEDS, ids=_ids)
def test_parser_never_crashes(seed: Seed, part: str, sql_store: Store) -> None:
    """The header check (mutations of the first line) and the row parser (mutations of the data rows and of
    the file as a whole) answer with tables or a CultradeError."""
    strategy = header_mutations(seed) if part == "header" else row_mutations(seed)

    @bounded
    @given(data=strategy)
    def run(data: bytes) -> None:
        _survives(seed, data, sql_store)

    run()


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(head=st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\r\n",
                                                                b"\xef\xbb\xbf\xef\xbb\xbf", b"t,i,j,k,v,q"]),
                      st.builds(lambda a, b: a + b, st.sampled_from([b"\xef\xbb\xbf", b""]), st.binary(max_size=40))))
def test_baci_header_check_raises_only_source_errors(head: bytes) -> None:
    with contextlib.suppress(SourceFormatError):
        check_header(head, Path("BACI_HS17_Y2022_V202401.csv"))


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(name=st.one_of(st.text(max_size=60), st.builds("BACI_{}_Y{}_V{}{}.csv".format,
                                                      st.text(max_size=5), st.text(max_size=5), st.text(max_size=7),
                                                      st.text(max_size=5))))
def test_baci_file_name_parser_raises_only_source_errors(name: str) -> None:
    try:
        edition, year, vintage = _parts(Path(name.replace("/", "_").replace("\x00", "") or "x"))
    except SourceFormatError:
        return
    assert edition.startswith("HS") and year >= 0 and vintage.startswith("V")


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(line=st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(NASTY[:30]), max_size=70).map(
    lambda cells: "\t".join(cells).encode("utf-8", "surrogatepass"))))
def test_gdelt_first_line_check_raises_only_source_errors(line: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "20250602014500.export.CSV"
        path.write_bytes(line)
        with contextlib.suppress(SourceFormatError):
            assert sniff_version(path) in (1, 2)


def test_long_fields_are_refused_with_their_row(tmp_path: Path) -> None:
    """A cell over 131,072 characters (the csv module's limit) is a located SourceFormatError for every reader."""
    from tests.sources.fuzz_seeds import apply

    for seed in SEEDS:
        if seed.form != "text" or seed.adapter in ("baci", "gdelt"):
            continue
        data = apply(seed, "cell", 1, 0, "x" * 200_000, 0, b"")
        folder = tmp_path / seed.name.replace(":", "_")
        folder.mkdir()
        with pytest.raises(CultradeError) as err:
            run_adapter(seed, data, folder)
        assert err.value.row is not None or "missing columns" in str(err.value), (seed.name, str(err.value))


def test_baci_overlong_line_names_the_row_and_column(tmp_path: Path) -> None:
    from tests.sources.fuzz_seeds import SEEDS as all_seeds

    seed = next(s for s in all_seeds if s.adapter == "baci")
    lines = [*seed.lines[:3], f"2020,4,36,300431,{'1' * 5_000_000},NA"]
    with pytest.raises(SourceFormatError, match="bytes long") as err:
        run_adapter(Seed("baci", seed.filename, tuple(lines)), ("\n".join(lines) + "\n").encode(), tmp_path)
    assert err.value.row == 4 and err.value.column == "v"


def test_baci_file_holding_only_a_bom_is_empty(tmp_path: Path) -> None:
    seed = next(s for s in SEEDS if s.adapter == "baci")
    with pytest.raises(SourceFormatError, match="empty"):
        run_adapter(seed, b"\xef\xbb\xbf", tmp_path)
