"""GENERATED, NOT REAL: a BACI-shaped year for benchmarks and the crash-safety test.

The file has the layout of a CEPII BACI HS6 file (``t,i,j,k,v,q``) but every row
is synthetic. What is made realistic is what costs time when loading: the size
(a full year is about 11 million rows, 350-400 MB), the code distributions
(exporters and importers are real BACI country codes with Zipf-like sizes;
products are the real HS17 codes from ``data/hs17_codes.txt``), product codes
written as integers, so chapters 01-09 lose their leading zero like real HS17
files, lognormal values in thousand USD with three decimals, and quantities
right-aligned in 15 characters with about 7% ``NA``. Rows are sorted by
(i, j, k) and keys are unique, as in BACI.

>>> import tempfile, pathlib
>>> path = generate(pathlib.Path(tempfile.mkdtemp()) / "BACI_HS17_Y2022_V202401.csv", rows=1000, seed=1)
>>> lines = path.read_text().splitlines()
>>> lines[0], len(lines)
('t,i,j,k,v,q', 1001)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cultrade.countries import get_countries

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "_data"
HS17_CODES = HERE / "data" / "hs17_codes.txt"
FULL_YEAR_ROWS = 11_000_000
NA_SHARE = 0.07


def baci_codes() -> np.ndarray:
    """Every BACI numeric code the country reference knows (current countries only)."""
    table = get_countries().table
    table = table[~table["historical"]]
    codes = {int(c) for cell in table["baci"] for c in str(cell).split("|") if c}
    return np.array(sorted(codes), dtype=np.int64)


def hs17_codes() -> np.ndarray:
    """The 5,384 real HS17 six-digit codes (copied from BACI's product_codes_HS17_V202401.csv)."""
    return np.array([int(c) for c in HS17_CODES.read_text().split()], dtype=np.int64)


def _zipf_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    rng.shuffle(weights)  # big traders are not the low codes
    return weights / weights.sum()


def _keys(rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    countries, products = baci_codes(), hs17_codes()
    wc = _zipf_weights(len(countries), 1.1, rng)
    wp = _zipf_weights(len(products), 0.6, rng)
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < rows:
        n = int((rows - len(keys)) * 1.6) + 1000
        i = rng.choice(countries, n, p=wc)
        j = rng.choice(countries, n, p=wc)
        k = rng.choice(products, n, p=wp)
        ok = i != j
        keys = np.union1d(keys, (i[ok] * 1000 + j[ok]) * 1_000_000 + k[ok])
    keys = np.sort(rng.choice(keys, rows, replace=False))
    return keys // 1_000_000_000, (keys // 1_000_000) % 1000, keys % 1_000_000


def generate(path: Path, *, rows: int = FULL_YEAR_ROWS, year: int = 2022, seed: int = 20240201) -> Path:
    """Write a GENERATED BACI-shaped file of ``rows`` rows to ``path`` (atomically)."""
    rng = np.random.default_rng(seed)
    i, j, k = _keys(rows, rng)
    v = np.round(rng.lognormal(mean=2.0, sigma=2.5, size=rows), 3)
    v = np.maximum(v, 0.001)
    q = np.round(v * rng.lognormal(mean=-1.0, sigma=1.5, size=rows), 3)
    q_text = np.char.rjust(np.char.mod("%.3f", q), 15)
    q_text[rng.random(rows) < NA_SHARE] = "NA".rjust(15)
    table = pa.table({"t": np.full(rows, year, dtype=np.int16), "i": i, "j": j, "k": k, "v": v,
                      "q": pa.array(q_text.tolist(), pa.string())})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.register("gen", table)
    con.execute(f"COPY (SELECT * FROM gen) TO '{tmp}' (HEADER, DELIMITER ',', QUOTE '')")
    con.close()
    os.replace(tmp, path)
    return path


def cached(rows: int = FULL_YEAR_ROWS, *, year: int = 2022) -> Path:
    """The generated file for ``rows``, made once and kept under benchmarks/_data/ (git-ignored)."""
    path = DATA_DIR / f"rows{rows}" / f"BACI_HS17_Y{year}_V202401.csv"
    if not path.exists():
        generate(path, rows=rows, year=year)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate a BACI-shaped file (GENERATED, not real data).")
    parser.add_argument("--rows", type=int, default=FULL_YEAR_ROWS)
    args = parser.parse_args()
    print(cached(args.rows))


if __name__ == "__main__":
    main()
